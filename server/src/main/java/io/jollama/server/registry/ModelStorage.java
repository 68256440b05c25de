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

    /** Stores manifest bytes verbatim under the name, atomically replacing any older manifest. */
    void writeManifest(RegistryName name, byte[] manifest) throws IOException;

    /**
     * Deletes those of the candidate digests that no manifest references any more (after a pull replaced a tag)
     * and returns how many blobs were removed. A store that does not prune returns 0.
     */
    int removeUnusedBlobs(Collection<String> candidateDigests) throws IOException;
}
