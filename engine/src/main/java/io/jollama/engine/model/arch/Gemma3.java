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

/**
 * Gemma 3 (text): embeddings scaled by √dim, per-head q/k RMS norms, q scaled by 1/√head_dim before attention,
 * norms after the attention and feed-forward parts, a GEGLU feed-forward, and local layers with a sliding window
 * and their own RoPE base ({@code rope.freq_base_swa}); every {@code sliding_window_pattern}-th layer is global.
 * The norm weights are stored as the final multipliers (the converter adds Gemma's +1).
 */
public final class Gemma3 {
    private Gemma3() {}

    public static Model load(GgufFile file) throws GgufFormatException {
        if (!file.hasTensor("blk.0.post_ffw_norm.weight")) throw new GgufFormatException(file.path() + ": gemma3 model without post norms");
        ModelConfig c = ModelConfig.read(file, true);
        Weights w = new Weights(file, c);
        TokenEmbedding embedding = w.tokenEmbedding((float) Math.sqrt(c.dim()));
        Norm outputNorm = w.rmsNorm("output_norm.weight");
        float[] freqs = w.ropeFreqs();
        Rope global = Rope.of(c, c.ropeTheta(), freqs);
        Rope local = Rope.of(c, file.getFloat("gemma3.rope.freq_base_swa", 10000f), freqs);
        int window = file.getInt("gemma3.attention.sliding_window", 0);
        int pattern = file.getInt("gemma3.attention.sliding_window_pattern", 6);
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            boolean isLocal = window > 0 && pattern > 0 && (l + 1) % pattern != 0;
            Attention attention = w.attention(l, isLocal ? local : global).scalingQueryFirst().withWindow(isLocal ? window : 0);
            blocks.add(new DecoderBlock(w.rmsNorm(p + "attn_norm.weight"), attention, w.rmsNorm(p + "post_attention_norm.weight"),
                    w.rmsNorm(p + "ffn_norm.weight"), w.gatedFeedForward(l, GatedFeedForward.Activation.GELU),
                    w.rmsNorm(p + "post_ffw_norm.weight")));
        }
        return new Transformer(file, c, embedding, blocks, outputNorm, w.output(embedding));
    }
}
