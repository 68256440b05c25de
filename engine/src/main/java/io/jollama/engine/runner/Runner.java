package io.jollama.engine.runner;

import io.jollama.engine.model.KvCache;
import io.jollama.engine.model.Models;
import io.jollama.engine.model.TransformerModel;
import io.jollama.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A loaded model ready to generate: the weights, the tokenizer and the load-time settings
 * ({@code num_ctx}, {@code num_batch}). Sequences (KV caches) are made per concurrent request slot.
 */
public final class Runner implements AutoCloseable {
    private final TransformerModel model;
    private final Tokenizer tokenizer;
    private final int numCtx;
    private final int numBatch;
    private final KvCache.Type kvType;

    public Runner(TransformerModel model, Tokenizer tokenizer, int numCtx, int numBatch, KvCache.Type kvType) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.numCtx = Math.max(4, Math.min(numCtx, model.config().contextLength()));
        this.numBatch = Math.max(1, numBatch);
        this.kvType = kvType;
    }

    /** Loads a GGUF file: mapped when {@code mmap}, else read into off-heap memory; an F16 KV cache. */
    public static Runner load(Path gguf, int numCtx, int numBatch, boolean mmap) throws IOException {
        return load(gguf, numCtx, numBatch, mmap, KvCache.Type.F16);
    }

    public static Runner load(Path gguf, int numCtx, int numBatch, boolean mmap, KvCache.Type kvType) throws IOException {
        return load(java.util.List.of(gguf), numCtx, numBatch, mmap, kvType);
    }

    /** A model in one GGUF file or split over several shards (in shard order). */
    public static Runner load(java.util.List<Path> shards, int numCtx, int numBatch, boolean mmap, KvCache.Type kvType)
            throws IOException {
        TransformerModel model = Models.load(shards, mmap);
        try {
            return new Runner(model, Tokenizer.fromGguf(model.file()), numCtx, numBatch, kvType);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public TransformerModel model() { return model; }
    public Tokenizer tokenizer() { return tokenizer; }
    public int numCtx() { return numCtx; }
    public int numBatch() { return numBatch; }
    public KvCache.Type kvType() { return kvType; }

    public Sequence newSequence() {
        return new Sequence(model, tokenizer, numCtx, numBatch, kvType);
    }

    /**
     * Forward passes through both code paths, so that the first request runs compiled code: a few prompt batches
     * (matrix×matrix kernels, batched attention) and a run of single-token steps (matrix×vector kernels). The
     * cache is thrown away afterwards.
     */
    public void warmUp() {
        var cache = model.newCache(numCtx);
        try (cache) {
            int batch = Math.max(2, Math.min(Math.min(numBatch, 32), numCtx / 2));
            int steps = Math.min(16, numCtx - batch);
            int[] tokens = new int[batch + steps];
            int vocab = model.config().vocabSize();
            for (int i = 0; i < tokens.length; i++) tokens[i] = (int) ((i * 2654435761L + 1) % vocab);
            for (int round = 0; round < 3; round++) model.forward(cache, tokens, 0, batch, 0, false);
            for (int i = 0; i < steps; i++) model.forward(cache, tokens, batch + i, 1, batch + i, false);
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
