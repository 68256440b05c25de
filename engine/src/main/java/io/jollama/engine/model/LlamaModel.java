package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;

/**
 * The llama family: Llama 2 and 3.x (Llama-3 rope scaling comes as the {@code rope_freqs} tensor), Mistral,
 * TinyLlama, SmolLM. Rotates adjacent pairs; separate or tied output.
 */
public final class LlamaModel extends TransformerModel {
    LlamaModel(GgufFile file) throws GgufFormatException {
        super(file, ModelConfig.read(file, false));
    }
}
