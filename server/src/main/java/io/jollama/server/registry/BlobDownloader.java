package io.jollama.server.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;

/**
 * Downloads blobs the way Ollama does: the blob is split into parts (total/16, clamped to [100 MB, 1000 MB]),
 * fetched with ranged GETs in parallel into a pre-sized {@code sha256-<hex>-partial} file, with each part's
 * progress kept in {@code sha256-<hex>-partial-<N>} ({@code {"N","Offset","Size","Completed"}}) so that a
 * crashed or cancelled pull resumes where it stopped. When every part is complete the file is re-hashed; only a
 * file whose SHA-256 matches the digest is renamed to {@code sha256-<hex>}, a mismatching one is deleted.
 *
 * <p>Concurrent pulls of the same blob share one {@link Download}; when the last waiter leaves (its client
 * went away) the download stops and keeps its partial data.
 */
public final class BlobDownloader {

    /** Part planning and retry policy; tests shrink the sizes and delays. */
    public record Options(long minPartSize, long maxPartSize, int parallelParts, int attempts, Duration retryDelay,
                          Duration stallTimeout) {
        public static final Options DEFAULT = new Options(100_000_000L, 1_000_000_000L, 16, 6,
                Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    private static final int BUFFER = 64 * 1024;
    private static final long SAVE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final Options options;
    private final ConcurrentHashMap<Path, Download> active = new ConcurrentHashMap<>();

    public BlobDownloader(Options options) {
        this.options = options;
    }

    /**
     * Starts downloading {@code digest} into the storage, or joins the download already running for it. The
     * caller must {@link Download#release()} the result when it stops waiting.
     */
    public Download acquire(ModelStorage storage, RegistryClient client, String digest, long sizeHint) {
        Path blob = storage.blobPath(digest);
        while (true) {
            Download d = active.computeIfAbsent(blob, b -> new Download(storage, client, digest, sizeHint));
            if (d.retain()) {
                d.startOnce();
                return d;
            }
            active.remove(blob, d); // it is shutting down; start a fresh one
        }
    }

    /** The part layout of a blob of {@code total} bytes. */
    List<Part> plan(long total) {
        long size = Math.clamp(total / 16, options.minPartSize(), options.maxPartSize());
        List<Part> parts = new ArrayList<>();
        for (long off = 0, n = 0; off < total; off += size, n++) {
            parts.add(new Part((int) n, off, Math.min(size, total - off), 0));
        }
        return parts;
    }

    /** One part's persisted state, mutated only by the thread fetching it. */
    static final class Part {
        final int n;
        final long offset;
        final long size;
        volatile long completed;
        volatile long lastProgressNanos = System.nanoTime();
        volatile boolean stalled;
        volatile InputStream stream;

        Part(int n, long offset, long size, long completed) {
            this.n = n;
            this.offset = offset;
            this.size = size;
            this.completed = completed;
        }

        String json() {
            return "{\"N\":" + n + ",\"Offset\":" + offset + ",\"Size\":" + size + ",\"Completed\":" + completed + "}";
        }
    }

    private static final class StallException extends IOException {
        StallException() {
            super("part stalled");
        }
    }

    /** A running (or finished) download of one blob. */
    public final class Download {
        private final ModelStorage storage;
        private final RegistryClient client;
        private final String digest;
        private final long sizeHint;
        private final Path blob;
        private final Path partial;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private final AtomicLong completed = new AtomicLong();
        private final CountDownLatch cancelSignal = new CountDownLatch(1);
        private final List<Part> running = new ArrayList<>();
        private volatile long total;
        private volatile boolean cancelled;
        private volatile RegistryClient.BlobSource source;
        private int refs;
        private boolean closed;
        private boolean started;

        Download(ModelStorage storage, RegistryClient client, String digest, long sizeHint) {
            this.storage = storage;
            this.client = client;
            this.digest = digest;
            this.sizeHint = sizeHint;
            this.blob = storage.blobPath(digest);
            this.partial = blob.resolveSibling(blob.getFileName() + "-partial");
            this.total = sizeHint;
        }

        public String digest() {
            return digest;
        }

        public long total() {
            return total;
        }

        public long completed() {
            return completed.get();
        }

        /** Completes when the blob is visible under its name, or exceptionally with the reason it is not. */
        public CompletableFuture<Void> done() {
            return done;
        }

        synchronized boolean retain() {
            if (closed) return false;
            refs++;
            return true;
        }

        synchronized void startOnce() {
            if (started) return;
            started = true;
            Thread.ofVirtual().name("pull-" + Digests.shortHex(digest)).start(this::run);
        }

        /** The caller stops waiting; the last one to leave stops an unfinished download (partial data stays). */
        public void release() {
            boolean cancel;
            synchronized (this) {
                refs--;
                cancel = refs == 0 && !done.isDone();
                if (refs == 0) closed = true;
            }
            if (cancel) cancel();
        }

        private void cancel() {
            cancelled = true;
            cancelSignal.countDown();
            synchronized (running) {
                for (Part p : running) closeQuietly(p.stream);
            }
        }

        private void run() {
            try {
                if (!Files.exists(blob)) download();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            } finally {
                synchronized (this) {
                    closed = true;
                }
                active.remove(blob, this);
            }
        }

        private void download() throws IOException {
            List<Part> parts = loadParts();
            if (parts == null) {
                // the manifest states the size (and the digest check catches a wrong one); a HEAD is only needed
                // without it (Ollama always asks with HEAD, whose redirect may point at a GET-only signed URL)
                long size = sizeHint > 0 ? sizeHint : client.blobSize(digest);
                if (size < 0) throw new RegistryException(500, "registry did not say how large " + digest + " is");
                parts = plan(size);
                deletePartials();
                try (RandomAccessFile f = new RandomAccessFile(partial.toFile(), "rw")) {
                    f.setLength(size); // sparse on most file systems; parts fill it in place
                }
                for (Part p : parts) savePart(p);
                total = size;
            }
            completed.set(parts.stream().mapToLong(p -> p.completed).sum());
            List<Part> todo = parts.stream().filter(p -> p.completed < p.size).toList();
            if (!todo.isEmpty()) fetchParts(todo);
            if (cancelled) throw new RegistryException(499, "request canceled");
            verifyAndCommit();
        }

        private void fetchParts(List<Part> todo) throws IOException {
            source = client.blobSource(digest);
            Semaphore slots = new Semaphore(options.parallelParts());
            CountDownLatch finished = new CountDownLatch(todo.size());
            List<Throwable> failures = new ArrayList<>();
            for (Part p : todo) {
                Thread.ofVirtual().start(() -> {
                    try {
                        slots.acquire();
                        try {
                            fetchPart(p);
                        } finally {
                            slots.release();
                        }
                    } catch (Throwable t) {
                        synchronized (failures) {
                            failures.add(t);
                        }
                        cancelSignal.countDown(); // one part gave up: stop the others, keep what they have
                        cancelled = true;
                        synchronized (running) {
                            for (Part other : running) closeQuietly(other.stream);
                        }
                    } finally {
                        finished.countDown();
                    }
                });
            }
            try {
                while (!finished.await(250, TimeUnit.MILLISECONDS)) watchForStalls();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                cancel();
            }
            synchronized (failures) {
                Throwable diskFull = failures.stream().filter(BlobDownloader::isDiskFull).findFirst().orElse(null);
                if (diskFull != null) {
                    deletePartials();
                    throw new RegistryException(507, "no space left on device while downloading " + digest, diskFull);
                }
                Throwable first = failures.stream().filter(t -> !(t instanceof CancelledPart)).findFirst()
                        .orElse(failures.isEmpty() ? null : failures.getFirst());
                if (first instanceof RegistryException re) throw re;
                if (first instanceof CancelledPart) throw new RegistryException(499, "request canceled");
                if (first != null) throw new RegistryException(500, RegistryClient.describe(first), first);
            }
        }

        private void watchForStalls() {
            long now = System.nanoTime();
            synchronized (running) {
                for (Part p : running) {
                    if (now - p.lastProgressNanos > options.stallTimeout().toNanos() && p.stream != null) {
                        p.stalled = true;
                        closeQuietly(p.stream);
                    }
                }
            }
        }

        /**
         * A signed CDN URL can expire during a long download: a part refused with 401/403/404/410 asks the registry
         * for a fresh one (once per stale URL, shared by all parts).
         */
        private synchronized RegistryClient.BlobSource refreshSource(RegistryClient.BlobSource stale) {
            if (source == stale) source = client.blobSource(digest);
            return source;
        }

        private void fetchPart(Part p) throws IOException, InterruptedException {
            int failures = 0;
            synchronized (running) {
                running.add(p);
            }
            try {
                while (p.completed < p.size) {
                    if (cancelled) throw new CancelledPart();
                    RegistryClient.BlobSource used = source;
                    try {
                        fetchRange(used, p);
                    } catch (IOException | RegistryException failure) {
                        if (cancelled) throw new CancelledPart();
                        Exception e = failure;
                        if (failure instanceof RegistryException re && !used.authorized()
                                && List.of(401, 403, 404, 410).contains(re.status())) {
                            try {
                                refreshSource(used);
                            } catch (RegistryException refresh) {
                                e = refresh;
                            }
                        }
                        if (isDiskFull(e)) throw asThrowable(e);
                        if (p.stalled) { // restarted without using up an attempt, as Ollama does
                            p.stalled = false;
                            p.lastProgressNanos = System.nanoTime();
                            continue;
                        }
                        if (++failures >= options.attempts()) throw asThrowable(e);
                        long delay = options.retryDelay().toMillis() << (failures - 1);
                        if (cancelSignal.await(delay, TimeUnit.MILLISECONDS)) throw new CancelledPart();
                    }
                }
            } finally {
                synchronized (running) {
                    running.remove(p);
                }
            }
        }

        private void fetchRange(RegistryClient.BlobSource source, Part p) throws IOException {
            long start = p.offset + p.completed;
            long end = p.offset + p.size - 1;
            p.lastProgressNanos = System.nanoTime();
            HttpResponse<InputStream> resp = client.openRange(source, start, end);
            long lastSave = System.nanoTime();
            try (InputStream in = resp.body();
                 FileChannel out = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                p.stream = in;
                if (cancelled) throw new CancelledPart();
                byte[] buf = new byte[BUFFER];
                long pos = start;
                while (pos <= end) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, end - pos + 1));
                    if (n < 0) throw new IOException("unexpected EOF");
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) pos += out.write(bb, pos);
                    p.completed += n;
                    completed.addAndGet(n);
                    long now = System.nanoTime();
                    p.lastProgressNanos = now;
                    if (now - lastSave > SAVE_INTERVAL_NANOS) {
                        savePart(p);
                        lastSave = now;
                    }
                }
            } catch (IOException e) {
                if (p.stalled) throw new StallException();
                throw e;
            } finally {
                p.stream = null;
                savePart(p);
            }
        }

        /** Hashes the complete partial file; a match becomes the blob, a mismatch is deleted. */
        private void verifyAndCommit() throws IOException {
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            try (InputStream in = Files.newInputStream(partial)) {
                byte[] buf = new byte[1 << 20];
                for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
            }
            String got = Digests.of(sha.digest());
            if (!got.equals(digest)) {
                deletePartials();
                throw new RegistryException(500,
                        "digest mismatch, file must be downloaded again: want " + digest + ", got " + got);
            }
            Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            deletePartFiles();
        }

        private List<Part> loadParts() throws IOException {
            if (!Files.exists(partial)) {
                deletePartFiles();
                return null;
            }
            List<Part> parts = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(partial.getParent(),
                    partial.getFileName() + "-*")) {
                for (Path f : ds) {
                    String suffix = f.getFileName().toString().substring(partial.getFileName().toString().length() + 1);
                    if (!suffix.matches("\\d+")) continue;
                    JsonNode j = ManifestReader.JSON.readTree(Files.readAllBytes(f));
                    parts.add(new Part(j.path("N").asInt(), j.path("Offset").asLong(), j.path("Size").asLong(),
                            j.path("Completed").asLong()));
                }
            } catch (RuntimeException e) { // unreadable state: start over
                return null;
            }
            parts.sort(Comparator.comparingLong(p -> p.offset));
            long expect = 0;
            for (Part p : parts) {
                if (p.offset != expect || p.size <= 0 || p.completed < 0 || p.completed > p.size) return null;
                expect += p.size;
            }
            if (parts.isEmpty() || Files.size(partial) != expect) return null;
            total = expect;
            return parts;
        }

        private void savePart(Part p) throws IOException {
            Path f = partial.resolveSibling(partial.getFileName() + "-" + p.n);
            Path tmp = partial.resolveSibling(partial.getFileName() + "-" + p.n + ".tmp");
            Files.writeString(tmp, p.json());
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }

        private void deletePartials() throws IOException {
            Files.deleteIfExists(partial);
            deletePartFiles();
        }

        private void deletePartFiles() throws IOException {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(partial.getParent(),
                    partial.getFileName() + "-*")) {
                for (Path f : ds) Files.deleteIfExists(f);
            }
        }
    }

    private static final class CancelledPart extends IOException {
        CancelledPart() {
            super("request canceled");
        }
    }

    private static IOException asThrowable(Exception e) {
        if (e instanceof IOException io) return io;
        throw (RuntimeException) e;
    }

    static boolean isDiskFull(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c instanceof FileSystemException fse ? fse.getReason() : c.getMessage();
            if (m != null && m.contains("No space left on device")) return true;
        }
        return false;
    }

    private static void closeQuietly(InputStream in) {
        if (in == null) return;
        try {
            in.close();
        } catch (IOException ignored) {
            // unblocking a reader; nothing to report
        }
    }
}
