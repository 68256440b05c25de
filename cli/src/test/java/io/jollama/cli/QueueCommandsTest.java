package io.jollama.cli;

import io.jollama.client.Api;
import io.jollama.client.OllamaClient;
import io.jollama.engine.TestData;
import io.jollama.engine.gguf.GgufSplitter;
import io.jollama.server.JollamaServer;
import io.jollama.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code jollama pull --queue}, {@code queue}, {@code queue rm}, {@code queue run}, {@code hf}, and {@code create} from a
 * split GGUF against a live server whose off-peak window is closed now (in the test JVM; the queued pull as a process).
 */
class QueueCommandsTest {

    @TempDir
    static Path tmp;
    static JollamaServer server;
    static Cli cli;

    @BeforeAll
    static void start() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        DateTimeFormatter hhmm = DateTimeFormatter.ofPattern("HH:mm");
        LocalTime now = LocalTime.now();
        String window = now.plusHours(2).format(hhmm) + "-" + now.plusHours(3).format(hhmm); // closed for two hours
        server = JollamaServer.start(ServerConfig.local(0, tmp.resolve("models")).withEnv(Map.of(
                "JOLLAMA_DB", tmp.resolve("jollama.db").toString(), "JOLLAMA_QUEUE_WINDOW", window,
                "HF_ENDPOINT", "http://127.0.0.1:" + closedPort, "JOLLAMA_DISK_THRESHOLD", "100", "JOLLAMA_CATALOG_REFRESH", "0")));
        Files.createDirectories(tmp.resolve("home"));
        cli = new Cli("127.0.0.1:" + server.port(), tmp.resolve("home"));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static Path modelfile(Path dir, String from) throws IOException {
        Path mf = dir.resolve("Modelfile");
        Files.writeString(mf, "FROM " + from + "\nPARAMETER temperature 0\nPARAMETER num_predict 24\n");
        return mf;
    }

    static OllamaClient client() {
        return new OllamaClient(java.net.URI.create("http://127.0.0.1:" + server.port()));
    }

    /** The TinyStories model with greedy parameters, created through the API. */
    static void create(OllamaClient client, String model) throws IOException {
        Path gguf = TestData.path("models/stories260K-f32.gguf");
        String digest = OllamaClient.digest(gguf);
        if (!client.blobExists(digest)) client.createBlob(digest, gguf);
        client.create(new Api.CreateRequest(model, null, Map.of("stories.gguf", digest), null, null, null, null,
                Map.of("temperature", 0, "num_predict", 24), null, null, null, null, null, null), p -> {});
    }

    /** The greedy story of a model (its parameters say temperature 0). */
    static String story(String model) {
        StringBuilder b = new StringBuilder();
        client().generate(Api.GenerateRequest.of(model, "Once upon a time"), r -> b.append(r.response()));
        return b.toString();
    }

    @Test
    void queueCommandsThroughTheServer() throws Exception {
        try (MiniRegistry registry = new MiniRegistry()) {
            String name = registry.host() + "/me/tiny:v1";
            // set-up in-process: a model in the registry that the server does not have
            OllamaClient client = client();
            create(client, "tiny");
            client.copy("tiny", name);
            client.push(new Api.PushRequest(name, true, null), p -> {});
            client.delete(name);

            Cli.Result queued = cli.runProcess("pull", "--queue", "--insecure", name);
            assertEquals(0, queued.code(), queued.toString());
            assertEquals("Model " + name + " added to download queue (queue id 1)\n4 of 5 queue requests left today\n", queued.out());

            Cli.Result hf = cli.run("hf", "someone/Some-Model-GGUF", "--quant", "Q8_0");
            assertEquals(0, hf.code(), hf.toString()); // Hugging Face unreachable: queued unchecked
            assertTrue(hf.out().startsWith("HuggingFace model someone/Some-Model-GGUF added to download queue (queue id 2)\n"), hf.out());
            assertTrue(hf.out().contains("model hf.co/someone/Some-Model-GGUF:Q8_0"), hf.out());

            Cli.Result bad = cli.run("hf", "not-a-repo");
            assertEquals(1, bad.code());
            assertEquals("Error: invalid repo_id: \"not-a-repo\" is not a Hugging Face repository id (owner/name)\n", bad.err());

            Cli.Result list = cli.run("queue");
            assertEquals(0, list.code(), list.toString());
            String[] lines = list.out().split("\n");
            assertTrue(lines[0].matches("ID\\s+MODEL\\s+TYPE\\s+STATUS\\s+PROGRESS\\s+QUEUED"), list.out());
            assertTrue(lines[1].matches("1\\s+" + java.util.regex.Pattern.quote(name) + "\\s+ollama\\s+pending\\s+-\\s+.*"), list.out());
            assertTrue(lines[2].matches("2\\s+hf\\.co/someone/Some-Model-GGUF:Q8_0\\s+huggingface\\s+pending\\s+-\\s+.*"), list.out());
            assertTrue(client.list().models().stream().anyMatch(m -> m.name().equals("* " + name + " [QUEUED]")),
                    "queued entries in the model list");

            Cli.Result rm = cli.run("queue", "rm", "hf.co/someone/Some-Model-GGUF:Q8_0");
            assertEquals(0, rm.code(), rm.toString());
            Cli.Result rmAgain = cli.run("queue", "rm", "hf.co/someone/Some-Model-GGUF:Q8_0");
            assertEquals(1, rmAgain.code());
            assertEquals("Error: not in queue: Model hf.co/someone/Some-Model-GGUF:Q8_0 not in queue (or already processing)\n", rmAgain.err());

            Cli.Result run = cli.run("queue", "run");
            assertEquals(0, run.code(), run.toString());
            assertEquals("processing the download queue now (1 pending)\n", run.out());
            long end = System.nanoTime() + 30_000_000_000L;
            while (client.list().models().stream().noneMatch(m -> m.name().equals(name))) {
                if (System.nanoTime() > end) fail("not downloaded: " + cli.run("queue").out());
                Thread.sleep(100);
            }
            Cli.Result after = cli.run("queue");
            assertTrue(after.out().matches("(?s)ID\\s+MODEL\\s+TYPE\\s+STATUS\\s+PROGRESS\\s+QUEUED\n\nID\\s+MODEL\\s+RESULT\\s+FINISHED\n"
                    + "1\\s+" + java.util.regex.Pattern.quote(name) + "\\s+completed\\s+.*"), after.out());
        }
    }

    @Test
    void createFromTheFirstShardOfASplitGgufUploadsEveryShard() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "split");
        GgufSplitter.split(TestData.path("models/stories260K-f32.gguf"), dir, "stories", 3);
        create(client(), "whole");
        Cli.Result create = cli.run("create", "splitty", "-f", modelfile(dir, "./stories-00001-of-00003.gguf").toString());
        assertEquals(0, create.code(), create.toString());
        assertEquals(3, create.out().lines().filter(l -> l.startsWith("copying file")).count(), create.out());
        String split = story("splitty");
        assertTrue(split.length() > 20, split);
        assertEquals(story("whole"), split);

        Files.delete(dir.resolve("stories-00002-of-00003.gguf"));
        Cli.Result missing = cli.run("create", "broken", "-f", modelfile(dir, "./stories-00001-of-00003.gguf").toString());
        assertEquals(1, missing.code());
        assertEquals("Error: split GGUF stories-00001-of-00003.gguf: shard stories-00002-of-00003.gguf is missing\n", missing.err());
    }
}
