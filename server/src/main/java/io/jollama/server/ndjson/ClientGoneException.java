package io.jollama.server.ndjson;

/** The client closed the connection: a write found it gone, and the work writing to it should stop. */
public final class ClientGoneException extends RuntimeException {
    public ClientGoneException(Throwable cause) {
        super("client disconnected", cause, false, false);
    }
}
