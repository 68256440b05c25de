package io.jollama.server.registry;

/**
 * A pull or push failure whose message is meant for the user, as Ollama words it. {@code status} is what the
 * registry answered (404, 401, 403, ...) or the kind of a local failure (499 cancelled, 507 no disk space, 500); the
 * pull code branches on it (retry with a fresh token, "file does not exist"). It is not the API's answer: the API
 * layer ({@code api.ApiErrors}) answers every failed pull or push with 500, as Ollama does.
 */
public final class RegistryException extends RuntimeException {

    private final int status;

    public RegistryException(int status, String message) {
        super(message);
        this.status = status;
    }

    public RegistryException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
