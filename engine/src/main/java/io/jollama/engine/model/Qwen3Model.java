package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;

/** Qwen 3 (dense): NEOX rope, per-head RMSNorm of q and k before RoPE, a head size independent of dim/heads. */
public final class Qwen3Model extends TransformerModel {
    Qwen3Model(GgufFile file) throws GgufFormatException {
        super(file, ModelConfig.read(file, true));
        if (!file.hasTensor("blk.0.attn_q_norm.weight")) throw new GgufFormatException(file.path() + ": qwen3 model without q/k norms");
    }
}
