package io.jollama.engine.model.arch;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.Attention;
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
import java.util.function.UnaryOperator;

/**
 * The llama family: Llama 2 and 3.x (Llama-3 rope scaling comes as the {@code rope_freqs} tensor), Mistral,
 * TinyLlama, SmolLM. RMSNorm pre-norm blocks, grouped-query attention rotating adjacent pairs, SwiGLU, a separate
 * or tied output.
 */
public final class Llama {
    private Llama() {}

    public static Model load(GgufFile file) throws GgufFormatException {
        return decoder(file, false, UnaryOperator.identity());
    }

    /**
     * Llama's composition, which the architectures that differ from it only in their rope pairs and their attention's
     * parts (read by {@link Weights#attention}: biases, q/k norms, fused q/k/v) share; {@code attention} adjusts each
     * layer's attention (phi3 scales q first).
     */
    static Model decoder(GgufFile file, boolean neox, UnaryOperator<Attention> attention) throws GgufFormatException {
        ModelConfig c = ModelConfig.read(file, neox);
        Weights w = new Weights(file, c);
        TokenEmbedding embedding = w.tokenEmbedding(1f);
        Norm outputNorm = w.rmsNorm("output_norm.weight");
        Rope rope = Rope.of(c, c.ropeTheta(), w.ropeFreqs());
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            blocks.add(new DecoderBlock(w.rmsNorm(p + "attn_norm.weight"), attention.apply(w.attention(l, rope)),
                    w.rmsNorm(p + "ffn_norm.weight"), w.gatedFeedForward(l, GatedFeedForward.Activation.SILU)));
        }
        return new Transformer(file, c, embedding, blocks, outputNorm, w.output(embedding));
    }
}
