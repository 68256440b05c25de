package io.jollama.server.queue;

/** The queue's database failed (not the client's fault: a 500). */
public final class QueueException extends RuntimeException {
    public QueueException(String message, Throwable cause) {
        super(message, cause);
    }
}
