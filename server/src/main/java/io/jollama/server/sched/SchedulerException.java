package io.jollama.server.sched;

/** A request the scheduler cannot serve, with the HTTP status Ollama gives it (503 busy, 500 load failure, ...). */
public final class SchedulerException extends RuntimeException {
    private final int status;

    public SchedulerException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
