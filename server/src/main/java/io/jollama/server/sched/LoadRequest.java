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
 * @param adapters the model's LoRA adapters (GGUF), merged into the weights at load
 * @param projectors the model's vision projectors (GGUF); the first is loaded beside the model
 */
public record LoadRequest(String name, String digest, Path gguf, long size, int numCtx, int numBatch, boolean mmap,
                          java.util.List<Path> shards, java.util.List<Path> adapters, java.util.List<Path> projectors) {

    public LoadRequest(String name, String digest, Path gguf, long size, int numCtx, int numBatch, boolean mmap,
                       java.util.List<Path> shards, java.util.List<Path> adapters) {
        this(name, digest, gguf, size, numCtx, numBatch, mmap, shards, adapters, java.util.List.of());
    }

    public LoadRequest(String name, String digest, Path gguf, long size, int numCtx, int numBatch, boolean mmap) {
        this(name, digest, gguf, size, numCtx, numBatch, mmap, java.util.List.of(gguf), java.util.List.of());
    }

    public LoadRequest(String name, String digest, Path gguf, long size, int numCtx, int numBatch, boolean mmap,
                       java.util.List<Path> shards) {
        this(name, digest, gguf, size, numCtx, numBatch, mmap, shards, java.util.List.of());
    }

    /** The key of the runner: one runner per model file and set of adapters (a base and its fine-tune differ). */
    String key() {
        return key(gguf, adapters);
    }

    static String key(Path gguf, java.util.List<Path> adapters) {
        StringBuilder k = new StringBuilder(gguf.toAbsolutePath().toString());
        for (Path a : adapters) k.append('+').append(a.toAbsolutePath());
        return k.toString();
    }

    boolean sameRunner(LoadRequest other) {
        // the same weights with or without a projector (two models made from one file) need their own runner
        return numCtx == other.numCtx && numBatch == other.numBatch && mmap == other.mmap && projectors.equals(other.projectors);
    }
}
