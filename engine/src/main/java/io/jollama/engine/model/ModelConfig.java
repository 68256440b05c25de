package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;

/**
 * Hyper-parameters of a decoder-only transformer, read from the {@code <arch>.*} GGUF keys.
 *
 * @param headDim      width of one query/key head ({@code attention.key_length}, else dim / heads)
 * @param headDimV     width of one value head ({@code attention.value_length}, else headDim)
 * @param ropeDim      leading dimensions of each head that RoPE rotates ({@code rope.dimension_count})
 * @param ropeNeox     true for NEOX-style pairs (i, i + ropeDim/2), false for adjacent pairs (2i, 2i+1)
 * @param ropeFreqScale 1 / linear rope scaling factor
 */
public record ModelConfig(
        String architecture,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int headDimV,
        int ffnDim,
        int vocabSize,
        int contextLength,
        float rmsEps,
        float ropeTheta,
        int ropeDim,
        boolean ropeNeox,
        float ropeFreqScale) {

    public int qDim() { return heads * headDim; }
    public int kvDim() { return kvHeads * headDim; }
    public int vDim() { return kvHeads * headDimV; }

    public static ModelConfig read(GgufFile g, boolean ropeNeox) throws GgufFormatException {
        String arch = g.getString("general.architecture", "");
        int dim = required(g, arch + ".embedding_length");
        int heads = required(g, arch + ".attention.head_count");
        int headDim = g.getInt(arch + ".attention.key_length", heads > 0 ? dim / heads : 0);
        var emb = g.tensor("token_embd.weight");
        if (emb == null || emb.shape().length != 2) throw new GgufFormatException(g.path() + ": missing tensor token_embd.weight");
        float freqScale = 1f;
        String scaling = g.getString(arch + ".rope.scaling.type", "none");
        if (scaling.equals("linear")) {
            float factor = g.getFloat(arch + ".rope.scaling.factor", 1f);
            if (factor > 0) freqScale = 1f / factor;
        }
        ModelConfig c = new ModelConfig(arch, dim,
                required(g, arch + ".block_count"),
                heads,
                g.getInt(arch + ".attention.head_count_kv", heads),
                headDim,
                g.getInt(arch + ".attention.value_length", headDim),
                required(g, arch + ".feed_forward_length"),
                (int) emb.shape()[1],
                g.getInt(arch + ".context_length", 2048),
                g.getFloat(arch + ".attention.layer_norm_rms_epsilon", 1e-5f),
                g.getFloat(arch + ".rope.freq_base", 10000f),
                g.getInt(arch + ".rope.dimension_count", headDim),
                ropeNeox,
                freqScale);
        if (c.heads <= 0 || c.kvHeads <= 0 || c.heads % c.kvHeads != 0) {
            throw new GgufFormatException(g.path() + ": " + c.heads + " attention heads cannot be grouped over " + c.kvHeads + " key/value heads");
        }
        if (c.ropeDim > c.headDim || c.ropeDim % 2 != 0) throw new GgufFormatException(g.path() + ": rope dimension " + c.ropeDim + " does not fit head size " + c.headDim);
        return c;
    }

    private static int required(GgufFile g, String key) throws GgufFormatException {
        long v = g.getLong(key, -1);
        if (v <= 0 || v > Integer.MAX_VALUE) throw new GgufFormatException(g.path() + ": missing or invalid metadata " + key);
        return (int) v;
    }
}
