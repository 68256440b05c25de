package io.jollama.cli;

import io.jollama.client.OllamaClient;
import io.jollama.client.OllamaException;

/**
 * What {@code jollama --version} prints: Jollama's own version beside the Ollama API version the server reports
 * (its {@code /api/version}), or a warning when no server answers.
 */
final class VersionCommand {

    private VersionCommand() {}

    static String[] lines(Invocation invocation) {
        String own = "jollama version is " + io.jollama.engine.Version.VERSION;
        try {
            String api = OllamaClient.fromEnvironment(invocation.env()).version();
            return new String[]{own + " (Ollama API " + api + ")"};
        } catch (OllamaException | java.io.UncheckedIOException e) {
            return new String[]{"Warning: could not connect to a running Jollama instance",
                    own + " (Ollama API " + io.jollama.engine.Version.OLLAMA_API_VERSION + ")"};
        }
    }
}
