package io.jollama.server.sched;

/** A request the scheduler cannot serve; the API layer turns its {@link Reason} into a status (as Ollama's handleScheduleError). */
public final class SchedulerException extends RuntimeException {

    public enum Reason {
        /** Too many requests are waiting ({@code OLLAMA_MAX_QUEUE}). */
        QUEUE_FULL,
        /** The server is closing. */
        SHUTTING_DOWN,
        /** The client went away (or the thread was interrupted) while the request waited or ran. */
        CANCELLED,
        /** The model could not be loaded. */
        LOAD_FAILED,
        /** The model work failed with an unexpected checked exception. */
        FAILED
    }

    private final Reason reason;

    public SchedulerException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
