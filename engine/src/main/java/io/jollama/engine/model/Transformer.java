package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A transformer composed of blocks: the input embedding, the blocks in order, a final norm and the output projection
 * (the embedding table itself when tied); or, for an encoder, the blocks' hidden states pooled into embeddings.
 * Architectures build one from the blocks they need ({@code model.arch}).
 * A forward pass runs a {@link Batch} through every block: the projections go through the matrix×matrix kernels
 * for a batch and matrix×vector for a single token.
 */
public final class Transformer implements Model {
    private final GgufFile file;
    private final ModelConfig config;
    private final Embedding embedding;
    private final List<Block> blocks;
    private final Norm outputNorm;
    private final Tensor output;
    private final Pooling pooling;
    private final boolean encoder;

    /** A causal decoder: logits from the output projection; its embeddings are the mean of its final normed states. */
    public Transformer(GgufFile file, ModelConfig config, Embedding embedding, List<Block> blocks, Norm outputNorm, Tensor output) {
        this(file, config, embedding, blocks, outputNorm, output, Pooling.MEAN, false);
    }

    private Transformer(GgufFile file, ModelConfig config, Embedding embedding, List<Block> blocks, Norm outputNorm, Tensor output,
                        Pooling pooling, boolean encoder) {
        if (blocks.size() != config.layers()) throw new IllegalArgumentException(blocks.size() + " blocks for " + config.layers() + " layers");
        this.file = file;
        this.config = config;
        this.embedding = embedding;
        this.blocks = List.copyOf(blocks);
        this.outputNorm = outputNorm;
        this.output = output;
        this.pooling = pooling;
        this.encoder = encoder;
    }

    /** An encoder (BERT): bidirectional blocks, no cache, no output projection; its hidden states are pooled. */
    public static Transformer encoder(GgufFile file, ModelConfig config, Embedding embedding, List<Block> blocks, Pooling pooling) {
        return new Transformer(file, config, embedding, blocks, null, null, pooling, true);
    }

    @Override
    public boolean encoder() {
        return encoder;
    }

    @Override
    public Pooling pooling() {
        return pooling;
    }

    @Override
    public List<float[]> embed(List<int[]> inputs) {
        if (!encoder) throw new UnsupportedOperationException("a decoder's embeddings come from its sequences");
        float[] hidden = forward(Batch.encode(inputs), Output.HIDDEN);
        List<float[]> out = new ArrayList<>(inputs.size());
        int from = 0;
        for (int[] in : inputs) {
            out.add(pooling.pool(hidden, from, in.length, config.dim()));
            from += in.length;
        }
        return out;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public GgufFile file() {
        return file;
    }

    @Override
    public KvCache newCache(int capacity, KvCache.Type type) {
        // an encoder attends within its batch: it keeps nothing between passes
        return new KvCache(config, encoder ? 0 : capacity, type);
    }

    @Override
    public float[] forward(Batch b, Output result) {
        int n = b.size();
        for (int i = 0; i < n; i++) {
            if (encoder != (b.caches()[i] == null)) throw new IllegalArgumentException(encoder ? "an encoder's batch has no caches" : "a decoder's batch needs a cache per token");
            if (encoder) {
                if (b.positions()[i] >= config.contextLength()) throw new IllegalArgumentException("input of more than " + config.contextLength() + " tokens");
            } else if (b.positions()[i] + 1 > b.caches()[i].capacity) {
                throw new IllegalArgumentException("context overflow: " + (b.positions()[i] + 1) + " > " + b.caches()[i].capacity);
            }
        }
        ForwardPass p = new ForwardPass(b);
        // vectors given in place of tokens (an image's embeddings) are used as they are: Gemma's √dim scale is for tokens
        float[] x = b.embeddings() != null ? b.embeddings().clone() : embedding.lookup(b);
        for (Block block : blocks) block.forward(p, x);
        int dim = config.dim();
        if (outputNorm == null) {
            if (result != Output.HIDDEN) throw new UnsupportedOperationException("an encoder has no logits");
            return x;
        }
        int first = result == Output.LAST_LOGITS ? n - 1 : 0;
        int m = n - first;
        float[] normed = new float[m * dim];
        for (int i = 0; i < m; i++) outputNorm.apply(normed, i * dim, x, (first + i) * dim);
        if (result == Output.HIDDEN) return normed;
        float[] logits = new float[m * config.vocabSize()];
        ForwardPass.project(output, normed, m, logits, b.exact());
        return logits;
    }

    @Override
    public void shiftCache(KvCache cache, int keep, int discard, int used) {
        int moved = used - keep - discard;
        cache.moveRows(keep + discard, keep, moved);
        for (Block block : blocks) block.shiftKeys(cache, keep, moved, -discard);
    }

    @Override
    public void close() {
        file.close();
    }
}
