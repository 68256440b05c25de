package io.jollama.server.store;

/** A problem with the on-disk store (corrupt manifest, missing blob, I/O). The message is fit for a client. */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
