package io.jollama.engine.model.arch;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.Block;
import io.jollama.engine.model.DecoderBlock;
import io.jollama.engine.model.GatedFeedForward;
import io.jollama.engine.model.Model;
import io.jollama.engine.model.ModelConfig;
import io.jollama.engine.model.Norm;
import io.jollama.engine.model.Rope;
import io.jollama.engine.model.TokenEmbedding;
import io.jollama.engine.model.Transformer;
import io.jollama.engine.model.Weights;

import java.util.ArrayList;
import java.util.List;

/**
 * Phi-3 and Phi-4 ({@code general.architecture = phi3}): q, k and v in one fused matrix ({@code attn_qkv}), gate and
 * up in one ({@code ffn_up}, gate rows first), NEOX rope, and q scaled by 1/√head_dim before attention.
 * Long-context rope factors ({@code rope_factors_long/short}) are not supported yet.
 */
public final class Phi3 {
    private Phi3() {}

    public static Model load(GgufFile file) throws GgufFormatException {
        if (file.hasTensor("rope_factors_long.weight")) {
            throw new GgufFormatException(file.path() + ": phi3 with long-context rope factors is not supported yet");
        }
        ModelConfig c = ModelConfig.read(file, true);
        Weights w = new Weights(file, c);
        TokenEmbedding embedding = w.tokenEmbedding(1f);
        Norm outputNorm = w.rmsNorm("output_norm.weight");
        Rope rope = Rope.of(c, c.ropeTheta(), w.ropeFreqs());
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            // the fused matrices are split into views by Weights
            blocks.add(new DecoderBlock(w.rmsNorm(p + "attn_norm.weight"), w.attention(l, rope).scalingQueryFirst(),
                    w.rmsNorm(p + "ffn_norm.weight"), w.gatedFeedForward(l, GatedFeedForward.Activation.SILU)));
        }
        return new Transformer(file, c, embedding, blocks, outputNorm, w.output(embedding));
    }
}
