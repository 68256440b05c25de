package io.jollama.cli;

import io.jollama.client.OllamaClient;

/** The client every command except {@code serve} talks through: the server at {@code OLLAMA_HOST}, checked alive. */
final class Client {

    private Client() {}

    /** A client of the server at {@code OLLAMA_HOST}; throws a one-line error if no server is running there. */
    static OllamaClient connect(Invocation io) {
        OllamaClient client = OllamaClient.fromEnvironment(io.env());
        client.heartbeat();
        return client;
    }
}
