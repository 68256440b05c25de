package io.jollama.server.registry;

/**
 * One progress object of a pull or push (Ollama's {@code ProgressResponse}); the API writes it with empty digest
 * and zero total/completed left out ({@link io.jollama.server.api.Progress}).
 */
public record Progress(String status, String digest, long total, long completed) {

    public static Progress status(String status) {
        return new Progress(status, null, 0, 0);
    }
}
