package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;

/** Qwen 1.5/2/2.5: NEOX rope and biases on the q, k and v projections. */
public final class Qwen2Model extends TransformerModel {
    Qwen2Model(GgufFile file) throws GgufFormatException {
        super(file, ModelConfig.read(file, true));
        if (!file.hasTensor("blk.0.attn_q.bias")) throw new GgufFormatException(file.path() + ": qwen2 model without attention biases");
    }
}
