package io.jollama.server.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Ollama's on-disk model store: {@link Manifests} ({@code manifests/<host>/<namespace>/<model>/<tag>}), {@link Blobs}
 * ({@code blobs/sha256-<hex>}) and their garbage collection ({@link BlobCollector}).
 * <p>
 * Thread-safe. Every change to the set of manifests and every garbage collection runs under one lock, and blobs a
 * create in progress is about to reference can be {@linkplain #pin pinned}, so a concurrent delete never removes a
 * blob that a manifest references or is about to. Reading never takes the lock: a reader sees a manifest whole or not
 * at all.
 */
public final class ModelStore {

    private static final Logger log = LoggerFactory.getLogger(ModelStore.class);

    private final Path root;
    private final Manifests manifests;
    private final Blobs blobs;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}. */
    private final BlobCollector collector;

    /** A store rooted at {@code root} (Ollama's {@code OLLAMA_MODELS}); the directories are created if missing. */
    public ModelStore(Path root) {
        this.root = root.toAbsolutePath();
        this.manifests = new Manifests(this.root.resolve("manifests"));
        this.blobs = new Blobs(this.root.resolve("blobs"));
        this.collector = new BlobCollector(manifests, blobs);
        try {
            Files.createDirectories(manifests.dir());
            Files.createDirectories(blobs.dir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the model store at " + root + ": " + e.getMessage(), e);
        }
    }

    public Path root() { return root; }
    public Path manifestsDir() { return manifests.dir(); }
    public Path blobsDir() { return blobs.dir(); }
    public Manifests manifests() { return manifests; }
    public Blobs blobs() { return blobs; }

    // ---------------------------------------------------------------- names and manifests

    /** See {@link Manifests#resolve}. */
    public ModelName resolve(ModelName name) {
        return manifests.resolve(name);
    }

    /** The manifest file of a (valid) name, after case resolution. */
    public Path manifestPath(ModelName name) {
        return manifests.path(name);
    }

    /** See {@link Manifests#find}. */
    public Optional<StoredModel> find(ModelName name) {
        return manifests.find(name);
    }

    /** The raw bytes of a manifest, or empty. */
    public Optional<byte[]> readManifestBytes(ModelName name) {
        return manifests.readBytes(name);
    }

    /** See {@link Manifests#list}. */
    public List<Manifests.Entry> list() {
        return manifests.list();
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
            Path p = manifests.dir().resolve(resolved.filepath());
            List<String> old = List.of();
            if (Files.isRegularFile(p)) {
                try {
                    old = Manifest.parse(Files.readAllBytes(p)).digests();
                } catch (IOException | StoreException e) {
                    log.warn("replacing unreadable manifest {}: {}", p, e.getMessage());
                }
            }
            Manifests.writeAtomically(p, bytes);
            if (prune && !old.isEmpty()) collector.collect(old);
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
            Manifests.writeAtomically(dst, bytes.get());
            if (!old.isEmpty()) collector.collect(old);
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
            manifests.remove(p);
            collector.collect(digests);
            return true;
        } catch (IOException e) {
            throw new StoreException("cannot delete " + name.displayShortest() + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- blobs

    /** {@code blobs/sha256-<hex>} of a digest in either spelling. */
    public Path blobPath(String digest) {
        return blobs.path(digest);
    }

    public boolean hasBlob(String digest) {
        return blobs.has(digest);
    }

    /** See {@link Blobs#write(InputStream, String)}. */
    public String writeBlob(InputStream in, String expectedDigest) throws IOException {
        return blobs.write(in, expectedDigest);
    }

    /**
     * Hashes a finished file (on the same file system as {@code blobs/}, e.g. a temporary file created there) and
     * renames it to its blob name.
     * @return its {@code sha256:<hex>} digest
     */
    public String adoptBlob(Path file) throws IOException {
        String digest = Blobs.hash(file);
        blobs.adopt(file, digest);
        return digest;
    }

    /** Stores bytes as a blob (if not present) and returns its layer. */
    public Layer writeBlob(String mediaType, byte[] data) {
        return blobs.write(mediaType, data);
    }

    /** Sets a blob's mtime to now, so the start-up prune's grace period protects it. */
    public void touch(String digest) {
        blobs.touch(digest);
    }

    // ---------------------------------------------------------------- pins

    /**
     * Protects blobs from garbage collection until the returned pin is closed: a create pins the blobs it will
     * reference before it checks them, so a concurrent delete cannot remove them before the manifest is written.
     */
    public Pin pin(Collection<String> digests) {
        List<String> canon = digests.stream().filter(Digest::isValid).map(Digest::canonical).toList();
        lock.lock();
        try {
            for (String d : canon) collector.pin(d);
        } finally {
            lock.unlock();
        }
        return new Pin(canon);
    }

    /** Pinned digests; close to release. */
    public final class Pin implements AutoCloseable {
        private final List<String> digests;
        private final List<String> extra = new ArrayList<>();
        private boolean closed;

        private Pin(List<String> digests) {
            this.digests = digests;
        }

        /** Pins more digests under this pin. */
        public void add(String digest) {
            String c = Digest.canonical(digest);
            lock.lock();
            try {
                if (closed) throw new IllegalStateException("lease already released");
                collector.pin(c);
                extra.add(c);
            } finally {
                lock.unlock();
            }
        }

        /**
         * The model stored under {@code name} with every blob its manifest references pinned under this pin. Reading
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
         * Like {@link ModelStore#adoptBlob(Path)}, with the digest pinned under this pin before the blob appears, so
         * a concurrent delete cannot remove it before the caller has pinned it.
         */
        public String adoptBlob(Path file) throws IOException {
            String digest = Blobs.hash(file);
            add(digest);
            blobs.adopt(file, digest);
            return digest;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) return;
                closed = true;
                List<String> released = new ArrayList<>();
                for (String d : digests) collector.unpin(d, released);
                for (String d : extra) collector.unpin(d, released);
                // a delete, copy or replacing commit that ran while these were pinned left them to us
                collector.collect(released);
            } finally {
                lock.unlock();
            }
        }
    }

    // ---------------------------------------------------------------- start-up maintenance

    /** Renames {@code blobs/sha256:<x>} (old spelling) to {@code sha256-<x>}, as Ollama does at start-up. */
    public void fixBlobNames() {
        blobs.fixNames();
    }

    /** See {@link BlobCollector#prune}. */
    public int prune(Duration grace) {
        lock.lock();
        try {
            return collector.prune(grace);
        } finally {
            lock.unlock();
        }
    }
}
