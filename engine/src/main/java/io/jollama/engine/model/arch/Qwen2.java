package io.jollama.engine.model.arch;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.Model;

/** Qwen 1.5/2/2.5: llama's blocks with NEOX rope and biases on the q, k and v projections. */
public final class Qwen2 {
    private Qwen2() {}

    public static Model load(GgufFile file) throws GgufFormatException {
        if (!file.hasTensor("blk.0.attn_q.bias")) throw new GgufFormatException(file.path() + ": qwen2 model without attention biases");
        // the attention reads the q, k and v biases
        return Llama.decoder(file, true, a -> a);
    }
}
