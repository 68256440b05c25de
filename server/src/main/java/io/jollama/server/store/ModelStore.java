package io.jollama.server.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Ollama's on-disk model store: {@code manifests/<host>/<namespace>/<model>/<tag>} and {@code blobs/sha256-<hex>}.
 * <p>
 * Thread-safe. Blobs are written to a temporary file, hashed while written and renamed into place only when the digest
 * is right; manifests are written to a temporary file and atomically renamed. Every change to the set of manifests and
 * every garbage collection runs under one lock, and blobs a create in progress is about to reference can be
 * {@linkplain #pin pinned}, so a concurrent delete never removes a blob that a manifest references or is about to.
 * A blob a collection spares only because it is pinned is remembered and collected when its last pin is released
 * (unless a manifest references it by then), so a pin delays a removal but never turns it into a leak.
 * Reading never takes the lock: a reader sees a manifest whole or not at all.
 */
public final class ModelStore {

    private static final Logger log = LoggerFactory.getLogger(ModelStore.class);

    private final Path root;
    private final Path manifests;
    private final Path blobs;
    private final ReentrantLock lock = new ReentrantLock();
    /** Canonical digest → number of open pins; guarded by {@link #lock}. */
    private final Map<String, Integer> pins = new HashMap<>();
    /**
     * Canonical digests a collection found unreferenced but spared because they were pinned; collected again when their
     * last pin goes. Guarded by {@link #lock}.
     */
    private final Set<String> sparedWhilePinned = new HashSet<>();

    /** A store rooted at {@code root} (Ollama's {@code OLLAMA_MODELS}); the directories are created if missing. */
    public ModelStore(Path root) {
        this.root = root.toAbsolutePath();
        this.manifests = this.root.resolve("manifests");
        this.blobs = this.root.resolve("blobs");
        try {
            Files.createDirectories(manifests);
            Files.createDirectories(blobs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the model store at " + root + ": " + e.getMessage(), e);
        }
    }

    public Path root() { return root; }
    public Path manifestsDir() { return manifests; }
    public Path blobsDir() { return blobs; }

    // ---------------------------------------------------------------- names and manifests

    /**
     * The spelling under which {@code name} is (or would be) stored: each of host, namespace, model and tag is replaced
     * by an existing directory/file name that equals it ignoring case, so re-cased names never create a second copy.
     */
    public ModelName resolve(ModelName name) {
        if (!name.isValid()) return name;
        String host = match(manifests, name.host());
        Path h = manifests.resolve(host);
        String ns = match(h, name.namespace());
        Path n = h.resolve(ns);
        String model = match(n, name.model());
        String tag = match(n.resolve(model), name.tag());
        return new ModelName(name.scheme(), host, ns, model, tag);
    }

    private static String match(Path dir, String part) {
        if (!Files.isDirectory(dir)) return part;
        if (Files.exists(dir.resolve(part))) return part;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                if (f.equalsIgnoreCase(part)) return f;
            }
        } catch (IOException e) {
            // unreadable directory: keep the requested spelling
        }
        return part;
    }

    /** The manifest file of a (valid) name, after case resolution. */
    public Path manifestPath(ModelName name) {
        return manifests.resolve(resolve(name).filepath());
    }

    /**
     * The model stored under {@code name} (resolved case-insensitively), or empty when there is none.
     * @throws StoreException when the manifest exists but cannot be read or parsed
     */
    public Optional<StoredModel> find(ModelName name) {
        if (!name.isValid()) return Optional.empty();
        ModelName resolved = resolve(name);
        Path p = manifests.resolve(resolved.filepath());
        try {
            byte[] bytes = Files.readAllBytes(p);
            FileTime mtime = Files.getLastModifiedTime(p);
            return Optional.of(new StoredModel(resolved, p, Manifest.parse(bytes), Digest.hex(bytes), mtime.toInstant()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (Files.isDirectory(p)) return Optional.empty();
            throw new StoreException("cannot read manifest of " + resolved.displayShortest() + ": " + e.getMessage(), e);
        } catch (StoreException e) {
            throw new StoreException(resolved.displayShortest() + ": " + e.getMessage(), e);
        }
    }

    /** The raw bytes of a manifest, or empty. */
    public Optional<byte[]> readManifestBytes(ModelName name) {
        if (!name.isValid()) return Optional.empty();
        try {
            return Optional.of(Files.readAllBytes(manifestPath(name)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("cannot read manifest of " + name.displayShortest() + ": " + e.getMessage(), e);
        }
    }

    /** One entry of {@link #list()}: a readable model, or the name and the reason it cannot be read. */
    public record Entry(ModelName name, StoredModel model, String error) {}

    /**
     * Every manifest in the store, newest first (second resolution, ties in path order). A manifest that cannot be read
     * is listed with its error instead of failing the whole listing. Entries whose path is not a valid name are skipped.
     */
    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        for (Path p : manifestFiles()) {
            Path rel = manifests.relativize(p);
            ModelName name = new ModelName("", rel.getName(0).toString(), rel.getName(1).toString(),
                    rel.getName(2).toString(), rel.getName(3).toString());
            if (!name.isValid()) continue;
            try {
                byte[] bytes = Files.readAllBytes(p);
                Instant mtime = Files.getLastModifiedTime(p).toInstant();
                out.add(new Entry(name, new StoredModel(name, p, Manifest.parse(bytes), Digest.hex(bytes), mtime), null));
            } catch (NoSuchFileException gone) {
                // deleted while listing
            } catch (IOException | StoreException e) {
                out.add(new Entry(name, null, e.getMessage()));
            }
        }
        out.sort(Comparator.comparing((Entry e) -> e.model() == null ? Instant.EPOCH
                : e.model().modified().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).reversed());
        return out;
    }

    /** Manifest files exactly four levels below {@code manifests/}, skipping components that start with a dot. */
    private List<Path> manifestFiles() {
        List<Path> files = new ArrayList<>();
        collect(manifests, 0, files);
        files.sort(Comparator.naturalOrder());
        return files;
    }

    private static void collect(Path dir, int depth, List<Path> out) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (p.getFileName().toString().startsWith(".")) continue;
                if (depth == 3) {
                    if (Files.isRegularFile(p)) out.add(p);
                } else if (Files.isDirectory(p)) {
                    collect(p, depth + 1, out);
                }
            }
        } catch (NoSuchFileException e) {
            // removed meanwhile
        } catch (IOException e) {
            log.warn("cannot read {}: {}", dir, e.getMessage());
        }
    }

    /**
     * Writes the manifest of {@code name} atomically, after checking that every blob it references exists; then,
     * unless {@code prune} is false, removes the blobs of the manifest it replaced that nothing references any more.
     * @return the stored model
     * @throws StoreException when a referenced blob is missing (nothing is written then)
     */
    public StoredModel commitManifest(ModelName name, Manifest manifest, boolean prune) {
        byte[] bytes = manifest.toBytes();
        return commitManifestBytes(name, bytes, manifest, prune);
    }

    /** Like {@link #commitManifest} for manifest bytes received verbatim (e.g. pulled from a registry). */
    public StoredModel commitManifestBytes(ModelName name, byte[] bytes, Manifest manifest, boolean prune) {
        lock.lock();
        try {
            for (String d : manifest.digests()) {
                if (!hasBlob(d)) throw new StoreException("blob " + d + " of " + name.displayShortest() + " is missing");
            }
            ModelName resolved = resolve(name);
            Path p = manifests.resolve(resolved.filepath());
            List<String> old = List.of();
            if (Files.isRegularFile(p)) {
                try {
                    old = Manifest.parse(Files.readAllBytes(p)).digests();
                } catch (IOException | StoreException e) {
                    log.warn("replacing unreadable manifest {}: {}", p, e.getMessage());
                }
            }
            writeAtomically(p, bytes);
            if (prune && !old.isEmpty()) collectGarbage(old);
            Instant mtime = Files.getLastModifiedTime(p).toInstant();
            return new StoredModel(resolved, p, manifest, Digest.hex(bytes), mtime);
        } catch (IOException e) {
            throw new StoreException("cannot write manifest of " + name.displayShortest() + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Copies the manifest file of {@code source} byte for byte to {@code destination} (blobs are shared). When that
     * replaces another model and {@code prune} is set, the replaced model's blobs that nothing references any more are
     * removed, as when a create replaces a tag (Ollama itself leaves them to the next start-up prune).
     * @return false when the source does not exist
     */
    public boolean copy(ModelName source, ModelName destination, boolean prune) {
        lock.lock();
        try {
            Optional<byte[]> bytes = readManifestBytes(source);
            if (bytes.isEmpty()) return false;
            Path src = manifestPath(source);
            Path dst = manifestPath(destination);
            if (src.equals(dst)) return true;
            List<String> old = List.of();
            if (prune && Files.isRegularFile(dst)) {
                try {
                    old = Manifest.parse(Files.readAllBytes(dst)).digests();
                } catch (StoreException e) {
                    log.warn("replacing unreadable manifest {}: {}", dst, e.getMessage());
                }
            }
            writeAtomically(dst, bytes.get());
            if (!old.isEmpty()) collectGarbage(old);
            return true;
        } catch (IOException e) {
            throw new StoreException("cannot copy " + source.displayShortest() + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the manifest of {@code name}, the directories left empty, and the blobs of that manifest no other
     * manifest references.
     * @return false when there is no such model
     */
    public boolean delete(ModelName name) {
        if (!name.isValid()) return false;
        lock.lock();
        try {
            Path p = manifestPath(name);
            if (!Files.isRegularFile(p)) return false;
            List<String> digests = List.of();
            try {
                digests = Manifest.parse(Files.readAllBytes(p)).digests();
            } catch (StoreException e) {
                log.warn("deleting corrupt manifest {}: {}", p, e.getMessage());
            }
            Files.delete(p);
            removeEmptyParents(p.getParent());
            collectGarbage(digests);
            return true;
        } catch (IOException e) {
            throw new StoreException("cannot delete " + name.displayShortest() + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private void removeEmptyParents(Path dir) {
        while (dir != null && dir.startsWith(manifests) && !dir.equals(manifests)) {
            try {
                Files.delete(dir);
            } catch (IOException notEmpty) {
                return;
            }
            dir = dir.getParent();
        }
    }

    /**
     * Deletes those of {@code candidates} that no manifest references and nobody has pinned; those spared only by a pin
     * are remembered so the release of the last pin collects them. Does nothing when any manifest is unreadable (its
     * references are unknown). Caller holds the lock, so no manifest changes between the check and the removal.
     */
    private void collectGarbage(Collection<String> candidates) {
        if (candidates.isEmpty()) return;
        Set<String> referenced = referencedDigests();
        if (referenced == null) {
            log.warn("a manifest is unreadable; not removing unused blobs");
            return;
        }
        for (String d : new HashSet<>(candidates)) {
            if (!Digest.isValid(d)) continue;
            String c = Digest.canonical(d);
            if (referenced.contains(c)) continue;
            if (pins.containsKey(c)) {
                sparedWhilePinned.add(c);
                continue;
            }
            try {
                Files.deleteIfExists(blobPath(d));
            } catch (IOException e) {
                log.warn("cannot remove unused blob {}: {}", d, e.getMessage());
            }
        }
    }

    /** Canonical digests referenced by all manifests, or null if some manifest cannot be read. */
    private Set<String> referencedDigests() {
        Set<String> refs = new HashSet<>();
        for (Path p : manifestFiles()) {
            try {
                for (String d : Manifest.parse(Files.readAllBytes(p)).digests()) refs.add(Digest.canonical(d));
            } catch (NoSuchFileException gone) {
                // removed meanwhile
            } catch (IOException | StoreException e) {
                return null;
            }
        }
        return refs;
    }

    // ---------------------------------------------------------------- blobs

    /** {@code blobs/sha256-<hex>} of a digest in either spelling. */
    public Path blobPath(String digest) {
        return blobs.resolve(Digest.fileName(digest));
    }

    public boolean hasBlob(String digest) {
        return Digest.isValid(digest) && Files.isRegularFile(blobPath(digest));
    }

    /** Thrown by {@link #writeBlob(InputStream, String)} when the content does not hash to the expected digest. */
    public static final class DigestMismatchException extends StoreException {
        public final String actual;

        public DigestMismatchException(String expected, String actual) {
            super("digest mismatch, expected \"" + expected + "\", got \"" + actual + "\"");
            this.actual = actual;
        }
    }

    /**
     * Streams {@code in} to a temporary file in {@code blobs/}, hashing it on the way, and renames it to its blob name.
     * @param expectedDigest {@code sha256:<hex>}, or null to accept whatever it hashes to
     * @return the {@code sha256:<hex>} digest of what was written
     * @throws DigestMismatchException when the content does not match {@code expectedDigest} (nothing is kept)
     */
    public String writeBlob(InputStream in, String expectedDigest) throws IOException {
        Path tmp = Files.createTempFile(blobs, "tmp-", ".part");
        try {
            MessageDigest md = Digest.sha256();
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), md)) {
                in.transferTo(out);
            }
            String actual = "sha256:" + HexFormat.of().formatHex(md.digest());
            if (expectedDigest != null && !expectedDigest.equals(actual)) throw new DigestMismatchException(expectedDigest, actual);
            moveInto(tmp, blobPath(actual));
            return actual;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Hashes a finished file (on the same file system as {@code blobs/}, e.g. a temporary file created there) and
     * renames it to its blob name.
     * @return its {@code sha256:<hex>} digest
     */
    public String adoptBlob(Path file) throws IOException {
        String digest = hashFile(file);
        moveInto(file, blobPath(digest));
        return digest;
    }

    private static String hashFile(Path file) throws IOException {
        MessageDigest md = Digest.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    /** Stores bytes as a blob (if not present) and returns its layer. */
    public Layer writeBlob(String mediaType, byte[] data) {
        String digest = Digest.of(data);
        Path p = blobPath(digest);
        try {
            if (!Files.isRegularFile(p) || Files.size(p) != data.length) {
                Path tmp = Files.createTempFile(blobs, "tmp-", ".part");
                try {
                    Files.write(tmp, data);
                    moveInto(tmp, p);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot write blob " + digest + ": " + e.getMessage(), e);
        }
        return new Layer(mediaType, digest, data.length);
    }

    /** Sets a blob's mtime to now, so the start-up prune's grace period protects it. */
    public void touch(String digest) {
        try {
            Files.setLastModifiedTime(blobPath(digest), FileTime.from(Instant.now()));
        } catch (IOException e) {
            // a missing blob is reported by commitManifest
        }
    }

    /**
     * Protects blobs from garbage collection until the returned lease is closed: a create pins the blobs it will
     * reference before it checks them, so a concurrent delete cannot remove them before the manifest is written.
     */
    public Lease pin(Collection<String> digests) {
        List<String> canon = digests.stream().filter(Digest::isValid).map(Digest::canonical).toList();
        lock.lock();
        try {
            for (String d : canon) pins.merge(d, 1, Integer::sum);
        } finally {
            lock.unlock();
        }
        return new Lease(canon);
    }

    /** Pinned digests; close to release. */
    public final class Lease implements AutoCloseable {
        private final List<String> digests;
        private final List<String> extra = new ArrayList<>();
        private boolean closed;

        private Lease(List<String> digests) {
            this.digests = digests;
        }

        /** Pins more digests under this lease. */
        public void add(String digest) {
            String c = Digest.canonical(digest);
            lock.lock();
            try {
                if (closed) throw new IllegalStateException("lease already released");
                pins.merge(c, 1, Integer::sum);
                extra.add(c);
            } finally {
                lock.unlock();
            }
        }

        /**
         * The model stored under {@code name} with every blob its manifest references pinned under this lease. Reading
         * the manifest and pinning happen under the store's lock, so a concurrent delete cannot remove those blobs in
         * between (as it can with {@code find} followed by {@link #add}).
         */
        public Optional<StoredModel> pinModel(ModelName name) {
            lock.lock();
            try {
                Optional<StoredModel> found = find(name);
                found.ifPresent(m -> m.manifest().digests().forEach(this::add));
                return found;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Like {@link ModelStore#adoptBlob(Path)}, with the digest pinned under this lease before the blob appears, so
         * a concurrent delete cannot remove it before the caller has pinned it.
         */
        public String adoptBlob(Path file) throws IOException {
            String digest = hashFile(file);
            add(digest);
            moveInto(file, blobPath(digest));
            return digest;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) return;
                closed = true;
                List<String> released = new ArrayList<>();
                for (String d : digests) unpin(d, released);
                for (String d : extra) unpin(d, released);
                // a delete, copy or replacing commit that ran while these were pinned left them to us
                collectGarbage(released);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Drops one pin of {@code digest}; adds it to {@code released} when that was its last pin and a GC spared it. */
    private void unpin(String digest, List<String> released) {
        Integer left = pins.computeIfPresent(digest, (k, v) -> v == 1 ? null : v - 1);
        if (left == null && sparedWhilePinned.remove(digest)) released.add(digest);
    }

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> READABLE =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");

    /** Renames a finished temporary file into place, readable by all as Ollama leaves blobs and manifests (0644). */
    private static void moveInto(Path tmp, Path target) throws IOException {
        try {
            Files.setPosixFilePermissions(tmp, READABLE);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".tmp-", ".manifest");
        try {
            Files.write(tmp, bytes);
            moveInto(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ---------------------------------------------------------------- start-up maintenance

    /** Renames {@code blobs/sha256:<x>} (old spelling) to {@code sha256-<x>}, as Ollama does at start-up. */
    public void fixBlobNames() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobs, "sha256:*")) {
            for (Path p : ds) {
                Path to = p.resolveSibling(p.getFileName().toString().replace(':', '-'));
                Files.move(p, to, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("cannot rename old blob names: {}", e.getMessage());
        }
    }

    /** How long start-up pruning keeps partial downloads ({@code sha256-<hex>-partial...}). */
    public static final Duration PARTIAL_GRACE = Duration.ofDays(7);

    /**
     * Start-up pruning: of the files in {@code blobs/} older than {@code grace}, deletes those whose name is not a
     * blob name (stale temporary files, and partial downloads older than {@link #PARTIAL_GRACE}) and blobs no manifest
     * references; then removes empty manifest directories. Skipped entirely when some manifest is unreadable.
     * @return the number of files removed
     */
    public int prune(Duration grace) {
        lock.lock();
        try {
            Set<String> referenced = referencedDigests();
            if (referenced == null) {
                log.warn("not pruning blobs: a manifest is unreadable");
                return 0;
            }
            Instant cutoff = Instant.now().minus(grace);
            int removed = 0;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobs)) {
                for (Path p : ds) {
                    if (!Files.isRegularFile(p)) continue;
                    if (Files.getLastModifiedTime(p).toInstant().isAfter(cutoff)) continue;
                    String f = p.getFileName().toString();
                    // a partial download resumes: one paused by the download queue's window may wait days for it
                    if (f.contains("-partial") && Files.getLastModifiedTime(p).toInstant().isAfter(Instant.now().minus(PARTIAL_GRACE))) continue;
                    boolean valid = Digest.isValid(f);
                    if (valid && referenced.contains(Digest.canonical(f))) continue;
                    if (valid && pins.containsKey(Digest.canonical(f))) {
                        sparedWhilePinned.add(Digest.canonical(f));
                        continue;
                    }
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
            removeEmptyDirs(manifests);
            if (removed > 0) log.info("pruned {} unused blob file(s)", removed);
            return removed;
        } catch (IOException e) {
            log.warn("pruning failed: {}", e.getMessage());
            return 0;
        } finally {
            lock.unlock();
        }
    }

    private void removeEmptyDirs(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) if (Files.isDirectory(p)) removeEmptyDirs(p);
        }
        if (!dir.equals(manifests)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                if (ds.iterator().hasNext()) return;
            }
            Files.deleteIfExists(dir);
        }
    }
}
