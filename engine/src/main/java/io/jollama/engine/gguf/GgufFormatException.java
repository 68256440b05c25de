package io.jollama.engine.gguf;

import java.io.IOException;

/** A GGUF file that cannot be read: the message names the file and what is wrong with it. */
public final class GgufFormatException extends IOException {
    public GgufFormatException(String message) {
        super(message);
    }
}
