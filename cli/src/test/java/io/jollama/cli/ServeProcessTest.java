package io.jollama.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** {@code jollama serve} as a real process: the first start on an empty store, the offline first model, SIGTERM. */
class ServeProcessTest {

    @TempDir
    Path tmp;

    @Test
    void freshInstallAnswersOfflineAndStopsOnSigterm() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String host = "127.0.0.1:" + port;
        ProcessBuilder pb = new ProcessBuilder(Cli.command(List.of("serve"))).redirectErrorStream(true);
        pb.environment().put("OLLAMA_HOST", host);
        pb.environment().put("OLLAMA_MODELS", tmp.resolve("models").toString());
        pb.environment().put("HOME", tmp.resolve("home").toString());
        Files.createDirectories(tmp.resolve("home"));
        Process serve = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
            String banner = null;
            for (String line; banner == null && (line = out.readLine()) != null; ) if (line.startsWith("Jollama ")) banner = line;
            assertNotNull(banner);
            assertTrue(banner.contains("listening on http://" + host) && banner.contains("1 model(s)"), banner);
            Thread.ofVirtual().start(() -> out.lines().forEach(l -> { })); // keep draining the server's log

            Cli cli = new Cli(host, tmp.resolve("home"));
            Cli.Result list = cli.runProcess("list");
            assertTrue(list.out().contains("tinystories:latest"), list.toString());
            Cli.Result story = cli.exec(Cli.command(List.of("run", "tinystories", "Once upon a time")), null, Map.of());
            assertEquals(0, story.code(), story.toString());
            assertTrue(story.out().strip().split("\\s+").length >= 5, story.toString());
            Cli.Result license = cli.run("show", "tinystories", "--license");
            assertTrue(license.out().contains("MIT License"), license.toString());

            // SIGTERM: the process ends within the shutdown grace
            long t0 = System.nanoTime();
            serve.destroy();
            assertTrue(serve.waitFor(8, TimeUnit.SECONDS), "serve did not exit after SIGTERM");
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 8000);
        } finally {
            serve.destroyForcibly();
        }
        // the offer is made once: the marker stays, and a store emptied later is not filled again
        assertTrue(Files.exists(tmp.resolve("models/.jollama-bundled-model")));
    }

    @Test
    void serveHelpListsTheEnvironment() {
        Cli.Result r = new Cli("127.0.0.1:1", tmp).run("serve", "--help");
        for (String v : List.of("OLLAMA_HOST", "OLLAMA_MODELS", "OLLAMA_ORIGINS", "OLLAMA_NOPRUNE", "OLLAMA_DEBUG", "OLLAMA_KEEP_ALIVE",
                "OLLAMA_CONTEXT_LENGTH", "OLLAMA_KV_CACHE_TYPE", "OLLAMA_MAX_LOADED_MODELS", "OLLAMA_NUM_PARALLEL", "OLLAMA_MAX_QUEUE",
                "JOLLAMA_MAX_REQUEST_BODY")) {
            assertTrue(r.out().contains(v), v + "\n" + r);
        }
    }
}
