package io.jollama.server.registry;

import io.jollama.server.Progress;
import io.jollama.server.store.Layer;
import io.jollama.server.store.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import tools.jackson.databind.JsonNode;

/**
 * Pull and push of models over Ollama's registry protocol (OLLAMA-COMPAT §4), emitting Ollama's progress
 * statuses. One instance serves the whole server: it shares the HTTP client and the running downloads (so two
 * pulls of the same model download each blob once).
 */
public final class Registry {

    /**
     * @param download part planning/retries of downloads
     * @param uploadPartSize bytes per PATCH when pushing (Ollama plans uploads like downloads; 0 = same plan)
     * @param progressInterval how often a waiting pull/push reports progress (Ollama: 60 ms)
     * @param freeSpace usable bytes of the file system holding a directory (replaceable in tests)
     */
    public record Options(BlobDownloader.Options download, long uploadPartSize, Duration progressInterval,
                          ToLongFunction<Path> freeSpace, String userAgent) {
        public static Options defaults() {
            return new Options(BlobDownloader.Options.DEFAULT, 0, Duration.ofMillis(60), Registry::usableSpace,
                    defaultUserAgent());
        }

        public Options withDownload(BlobDownloader.Options d) {
            return new Options(d, uploadPartSize, progressInterval, freeSpace, userAgent);
        }

        public Options withUploadPartSize(long size) {
            return new Options(download, size, progressInterval, freeSpace, userAgent);
        }

        public Options withFreeSpace(ToLongFunction<Path> f) {
            return new Options(download, uploadPartSize, progressInterval, f, userAgent);
        }
    }

    private final ModelStorage storage;
    private final RequestSigner signer;
    private final Options options;
    private HttpClient secureHttp; // made on first use: a server that never pulls starts no client threads
    private HttpClient plainHttp;
    private final BlobDownloader downloader;

    public Registry(ModelStorage storage, RequestSigner signer, Options options) {
        this.storage = storage;
        this.signer = signer;
        this.options = options;
        this.downloader = new BlobDownloader(options.download());
    }

    public RegistryClient client(RegistryName name, boolean insecure) {
        return new RegistryClient(http(insecure), name, insecure, signer, options.userAgent());
    }

    private synchronized HttpClient http(boolean insecure) {
        if (insecure) {
            // plain-http registries: HTTP/1.1 avoids the h2c upgrade dance some small registries dislike
            if (plainHttp == null) {
                plainHttp = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                        .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build();
            }
            return plainHttp;
        }
        if (secureHttp == null) {
            secureHttp = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                    .connectTimeout(Duration.ofSeconds(30)).build();
        }
        return secureHttp;
    }

    // ---- pull ------------------------------------------------------------------------------------------------

    /**
     * Pulls a model: manifest, then every missing blob (verified), then the manifest is written. Throws
     * {@link RegistryException} with Ollama's wording; partial downloads stay for the next attempt.
     */
    public void pull(RegistryName name, boolean insecure, Consumer<Progress> progress) {
        progress.accept(Progress.status("pulling manifest"));
        requireSchemeAllowed(name, insecure);
        RegistryClient client = client(name, insecure);
        byte[] manifestBytes;
        try {
            manifestBytes = client.manifest();
        } catch (RegistryException e) {
            if (e.status() == 404) throw new RegistryException(404, "pull model manifest: file does not exist", e);
            throw new RegistryException(e.status(), "pull model manifest: " + e.getMessage(), e);
        }
        Manifest manifest = ManifestReader.read(manifestBytes);
        List<Layer> blobs = manifest.blobs();
        requireSpace(blobs);
        try (ModelStorage.Pin pin = storage.pin(blobs.stream().map(Layer::digest).toList())) {
            pullBlobs(client, blobs, progress);
            progress.accept(Progress.status("writing manifest"));
            if (storage.writeManifest(name, manifestBytes)) progress.accept(Progress.status("removing unused layers"));
        } catch (IOException e) {
            throw ioFailure("write manifest", e);
        }
        progress.accept(Progress.status("success"));
    }

    private void pullBlobs(RegistryClient client, List<Layer> blobs, Consumer<Progress> progress) {
        for (Layer layer : blobs) {
            String status = "pulling " + Digests.shortHex(layer.digest());
            if (Files.exists(storage.blobPath(layer.digest()))) {
                progress.accept(new Progress(status, layer.digest(), layer.size(), layer.size()));
                continue;
            }
            BlobDownloader.Download d = downloader.acquire(storage, client, layer.digest(), layer.size());
            try {
                waitFor(d, status, progress);
            } finally {
                d.release();
            }
        }
        progress.accept(Progress.status("verifying sha256 digest"));
        for (Layer layer : blobs) {
            // downloads were verified before they got their name; this guards against a blob lost meanwhile
            if (!Files.exists(storage.blobPath(layer.digest()))) {
                throw new RegistryException(500, "blob " + layer.digest() + " is missing after download");
            }
        }
    }

    private void waitFor(BlobDownloader.Download d, String status, Consumer<Progress> progress) {
        long interval = options.progressInterval().toMillis();
        while (true) {
            try {
                d.done().get(interval, TimeUnit.MILLISECONDS);
                progress.accept(new Progress(status, d.digest(), d.total(), d.total()));
                return;
            } catch (TimeoutException e) {
                progress.accept(new Progress(status, d.digest(), d.total(), d.completed()));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RegistryException re) throw re;
                Throwable c = e.getCause();
                throw new RegistryException(500, RegistryClient.describe(c), c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(499, "request canceled", e);
            }
        }
    }

    /** Refuses to start a pull that cannot fit, before anything is written. */
    private void requireSpace(List<Layer> blobs) {
        long need = 0;
        for (Layer l : blobs) {
            Path blob = storage.blobPath(l.digest());
            if (Files.exists(blob)) continue;
            Path partial = blob.resolveSibling(blob.getFileName() + "-partial");
            // a sparse partial file holds at most its written parts; counting it whole keeps the check simple
            need += Files.exists(partial) ? 0 : l.size();
        }
        if (need == 0) return;
        try {
            Files.createDirectories(storage.blobsDir());
        } catch (IOException e) {
            throw ioFailure("create " + storage.blobsDir(), e);
        }
        long free = options.freeSpace().applyAsLong(storage.blobsDir());
        if (free >= 0 && free < need) {
            throw new RegistryException(507, "not enough disk space to pull this model: it needs "
                    + humanBytes(need) + " but only " + humanBytes(free) + " is free in " + storage.blobsDir());
        }
    }

    // ---- push ------------------------------------------------------------------------------------------------

    /** Pushes a local model: missing blobs through upload sessions, then the manifest. */
    public void push(RegistryName name, boolean insecure, Consumer<Progress> progress) {
        progress.accept(Progress.status("retrieving manifest"));
        requireSchemeAllowed(name, insecure);
        Optional<byte[]> local = read(name);
        if (local.isEmpty()) {
            progress.accept(Progress.status("couldn't retrieve manifest"));
            throw new RegistryException(404, "model \"" + name.displayShortest() + "\" not found");
        }
        Manifest manifest = ManifestReader.read(local.get());
        RegistryClient client = client(name, insecure);
        for (Layer layer : manifest.blobs()) pushBlob(client, layer, progress);
        progress.accept(Progress.status("pushing manifest"));
        client.putManifest(compact(local.get()));
        progress.accept(Progress.status("success"));
    }

    private void pushBlob(RegistryClient client, Layer layer, Consumer<Progress> progress) {
        String status = "pushing " + Digests.shortHex(layer.digest());
        Path file = storage.blobPath(layer.digest());
        if (!Files.exists(file)) throw new RegistryException(404, "blob " + layer.digest() + " not found");
        if (client.blobExists(layer.digest())) {
            progress.accept(new Progress(status, layer.digest(), layer.size(), layer.size()));
            return;
        }
        RegistryClient.UploadSession session = client.startUpload(layer.digest(), mountSource(layer.from()));
        if (session.mounted()) {
            progress.accept(new Progress(status, layer.digest(), layer.size(), layer.size()));
            return;
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw ioFailure("read " + file, e);
        }
        long partSize = options.uploadPartSize() > 0 ? options.uploadPartSize()
                : Math.clamp(size / 16, options.download().minPartSize(), options.download().maxPartSize());
        progress.accept(new Progress(status, layer.digest(), size, 0));
        URI url = session.uploadUri();
        List<byte[]> partMd5s = new ArrayList<>();
        long sent = 0;
        for (long off = 0; off < size; off += partSize) {
            long len = Math.min(partSize, size - off);
            partMd5s.add(md5(file, off, len));
            url = uploadPartReporting(client, url, file, off, len, new Progress(status, layer.digest(), size, sent),
                    progress);
            sent += len;
        }
        String etag = etag(partMd5s);
        URI finalUrl = url;
        retry(() -> client.finishUpload(finalUrl, layer.digest(), etag));
        progress.accept(new Progress(status, layer.digest(), size, size));
    }

    /** Uploads one part on its own thread while this one reports progress every interval, as Ollama does. */
    private URI uploadPartReporting(RegistryClient client, URI url, Path file, long offset, long length,
                                    Progress before, Consumer<Progress> progress) {
        AtomicLong inFlight = new AtomicLong();
        java.util.concurrent.CompletableFuture<URI> part = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().name("push-part").start(() -> {
            try {
                part.complete(uploadWithRetries(client, url, file, offset, length, inFlight));
            } catch (Throwable t) {
                part.completeExceptionally(t);
            }
        });
        while (true) {
            try {
                URI next = part.get(options.progressInterval().toMillis(), TimeUnit.MILLISECONDS);
                progress.accept(new Progress(before.status(), before.digest(), before.total(), before.completed() + length));
                return next;
            } catch (TimeoutException e) {
                long now = before.completed() + Math.min(inFlight.get(), length);
                progress.accept(new Progress(before.status(), before.digest(), before.total(), now));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RegistryException re) throw re;
                throw new RegistryException(500, RegistryClient.describe(e.getCause()), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(499, "request canceled", e);
            }
        }
    }

    private URI uploadWithRetries(RegistryClient client, URI url, Path file, long offset, long length,
                                  AtomicLong inFlight) {
        URI[] next = new URI[1];
        retry(() -> {
            inFlight.set(0);
            try {
                next[0] = client.uploadPart(url, file, offset, length, inFlight::addAndGet);
            } catch (IOException e) {
                throw new RegistryException(500, RegistryClient.describe(e), e);
            }
        });
        return next[0];
    }

    private void retry(Runnable action) {
        int attempts = options.download().attempts();
        for (int i = 1; ; i++) {
            try {
                action.run();
                return;
            } catch (RegistryException e) {
                if (i >= attempts || e.status() == 401 || e.status() == 403 || e.status() == 499) throw e;
                try {
                    Thread.sleep(options.download().retryDelay().toMillis() << (i - 1));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new RegistryException(499, "request canceled", ie);
                }
            }
        }
    }

    /** {@code from} holds the display name of the model a layer came from; its repository is the mount source. */
    private static String mountSource(String from) {
        if (from == null || from.isEmpty() || from.contains(".gguf") || from.startsWith("/")) return null;
        String n = from.contains(":") ? from.substring(0, from.lastIndexOf(':')) : from;
        String[] parts = n.split("/");
        if (parts.length == 1) return "library/" + parts[0];
        return parts[parts.length - 2] + "/" + parts[parts.length - 1];
    }

    /** Ollama re-serialises the manifest compactly (no trailing newline) before the PUT. */
    static byte[] compact(byte[] manifest) {
        JsonNode tree = ManifestReader.JSON.readTree(manifest);
        return ManifestReader.JSON.writeValueAsBytes(tree);
    }

    static String etag(List<byte[]> partMd5s) {
        MessageDigest md5 = md5Digest();
        for (byte[] m : partMd5s) md5.update(m);
        return HexFormat.of().formatHex(md5.digest()) + "-" + partMd5s.size();
    }

    private static byte[] md5(Path file, long off, long len) {
        MessageDigest md5 = md5Digest();
        try (InputStream in = Files.newInputStream(file)) {
            in.skipNBytes(off);
            byte[] buf = new byte[1 << 20];
            for (long left = len; left > 0; ) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) throw new IOException("unexpected end of " + file);
                md5.update(buf, 0, n);
                left -= n;
            }
        } catch (IOException e) {
            throw ioFailure("read " + file, e);
        }
        return md5.digest();
    }

    private static MessageDigest md5Digest() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- shared ----------------------------------------------------------------------------------------------

    private static void requireSchemeAllowed(RegistryName name, boolean insecure) {
        if (name.scheme().equalsIgnoreCase("http") && !insecure) {
            throw new RegistryException(500, "insecure protocol http");
        }
    }

    private Optional<byte[]> read(RegistryName name) {
        try {
            return storage.readManifest(name);
        } catch (IOException e) {
            throw ioFailure("read manifest", e);
        }
    }

    private static RegistryException ioFailure(String what, IOException e) {
        if (BlobDownloader.isDiskFull(e)) return new RegistryException(507, what + ": no space left on device", e);
        return new RegistryException(500, what + ": " + RegistryClient.describe(e), e);
    }

    static long usableSpace(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return -1; // unknown: let the download try
        }
    }

    static String humanBytes(long n) {
        if (n < 1000) return n + " B";
        String[] units = {"KB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String defaultUserAgent() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        arch = switch (arch) {
            case "x86_64", "amd64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        os = os.startsWith("mac") ? "darwin" : os.startsWith("windows") ? "windows" : os;
        // registries (Hugging Face among them) recognise Ollama clients by this prefix; 0.33.0 is the Ollama
        // release whose behaviour Jollama follows (OLLAMA-COMPAT.md)
        return "ollama/0.33.0 (" + arch + " " + os + ") Java/" + Runtime.version().feature()
                + " jollama/" + io.jollama.engine.Version.VERSION;
    }
}
