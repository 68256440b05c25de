package io.jollama.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs a script with the real ollama-js client (the npm package {@code ollama}), installed where
 * {@code JOLLAMA_OLLAMA_JS} says ({@code .ci/run} installs it there from the npm registry); without it the calling
 * test is skipped.
 */
public final class OllamaJs {
    private OllamaJs() {}

    /** The script's last line of output, after it exited with 0. */
    public static String run(Path dir, String script, String... args) throws Exception {
        String modules = System.getenv("JOLLAMA_OLLAMA_JS");
        assumeTrue(modules != null && Files.isDirectory(Path.of(modules, "node_modules", "ollama")),
                "JOLLAMA_OLLAMA_JS names no directory with node_modules/ollama");
        Path file = Files.createTempFile(dir, "client", ".cjs");
        Files.writeString(file, script);
        List<String> cmd = new ArrayList<>(List.of("node", file.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("NODE_PATH", Path.of(modules, "node_modules").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return out.strip().lines().reduce((a, b) -> b).orElseThrow();
    }
}
