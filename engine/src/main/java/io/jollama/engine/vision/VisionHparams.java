package io.jollama.engine.vision;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.Attention;
import io.jollama.engine.model.Block;
import io.jollama.engine.model.DecoderBlock;
import io.jollama.engine.model.LayerNorm;
import io.jollama.engine.model.ModelConfig;
import io.jollama.engine.model.PlainFeedForward;
import io.jollama.engine.model.Weights;
import io.jollama.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** The {@code clip.vision.*} hyper-parameters, and the ViT parts both families read the same way. */
record VisionHparams(GgufFile file, int imageSize, int patch, int dim, int ffnDim, int layers, int heads, float eps,
                     float[] mean, float[] std, PlainFeedForward.Activation activation, ModelConfig config, Weights weights) {

    static VisionHparams read(GgufFile f) throws GgufFormatException {
        int size = required(f, "clip.vision.image_size"), patch = required(f, "clip.vision.patch_size");
        int dim = required(f, "clip.vision.embedding_length"), heads = required(f, "clip.vision.attention.head_count");
        int layers = required(f, "clip.vision.block_count"), ffn = required(f, "clip.vision.feed_forward_length");
        if (dim % heads != 0) throw new GgufFormatException(f.path() + ": " + dim + " values cannot be split over " + heads + " heads");
        if (f.getInt("clip.vision.attention.head_count_kv", heads) != heads || f.getInt("clip.vision.attention.head_dim", dim / heads) != dim / heads) {
            throw new GgufFormatException(f.path() + ": grouped or resized attention heads in a vision tower are not supported");
        }
        if (size % patch != 0) throw new GgufFormatException(f.path() + ": image size " + size + " is not a multiple of the patch size " + patch);
        float eps = f.getFloat("clip.vision.attention.layer_norm_epsilon", 1e-6f);
        float[] mean = f.getFloats("clip.vision.image_mean"), std = f.getFloats("clip.vision.image_std");
        if (mean == null || std == null || mean.length < 3 || std.length < 3) {
            throw new GgufFormatException(f.path() + ": clip.vision.image_mean/image_std must have 3 values");
        }
        boolean gelu = f.getBool("clip.use_gelu", false), silu = f.getBool("clip.use_silu", false);
        if (silu) throw new GgufFormatException(f.path() + ": a SiLU vision feed-forward is not supported yet");
        int positions = (size / patch) * (size / patch) + 1;
        ModelConfig config = new ModelConfig("clip", dim, layers, heads, heads, dim / heads, dim / heads, ffn, 0, positions,
                eps, 10000f, dim / heads, false, 1f);
        return new VisionHparams(f, size, patch, dim, ffn, layers, heads, eps, mean, std,
                gelu ? PlainFeedForward.Activation.GELU : PlainFeedForward.Activation.GELU_QUICK, config, new Weights(f, config));
    }

    /** The patch embedding ({@code v.patch_embd.weight}, ggml shape [patch, patch, 3, dim]) as a [3·patch², dim] matrix. */
    Tensor patchWeight() throws GgufFormatException {
        var info = file.tensor("v.patch_embd.weight");
        if (info == null) throw new GgufFormatException(file.path() + ": missing tensor v.patch_embd.weight");
        long[] s = info.shape();
        if (s.length != 4 || s[0] != patch || s[1] != patch || s[2] != 3 || s[3] != dim) {
            throw new GgufFormatException(file.path() + ": tensor v.patch_embd.weight has shape " + java.util.Arrays.toString(s)
                    + ", expected [" + patch + ", " + patch + ", 3, " + dim + "]");
        }
        Tensor t = Tensor.of(file, info);
        return new Tensor(t.name(), t.type(), new long[]{3L * patch * patch, dim}, t.data());
    }

    /** The learned positions, {@code rows × dim} (F32 or F16 in the file). */
    float[] positions(int rows) throws GgufFormatException {
        return weights.vector("v.position_embd.weight", rows * dim);
    }

    LayerNorm layerNorm(String name) throws GgufFormatException {
        float[] w = weights.optionalVector(name + ".weight", dim);
        if (w == null) return null;
        float[] b = weights.optionalVector(name + ".bias", dim);
        return new LayerNorm(w, b == null ? new float[dim] : b, eps);
    }

    /**
     * The first {@code count} ViT blocks: LayerNorm, attention with biases (no positions: they were added to the
     * input), LayerNorm, feed-forward. Older LLaVA conversions stored {@code ffn_up} and {@code ffn_down} under each
     * other's names; as llama.cpp does, they are recognised by shape and swapped back.
     */
    List<Block> blocks(int count) throws GgufFormatException {
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < count; l++) {
            String p = "v.blk." + l + ".";
            Attention attention = new Attention(l, config,
                    matrix(p + "attn_q.weight", dim, dim), matrix(p + "attn_k.weight", dim, dim), matrix(p + "attn_v.weight", dim, dim),
                    matrix(p + "attn_out.weight", dim, dim),
                    weights.optionalVector(p + "attn_q.bias", dim), weights.optionalVector(p + "attn_k.bias", dim),
                    weights.optionalVector(p + "attn_v.bias", dim), null, null, null, null, 0, false, true)
                    .bidirectional(weights.optionalVector(p + "attn_out.bias", dim));
            String up = p + "ffn_up", down = p + "ffn_down";
            var downInfo = file.tensor(down + ".weight");
            if (downInfo != null && downInfo.shape()[0] == dim) {
                String t = up;
                up = down;
                down = t;
            }
            PlainFeedForward ffn = new PlainFeedForward(matrix(up + ".weight", dim, ffnDim), weights.optionalVector(up + ".bias", ffnDim),
                    matrix(down + ".weight", ffnDim, dim), weights.optionalVector(down + ".bias", dim), activation);
            LayerNorm ln1 = layerNorm(p + "ln1"), ln2 = layerNorm(p + "ln2");
            if (ln1 == null || ln2 == null) throw new GgufFormatException(file.path() + ": missing tensor " + p + (ln1 == null ? "ln1" : "ln2") + ".weight");
            blocks.add(new DecoderBlock(ln1, attention, ln2, ffn));
        }
        return blocks;
    }

    /** A matrix of {@code rows} rows of {@code cols} values, repacked for the packed kernels when its type has them. */
    Tensor matrix(String name, int cols, int rows) throws GgufFormatException {
        return weights.packed(weights.matrix(name, cols, rows));
    }

    private static int required(GgufFile g, String key) throws GgufFormatException {
        long v = g.getLong(key, -1);
        if (v <= 0 || v > Integer.MAX_VALUE) throw new GgufFormatException(g.path() + ": missing or invalid metadata " + key);
        return (int) v;
    }
}
