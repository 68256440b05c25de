package io.jollama.cli;

import io.jollama.client.OllamaClient;
import io.jollama.client.OllamaException;

/** What {@code jollama --version} prints: the server's version, and the client's when it differs (as ollama). */
final class VersionCommand {

    private VersionCommand() {}

    static String[] lines() {
        String client = io.jollama.engine.Version.VERSION;
        try {
            String server = OllamaClient.fromEnvironment().version();
            if (server.equals(client)) return new String[]{"jollama version is " + server};
            return new String[]{"jollama version is " + server, "Warning: client version is " + client};
        } catch (OllamaException | java.io.UncheckedIOException e) {
            return new String[]{"Warning: could not connect to a running Jollama instance", "Warning: client version is " + client};
        }
    }
}
