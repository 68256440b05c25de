package io.jollama.server.registry;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Optional;

/**
 * What pull and push need from the model store. Blob files are named {@code sha256-<hex>} in {@link #blobsDir()};
 * downloads keep their in-progress data beside them as {@code sha256-<hex>-partial} (+ {@code -partial-N} part
 * states) and rename it to the blob name only after the SHA-256 checked out.
 */
public interface ModelStorage {

    Path blobsDir();

    default Path blobPath(String digest) {
        return blobsDir().resolve(Digests.fileName(digest));
    }

    /** The stored manifest bytes of a name, if any. */
    Optional<byte[]> readManifest(RegistryName name) throws IOException;

    /**
     * Stores manifest bytes verbatim under the name, atomically replacing any older manifest; then, if the store
     * prunes, deletes the replaced manifest's blobs that nothing references any more.
     * @return whether any blob was removed (pull then reports {@code removing unused layers})
     */
    boolean writeManifest(RegistryName name, byte[] manifest) throws IOException;

    /** Keeps these blobs from being garbage-collected until the returned handle is closed (a pull in progress). */
    default Pin pin(Collection<String> digests) {
        return () -> {};
    }

    /** A pin on blobs; closing it lets garbage collection consider them again. */
    interface Pin extends AutoCloseable {
        @Override
        void close();
    }
}
