package io.jollama.client;

/**
 * An error the server answered with: the HTTP status and the server's {@code error} text. An error line inside a
 * stream (after a 200 response had started) carries status 200.
 */
public class OllamaException extends RuntimeException {

    private final int status;

    public OllamaException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
