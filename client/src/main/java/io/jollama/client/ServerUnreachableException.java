package io.jollama.client;

/** No server answers at the configured address (connection refused, unknown host, ...). */
public final class ServerUnreachableException extends OllamaException {

    private final String address;

    public ServerUnreachableException(String address, Throwable cause) {
        super(0, "could not connect to jollama at " + address + ": is it running? Start it with 'jollama serve'");
        this.address = address;
        initCause(cause);
    }

    public String address() {
        return address;
    }
}
