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

/** Qwen 1.5/2/2.5: llama's blocks with NEOX rope and biases on the q, k and v projections. */
public final class Qwen2 {
    private Qwen2() {}

    public static Model load(GgufFile file) throws GgufFormatException {
        if (!file.hasTensor("blk.0.attn_q.bias")) throw new GgufFormatException(file.path() + ": qwen2 model without attention biases");
        ModelConfig c = ModelConfig.read(file, true);
        Weights w = new Weights(file, c);
        TokenEmbedding embedding = w.tokenEmbedding(1f);
        Norm outputNorm = w.rmsNorm("output_norm.weight");
        Rope rope = Rope.of(c, c.ropeTheta(), w.ropeFreqs());
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            // the attention reads the q, k and v biases
            blocks.add(new DecoderBlock(w.rmsNorm(p + "attn_norm.weight"), w.attention(l, rope),
                    w.rmsNorm(p + "ffn_norm.weight"), w.gatedFeedForward(l, GatedFeedForward.Activation.SILU)));
        }
        return new Transformer(file, c, embedding, blocks, outputNorm, w.output(embedding));
    }
}
