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

/** Qwen 3 (dense): NEOX rope, per-head RMSNorm of q and k before RoPE, a head size independent of dim/heads. */
public final class Qwen3 {
    private Qwen3() {}

    public static Model load(GgufFile file) throws GgufFormatException {
        if (!file.hasTensor("blk.0.attn_q_norm.weight")) throw new GgufFormatException(file.path() + ": qwen3 model without q/k norms");
        ModelConfig c = ModelConfig.read(file, true);
        Weights w = new Weights(file, c);
        TokenEmbedding embedding = w.tokenEmbedding(1f);
        Norm outputNorm = w.rmsNorm("output_norm.weight");
        Rope rope = Rope.of(c, c.ropeTheta(), w.ropeFreqs());
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            // the attention reads the per-head q and k norms
            blocks.add(new DecoderBlock(w.rmsNorm(p + "attn_norm.weight"), w.attention(l, rope),
                    w.rmsNorm(p + "ffn_norm.weight"), w.gatedFeedForward(l, GatedFeedForward.Activation.SILU)));
        }
        return new Transformer(file, c, embedding, blocks, outputNorm, w.output(embedding));
    }
}
