package io.jollama.server.create;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Re-quantizes a GGUF file (the engine's quantizer behind create's {@code quantize}). {@link #NONE} is used until the
 * engine provides one: it supports no target, so create answers with Ollama's unsupported-quantization error.
 */
public interface Quantizer {

    /** The upper-case file type names this quantizer can produce (e.g. {@code Q4_K_M}). */
    List<String> targets();

    /**
     * Writes {@code in} quantized to {@code target} into {@code out}.
     * @param progress receives the number of tensors done after each tensor
     */
    void quantize(Path in, Path out, String target, LongConsumer progress) throws IOException;

    Quantizer NONE = new Quantizer() {
        @Override
        public List<String> targets() {
            return List.of();
        }

        @Override
        public void quantize(Path in, Path out, String target, LongConsumer progress) {
            throw new UnsupportedOperationException("no quantizer");
        }
    };
}
