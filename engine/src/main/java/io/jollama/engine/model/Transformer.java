package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.tensor.Tensor;

import java.util.List;

/**
 * A transformer composed of blocks: token embeddings, the blocks in order, a final norm and the output projection
 * (the embedding table itself when tied). Architectures build one from the blocks they need ({@code model.arch}).
 * A forward pass runs a {@link Batch} through every block: the projections go through the matrix×matrix kernels
 * for a batch and matrix×vector for a single token.
 */
public final class Transformer implements Model {
    private final GgufFile file;
    private final ModelConfig config;
    private final TokenEmbedding embedding;
    private final List<Block> blocks;
    private final Norm outputNorm;
    private final Tensor output;

    public Transformer(GgufFile file, ModelConfig config, TokenEmbedding embedding, List<Block> blocks, Norm outputNorm, Tensor output) {
        if (blocks.size() != config.layers()) throw new IllegalArgumentException(blocks.size() + " blocks for " + config.layers() + " layers");
        this.file = file;
        this.config = config;
        this.embedding = embedding;
        this.blocks = List.copyOf(blocks);
        this.outputNorm = outputNorm;
        this.output = output;
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
        return new KvCache(config, capacity, type);
    }

    @Override
    public float[] forward(Batch b, Output result) {
        int n = b.size();
        for (int i = 0; i < n; i++) {
            if (b.positions()[i] + 1 > b.caches()[i].capacity) {
                throw new IllegalArgumentException("context overflow: " + (b.positions()[i] + 1) + " > " + b.caches()[i].capacity);
            }
        }
        ForwardPass p = new ForwardPass(b);
        float[] x = embedding.lookup(b);
        for (Block block : blocks) block.forward(p, x);
        int dim = config.dim();
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
