package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;

/**
 * A loaded model, as the runner, sequences and the decode batcher use it: a forward pass over a {@link Batch} of
 * tokens (one sequence's prompt, or one step of several sequences, each with its own cache and positions), and its
 * cache. Architectures build one from blocks ({@link Transformer}) in their own class under {@code model.arch}.
 */
public interface Model extends AutoCloseable {

    /** What a forward pass returns. */
    enum Output {
        /** The logits of the batch's last token ({@code vocab} values). */
        LAST_LOGITS,
        /** The logits of every token ({@code n × vocab}). */
        ALL_LOGITS,
        /** The final (normed) hidden states of every token ({@code n × dim}), for embeddings. */
        HIDDEN
    }

    ModelConfig config();

    GgufFile file();

    /** Runs the batch through the model; each token's keys and values go into its cache at its position. */
    float[] forward(Batch batch, Output output);

    /** A cache of {@code capacity} positions of the given element type. */
    KvCache newCache(int capacity, KvCache.Type type);

    /** A cache of {@code capacity} positions in F16, the default of llama.cpp and Ollama. */
    default KvCache newCache(int capacity) {
        return newCache(capacity, KvCache.Type.F16);
    }

    /**
     * Shifts the cache after dropping {@code discard} positions starting at {@code keep}: rows after them move
     * down, and position-dependent keys are corrected for their new positions.
     */
    void shiftCache(KvCache cache, int keep, int discard, int used);

    /**
     * Processes {@code n} tokens at positions {@code pos .. pos+n-1} of one cache and returns the logits of the last
     * one, or of every one ({@code n × vocab}) when {@code allLogits}.
     */
    default float[] forward(KvCache cache, int[] tokens, int offset, int n, int pos, boolean allLogits) {
        return forward(Batch.of(cache, tokens, offset, n, pos), allLogits ? Output.ALL_LOGITS : Output.LAST_LOGITS);
    }

    /** As {@link #forward(KvCache, int[], int, int, int, boolean)}, but returns the final hidden states ({@code n × dim}). */
    default float[] hidden(KvCache cache, int[] tokens, int offset, int n, int pos) {
        return forward(Batch.of(cache, tokens, offset, n, pos), Output.HIDDEN);
    }

    /**
     * One step for several sequences at once (batched decoding): token i goes at position {@code positions[i]} of
     * {@code caches[i]} and attends to that cache only. The weights are read once for all of them. Returns the
     * logits of every token ({@code n × vocab}); each row equals what a forward pass of that token alone gives.
     */
    default float[] forwardEach(KvCache[] caches, int[] tokens, int[] positions) {
        return forward(Batch.each(caches, tokens, positions), Output.ALL_LOGITS);
    }

    /** Whether this is an encoder: whole inputs per pass ({@link Batch#encode}), no cache, no logits ({@link #embed}). */
    default boolean encoder() {
        return false;
    }

    /** How a sequence's hidden states become its embedding. */
    default Pooling pooling() {
        return Pooling.MEAN;
    }

    /** An encoder's embeddings of the inputs, in one forward pass over all of them; pooled, not normalised. */
    default java.util.List<float[]> embed(java.util.List<int[]> inputs) {
        throw new UnsupportedOperationException("a decoder's embeddings come from its sequences");
    }

    @Override
    void close();
}
