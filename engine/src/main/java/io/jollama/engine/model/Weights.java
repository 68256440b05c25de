package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.tensor.Dequant;
import io.jollama.engine.tensor.Repack;
import io.jollama.engine.tensor.Tensor;

import java.util.Arrays;

/**
 * Reads a model's weights from its GGUF file by llama.cpp's tensor names, checking shapes and types, and builds the
 * common blocks from them. Matrices are repacked for the packed kernels (in place when the weights were read into
 * memory); norms and biases are read as float arrays.
 */
public final class Weights {
    private final GgufFile file;
    private final ModelConfig config;

    public Weights(GgufFile file, ModelConfig config) {
        this.file = file;
        this.config = config;
    }

    public boolean has(String name) {
        return file.hasTensor(name);
    }

    /** The token embeddings, times {@code scale}; packed when the output projection shares the table. */
    public TokenEmbedding tokenEmbedding(float scale) throws GgufFormatException {
        Tensor table = matrix("token_embd.weight", config.dim(), config.vocabSize());
        return new TokenEmbedding(has("output.weight") ? table : packed(table), scale);
    }

    /** The output projection: {@code output.weight}, or the (tied) embedding table, whose rows are read back through Repack. */
    public Tensor output(TokenEmbedding embedding) throws GgufFormatException {
        return has("output.weight") ? packed(matrix("output.weight", config.dim(), config.vocabSize())) : embedding.table();
    }

    /** Llama 3's rope frequency factors ({@code rope_freqs.weight}), or null. */
    public float[] ropeFreqs() throws GgufFormatException {
        return optionalVector("rope_freqs.weight", config.ropeDim() / 2);
    }

    /**
     * The attention of a layer as llama.cpp names its parts: {@code attn_q/k/v} (or one fused {@code attn_qkv}
     * whose row ranges are used as views, phi3), {@code attn_output}, and when present the q/k/v biases and the
     * per-head q/k norms.
     */
    public Attention attention(int layer, Rope rope) throws GgufFormatException {
        ModelConfig c = config;
        int dim = c.dim();
        String p = "blk." + layer + ".";
        Tensor[] qkv = has(p + "attn_qkv.weight")
                ? rows(matrix(p + "attn_qkv.weight", dim, c.qDim() + c.kvDim() + c.vDim()), c.qDim(), c.kvDim(), c.vDim())
                : new Tensor[]{matrix(p + "attn_q.weight", dim, c.qDim()), matrix(p + "attn_k.weight", dim, c.kvDim()),
                        matrix(p + "attn_v.weight", dim, c.vDim())};
        float[] qNorm = optionalVector(p + "attn_q_norm.weight", c.headDim());
        float[] kNorm = optionalVector(p + "attn_k_norm.weight", c.headDim());
        return new Attention(layer, c, packed(qkv[0]), packed(qkv[1]), packed(qkv[2]),
                packed(matrix(p + "attn_output.weight", c.heads() * c.headDimV(), dim)),
                optionalVector(p + "attn_q.bias", c.qDim()),
                optionalVector(p + "attn_k.bias", c.kvDim()),
                optionalVector(p + "attn_v.bias", c.vDim()),
                null,
                qNorm == null ? null : new RmsNorm(qNorm, c.rmsEps()),
                kNorm == null ? null : new RmsNorm(kNorm, c.rmsEps()),
                rope, 0, false, true);
    }

    /** The gated feed-forward of a layer: {@code ffn_gate} and {@code ffn_up}, or one fused {@code ffn_up} (gate rows first, phi3). */
    public GatedFeedForward gatedFeedForward(int layer, GatedFeedForward.Activation activation) throws GgufFormatException {
        ModelConfig c = config;
        int dim = c.dim();
        String p = "blk." + layer + ".";
        Tensor[] gateUp = has(p + "ffn_gate.weight")
                ? new Tensor[]{matrix(p + "ffn_gate.weight", dim, c.ffnDim()), matrix(p + "ffn_up.weight", dim, c.ffnDim())}
                : rows(matrix(p + "ffn_up.weight", dim, 2 * c.ffnDim()), c.ffnDim(), c.ffnDim());
        return new GatedFeedForward(packed(gateUp[0]), packed(gateUp[1]), packed(matrix(p + "ffn_down.weight", c.ffnDim(), dim)), activation);
    }

    /** An RMSNorm over the model width with the config's epsilon. */
    public RmsNorm rmsNorm(String name) throws GgufFormatException {
        return new RmsNorm(vector(name, config.dim()), config.rmsEps());
    }

    /** A matrix of {@code rows} rows of {@code cols} values, in the file's layout. */
    public Tensor matrix(String name, int cols, int rows) throws GgufFormatException {
        var info = file.tensor(name);
        if (info == null) throw new GgufFormatException(file.path() + ": missing tensor " + name);
        if (info.shape()[0] != cols || info.rows() != rows) {
            throw new GgufFormatException(file.path() + ": tensor " + name + " has shape " + Arrays.toString(info.shape())
                    + ", expected [" + cols + ", " + rows + "]");
        }
        if (!info.type().supported) throw new GgufFormatException(file.path() + ": tensor " + name + " has type " + info.type() + ", which Jollama cannot compute with yet");
        return Tensor.of(file, info);
    }

    /** The matrix repacked for the packed kernels when its type has a packed layout (else as it is). */
    public Tensor packed(Tensor t) {
        return Repack.pack(t, file.arena());
    }

    /** Consecutive row ranges of a matrix as matrices of their own (views of the same bytes). */
    public static Tensor[] rows(Tensor t, int... counts) {
        Tensor[] out = new Tensor[counts.length];
        long offset = 0;
        for (int i = 0; i < counts.length; i++) {
            long bytes = counts[i] * t.rowBytes();
            out[i] = new Tensor(t.name() + "[" + i + "]", t.type(), new long[]{t.shape()[0], counts[i]}, t.data().asSlice(offset, bytes));
            offset += bytes;
        }
        return out;
    }

    public float[] vector(String name, int len) throws GgufFormatException {
        float[] v = optionalVector(name, len);
        if (v == null) throw new GgufFormatException(file.path() + ": missing tensor " + name);
        return v;
    }

    /** A vector of {@code len} values as floats, or null when the file has no such tensor. */
    public float[] optionalVector(String name, int len) throws GgufFormatException {
        var info = file.tensor(name);
        if (info == null) return null;
        if (info.elementCount() != len) throw new GgufFormatException(file.path() + ": tensor " + name + " has " + info.elementCount() + " values, expected " + len);
        return Dequant.all(Tensor.of(file, info));
    }
}
