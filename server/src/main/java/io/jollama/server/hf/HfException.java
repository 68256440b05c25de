package io.jollama.server.hf;

/**
 * A Hugging Face import problem, worded for the user: {@code error} is the short form the Ollama clients show,
 * {@code getMessage()} the detail. {@code permanent} failures (no such repository, no such quant) are not retried.
 */
public final class HfException extends RuntimeException {

    private final int status;
    private final String error;
    private final boolean permanent;

    public HfException(int status, String error, String message, boolean permanent) {
        super(message);
        this.status = status;
        this.error = error;
        this.permanent = permanent;
    }

    public HfException(int status, String error, String message, boolean permanent, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.error = error;
        this.permanent = permanent;
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    public boolean permanent() {
        return permanent;
    }
}
