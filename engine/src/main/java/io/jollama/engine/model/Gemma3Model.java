package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;

/**
 * Gemma 3 (text): embeddings scaled by √dim, per-head q/k RMS norms, q scaled by 1/√head_dim before attention,
 * norms after the attention and feed-forward blocks, a GEGLU feed-forward, and local layers with a sliding window
 * and their own RoPE base ({@code rope.freq_base_swa}); every {@code sliding_window_pattern}-th layer is global.
 * The norm weights are stored as the final multipliers (the converter adds Gemma's +1).
 */
public final class Gemma3Model extends TransformerModel {
    Gemma3Model(GgufFile file) throws GgufFormatException {
        super(file, ModelConfig.read(file, true));
        if (!file.hasTensor("blk.0.post_ffw_norm.weight")) throw new GgufFormatException(file.path() + ": gemma3 model without post norms");
    }

    private boolean local(int layer) {
        int pattern = file.getInt("gemma3.attention.sliding_window_pattern", 6);
        return file.getInt("gemma3.attention.sliding_window", 0) > 0 && pattern > 0 && (layer + 1) % pattern != 0;
    }

    @Override
    protected int slidingWindow(int layer) {
        return local(layer) ? file.getInt("gemma3.attention.sliding_window", 0) : 0;
    }

    @Override
    protected float ropeBase(int layer) {
        return local(layer) ? file.getFloat("gemma3.rope.freq_base_swa", 10000f) : config.ropeTheta();
    }

    @Override
    protected float embeddingScale() {
        return (float) Math.sqrt(config.dim());
    }

    @Override
    protected boolean scalesQueryFirst() {
        return true;
    }

    @Override
    protected boolean geluFeedForward() {
        return true;
    }
}
