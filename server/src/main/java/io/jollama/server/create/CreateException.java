package io.jollama.server.create;

/** A create request that cannot be carried out as asked (bad Modelfile, missing blob, unsupported input); the message is for the client. */
public final class CreateException extends RuntimeException {
    public CreateException(String message) {
        super(message);
    }
}
