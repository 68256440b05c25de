package io.jollama.engine.model.arch;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.Attention;
import io.jollama.engine.model.BertEmbedding;
import io.jollama.engine.model.Block;
import io.jollama.engine.model.EncoderBlock;
import io.jollama.engine.model.FeedForward;
import io.jollama.engine.model.GatedFeedForward;
import io.jollama.engine.model.LayerNorm;
import io.jollama.engine.model.Model;
import io.jollama.engine.model.ModelConfig;
import io.jollama.engine.model.PlainFeedForward;
import io.jollama.engine.model.Pooling;
import io.jollama.engine.model.Rope;
import io.jollama.engine.model.Transformer;
import io.jollama.engine.model.Weights;
import io.jollama.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Encoders for embeddings: {@code bert} (all-minilm, bge, mxbai-embed-large, snowflake-arctic-embed: absolute
 * positions, q/k/v and output biases, a GELU feed-forward with biases) and {@code nomic-bert} (nomic-embed-text:
 * NEOX rotary positions, one fused q/k/v matrix, a SwiGLU feed-forward without biases). Both: token-type row 0 and
 * a LayerNorm on the input, post-norm blocks with bidirectional attention, and the pooling of
 * {@code <arch>.pooling_type}.
 */
public final class Bert {
    private Bert() {}

    public static Model load(GgufFile file) throws GgufFormatException {
        String arch = file.getString("general.architecture", "");
        boolean nomic = arch.equals("nomic-bert");
        ModelConfig read = ModelConfig.read(file, true);
        float eps = file.getFloat(arch + ".attention.layer_norm_epsilon", 1e-12f);
        ModelConfig c = new ModelConfig(read.architecture(), read.dim(), read.layers(), read.heads(), read.kvHeads(), read.headDim(),
                read.headDimV(), read.ffnDim(), read.vocabSize(), read.contextLength(), eps, read.ropeTheta(), read.ropeDim(),
                true, read.ropeFreqScale());
        Pooling pooling;
        try {
            pooling = Pooling.ofGguf(file.getLong(arch + ".pooling_type", 1));
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(file.path() + ": " + e.getMessage());
        }
        Weights w = new Weights(file, c);
        int dim = c.dim();
        float[] typeRow = null;
        if (w.has("token_types.weight")) {
            Tensor types = w.matrix("token_types.weight", dim, (int) file.tensor("token_types.weight").rows());
            typeRow = new float[dim];
            io.jollama.engine.tensor.Dequant.row(types, 0, typeRow, 0);
        }
        Tensor positions = nomic ? null : w.matrix("position_embd.weight", dim, c.contextLength());
        BertEmbedding embedding = new BertEmbedding(w.tokenEmbedding(1f), typeRow, positions, layerNorm(w, "token_embd_norm", dim, eps));
        Rope rope = nomic ? Rope.of(c, c.ropeTheta(), null) : null;
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            Attention attention = w.attention(l, rope).bidirectional(w.optionalVector(p + "attn_output.bias", dim));
            FeedForward ffn = nomic
                    ? w.gatedFeedForward(l, GatedFeedForward.Activation.SILU)
                    : new PlainFeedForward(w.packed(w.matrix(p + "ffn_up.weight", dim, c.ffnDim())), w.optionalVector(p + "ffn_up.bias", c.ffnDim()),
                            w.packed(w.matrix(p + "ffn_down.weight", c.ffnDim(), dim)), w.optionalVector(p + "ffn_down.bias", dim));
            blocks.add(new EncoderBlock(attention, layerNorm(w, p + "attn_output_norm", dim, eps), ffn, layerNorm(w, p + "layer_output_norm", dim, eps)));
        }
        return Transformer.encoder(file, c, embedding, blocks, pooling);
    }

    private static LayerNorm layerNorm(Weights w, String name, int dim, float eps) throws GgufFormatException {
        return new LayerNorm(w.vector(name + ".weight", dim), w.vector(name + ".bias", dim), eps);
    }
}
