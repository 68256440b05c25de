package io.jollama.server.sched;

import java.nio.file.Path;

/**
 * What a request needs loaded: the model's weights and the load-time options that make up a runner's identity
 * ({@code num_ctx}, {@code num_batch}, {@code use_mmap}). A loaded runner with other values is reloaded.
 *
 * @param name     the short display name, shown by /api/ps
 * @param digest   the manifest digest, shown by /api/ps
 * @param gguf     the model blob
 * @param size     bytes of the model's layers (for /api/ps)
 * @param shards   every model file in order when the model is split over several GGUF shards ({@code gguf} first)
 */
public record LoadRequest(String name, String digest, Path gguf, long size, int numCtx, int numBatch, boolean mmap,
                          java.util.List<Path> shards) {

    public LoadRequest(String name, String digest, Path gguf, long size, int numCtx, int numBatch, boolean mmap) {
        this(name, digest, gguf, size, numCtx, numBatch, mmap, java.util.List.of(gguf));
    }

    /** The key of the runner: one runner per model file. */
    String key() {
        return gguf.toAbsolutePath().toString();
    }

    boolean sameRunner(LoadRequest other) {
        return numCtx == other.numCtx && numBatch == other.numBatch && mmap == other.mmap;
    }
}
