package io.jollama.engine.model.arch;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.Model;

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
        // the fused matrices are split into views by Weights
        return Llama.decoder(file, true, a -> a.scalingQueryFirst());
    }
}
