package io.jollama.engine.model.arch;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.Model;

/** Qwen 3 (dense): NEOX rope, per-head RMSNorm of q and k before RoPE, a head size independent of dim/heads. */
public final class Qwen3 {
    private Qwen3() {}

    public static Model load(GgufFile file) throws GgufFormatException {
        if (!file.hasTensor("blk.0.attn_q_norm.weight")) throw new GgufFormatException(file.path() + ": qwen3 model without q/k norms");
        // the attention reads the per-head q and k norms
        return Llama.decoder(file, true, a -> a);
    }
}
