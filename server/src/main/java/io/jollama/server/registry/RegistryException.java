package io.jollama.server.registry;

/**
 * A pull or push failure whose message is meant for the user, as Ollama words it. {@code status} is the HTTP
 * status the API should answer with when nothing has been streamed yet (Ollama uses 500 for most of them).
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
