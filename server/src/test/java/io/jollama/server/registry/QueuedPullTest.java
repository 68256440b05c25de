package io.jollama.server.registry;

import io.jollama.server.MutableClock;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The download queue through HTTP against the in-process test registry: queued pulls ({@code JOLLAMA_PULL_QUEUE}),
 * the off-peak window on an injected clock, pause and resume when the window closes, retries, daily limits, 507,
 * duplicates, removal, and the {@code [QUEUED]} entries of {@code /api/tags}.
 */
class QueuedPullTest {

    static final ZoneId ZONE = ZoneId.of("Europe/Berlin");

    @TempDir
    Path dir;
    TestRegistry reg;
    TestServer server;
    MutableClock clock;
    byte[] weights;
    String name;

    void start(Map<String, String> env) throws Exception {
        start(env, dir.resolve("models"));
    }

    void start(Map<String, String> env, Path models) throws Exception {
        reg = new TestRegistry();
        weights = Files.readAllBytes(TestServer.storiesF32());
        byte[] config = "{\"model_format\":\"gguf\",\"model_family\":\"llama\"}\n".getBytes();
        reg.publish("library/tiny", "latest", config, weights);
        name = reg.host() + "/library/tiny:latest";
        clock = new MutableClock(ZonedDateTime.of(2026, 12, 4, 21, 0, 0, 0, ZONE));
        Map<String, String> all = new HashMap<>(Map.of("JOLLAMA_DB", dir.resolve("queue.db").toString(),
                "JOLLAMA_PULL_QUEUE", "true", "JOLLAMA_QUEUE_WINDOW", "22:00-06:00",
                "JOLLAMA_REGISTRY_RETRY_DELAY_MS", "1", "JOLLAMA_DISK_THRESHOLD", "100")); // a nearly full test disk refuses nothing
        all.putAll(env);
        server = new TestServer(ServerConfig.local(0, models).withEnv(all), clock);
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        if (reg != null) reg.close();
    }

    HttpResponse<String> pull(String model, boolean stream) {
        return server.post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true,\"stream\":" + stream + "}");
    }

    JsonNode queue() {
        HttpResponse<String> r = server.get("/api/queue");
        assertEquals(200, r.statusCode(), r.body());
        return TestServer.json(r);
    }

    /** Polls the queue (the worker runs on its own thread) until the condition holds. */
    JsonNode awaitQueue(Predicate<JsonNode> condition, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode q = null;
        while (System.nanoTime() < end) {
            server.server.context().queue().wake();
            q = queue();
            if (condition.test(q)) return q;
            Thread.sleep(20);
        }
        fail("timed out waiting for " + what + "; queue: " + q);
        return q;
    }

    static boolean completed(JsonNode q, String model) {
        for (JsonNode e : q.path("recent")) if (e.path("model").asString().equals(model) && e.path("status").asString().equals("completed")) return true;
        return false;
    }

    boolean installed(String model) {
        for (JsonNode m : TestServer.json(server.get("/api/tags")).path("models")) {
            if (m.path("name").asString().equals(model)) return true;
        }
        return false;
    }

    @Test
    void queuedPullWaitsForTheWindowThenDownloadsVerifiesListsAndGenerates() throws Exception {
        start(Map.of());
        HttpResponse<String> r = pull(name, false);
        assertEquals(202, r.statusCode(), r.body());
        JsonNode body = TestServer.json(r);
        assertEquals("queued", body.path("status").asString());
        assertEquals("Model " + name + " added to download queue", body.path("message").asString());
        long id = body.path("queue_id").asLong();
        assertTrue(id > 0);
        assertEquals(4, body.path("rate_limit").path("remaining").asInt());
        assertEquals(5, body.path("rate_limit").path("limit").asInt());

        // a duplicate is not counted
        JsonNode dup = TestServer.json(pull(name, false));
        assertEquals("already_queued", dup.path("status").asString());
        assertEquals(id, dup.path("queue_id").asLong());
        assertEquals(4, dup.path("rate_limit").path("remaining").asInt());

        // [QUEUED] in /api/tags, with an RFC 3339 timestamp
        JsonNode tags = TestServer.json(server.get("/api/tags"));
        JsonNode q0 = tags.path("models").get(0);
        assertEquals("* " + name + " [QUEUED]", q0.path("name").asString());
        assertEquals("2026-12-04T21:00:00+01:00", q0.path("modified_at").asString());
        assertEquals("queued", q0.path("details").path("family").asString());

        // outside the window nothing happens
        server.server.context().queue().wake();
        Thread.sleep(100);
        JsonNode q = queue();
        assertEquals(1, q.path("counts").path("pending").asInt());
        assertEquals("pending", q.path("queue").get(0).path("status").asString());
        assertEquals("ollama", q.path("queue").get(0).path("type").asString());
        assertEquals("127.0.0.1", q.path("queue").get(0).path("requester_ip").asString());
        assertEquals(0, reg.bytesServed.get());

        // the window opens
        clock.set(ZonedDateTime.of(2026, 12, 4, 22, 0, 0, 0, ZONE));
        q = awaitQueue(x -> completed(x, name), "the download");
        assertEquals(0, q.path("counts").path("pending").asInt());
        assertEquals(1, q.path("counts").path("completed").asInt());
        assertTrue(installed(name), "listed after download");
        assertFalse(TestServer.json(server.get("/api/tags")).toString().contains("[QUEUED]"));
        Path blob = server.models.resolve("blobs").resolve("sha256-" + TestRegistry.digest(weights).substring(7));
        assertEquals(weights.length, Files.size(blob), "verified blob in the store");

        HttpResponse<String> gen = server.post("/api/generate", "{\"model\":\"" + name
                + "\",\"prompt\":\"Once upon a time\",\"stream\":false,\"options\":{\"temperature\":0,\"num_predict\":8}}");
        assertEquals(200, gen.statusCode(), gen.body());
        assertFalse(TestServer.json(gen).path("response").asString().isBlank());

        // installed now: a pull is Ollama's immediate pull again
        HttpResponse<String> again = pull(name, false);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals("success", TestServer.json(again).path("status").asString());
    }

    @Test
    void windowClosingMidDownloadPausesAndTheNextWindowResumes() throws Exception {
        start(Map.of());
        reg.slowMillisPer8k = 8; // ~1.2 s for the model
        assertEquals(202, pull(name, false).statusCode());
        clock.set(ZonedDateTime.of(2026, 12, 4, 23, 0, 0, 0, ZONE));
        awaitQueue(x -> x.path("queue").size() == 1 && x.path("queue").get(0).path("completed").asLong() > 100_000,
                "bytes to arrive");
        clock.set(ZonedDateTime.of(2026, 12, 5, 6, 30, 0, 0, ZONE)); // the window closes
        JsonNode q = awaitQueue(x -> x.path("queue").size() == 1 && x.path("queue").get(0).path("status").asString().equals("pending"),
                "the pause");
        long kept = q.path("queue").get(0).path("completed").asLong();
        assertTrue(kept > 100_000 && kept < weights.length, "partial progress kept: " + kept);
        assertEquals(weights.length, q.path("queue").get(0).path("total").asLong());
        assertFalse(installed(name), "nothing half-visible");
        // paused: the registry stops serving (a chunk in flight when the transfer was broken off may still be
        // counted, later on a loaded machine): the count settles within seconds and then stays put
        long servedBefore = -1;
        for (int i = 0; i < 50 && servedBefore != reg.bytesServed.get(); i++) {
            servedBefore = reg.bytesServed.get();
            Thread.sleep(200);
        }
        assertEquals(servedBefore, reg.bytesServed.get(), "paused: no more bytes");
        Thread.sleep(300);
        assertEquals(servedBefore, reg.bytesServed.get(), "paused: no more bytes");

        reg.slowMillisPer8k = 0;
        clock.set(ZonedDateTime.of(2026, 12, 5, 22, 0, 0, 0, ZONE));
        awaitQueue(x -> completed(x, name), "the resumed download");
        assertTrue(installed(name));
        assertTrue(reg.bytesServed.get() < weights.length + servedBefore - 50_000,
                "resumed, not restarted: served " + reg.bytesServed.get() + " in all for " + weights.length + " bytes");
        assertTrue(reg.rangeHeaders.stream().anyMatch(h -> !h.startsWith("bytes=0-")), reg.rangeHeaders.toString());
    }

    @Test
    void theCatalogMarksAQueuedLibraryModelQueued() throws Exception {
        start(Map.of());
        assertEquals(202, pull("llama3.2:1b", false).statusCode()); // the window is closed: nothing is fetched
        JsonNode found = TestServer.json(server.get("/api/gallery/search?q=llama3.2&queued=true"));
        assertEquals(1, found.path("total").asInt(), found.toString());
        assertEquals("llama3.2", found.path("models").get(0).path("name").asString());
        assertTrue(found.path("models").get(0).path("queued").asBoolean());
    }

    @Test
    void processNowIgnoresTheWindow() throws Exception {
        start(Map.of());
        assertEquals(202, pull(name, false).statusCode());
        HttpResponse<String> run = server.post("/api/queue/run", "");
        assertEquals(202, run.statusCode(), run.body());
        assertEquals(1, TestServer.json(run).path("pending").asInt());
        awaitQueue(x -> completed(x, name), "the forced run");
        assertTrue(installed(name));
    }

    @Test
    void failuresAreRetriedWithBackoffThenFailWithTheReason() throws Exception {
        start(Map.of("JOLLAMA_QUEUE_WINDOW", ""));
        reg.failAfterBytes = 0; // every blob transfer drops
        assertEquals(202, pull(name, false).statusCode());
        JsonNode q = awaitQueue(x -> x.path("queue").size() == 1 && x.path("queue").get(0).path("attempts").asInt() == 1,
                "the first attempt");
        assertEquals("pending", q.path("queue").get(0).path("status").asString());
        assertFalse(q.path("queue").get(0).path("error").asString().isEmpty());
        server.server.context().queue().wake();
        Thread.sleep(50);
        assertEquals(1, queue().path("queue").get(0).path("attempts").asInt(), "waits for its backoff");
        clock.advance(Duration.ofSeconds(61));
        awaitQueue(x -> x.path("queue").get(0).path("attempts").asInt() == 2, "the second attempt");
        clock.advance(Duration.ofSeconds(121));
        q = awaitQueue(x -> x.path("counts").path("failed").asInt() == 1, "the failure");
        String error = q.path("recent").get(0).path("error").asString();
        assertTrue(error.startsWith("download failed after 3 attempts: "), error);
        assertFalse(installed(name));
    }

    @Test
    void aModelTheRegistryDoesNotHaveFailsAtOnce() throws Exception {
        start(Map.of("JOLLAMA_QUEUE_WINDOW", ""));
        String missing = reg.host() + "/library/nothing:latest";
        assertEquals(202, pull(missing, false).statusCode());
        JsonNode q = awaitQueue(x -> x.path("counts").path("failed").asInt() == 1, "the failure");
        assertEquals(1, q.path("recent").get(0).path("error").asString().contains("file does not exist") ? 1 : 0,
                q.toString());
    }

    @Test
    void dailyLimitPerClientWithTrustedProxiesOnly() throws Exception {
        start(Map.of("JOLLAMA_RATE_LIMIT", "2"));
        assertEquals(202, pull(reg.host() + "/library/a:latest", false).statusCode());
        assertEquals(202, pull(reg.host() + "/library/b:latest", false).statusCode());
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/api/pull"))
                .header("X-Forwarded-For", "10.1.2.3") // not believed: 127.0.0.1 is no trusted proxy
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + reg.host() + "/library/c:latest\",\"stream\":false}")));
        assertEquals(429, r.statusCode(), r.body());
        JsonNode e = TestServer.json(r);
        assertEquals("rate limit exceeded", e.path("error").asString());
        assertEquals("Maximum 2 model requests per day", e.path("message").asString());
        assertEquals(0, e.path("remaining").asInt());

        clock.advance(Duration.ofDays(1)); // a new calendar day
        assertEquals(202, pull(reg.host() + "/library/c:latest", false).statusCode());
    }

    @Test
    void trustedProxyForwardsTheClientAddress() throws Exception {
        start(Map.of("JOLLAMA_RATE_LIMIT", "1", "JOLLAMA_TRUSTED_PROXIES", "127.0.0.1"));
        for (String client : new String[]{"10.0.0.1", "10.0.0.2"}) {
            HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/api/pull"))
                    .header("X-Forwarded-For", client + ", 127.0.0.1")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + reg.host() + "/library/" + client.replace('.', '-') + ":latest\",\"stream\":false}")));
            assertEquals(202, r.statusCode(), r.body());
        }
        JsonNode q = queue();
        assertEquals("10.0.0.1", q.path("queue").get(0).path("requester_ip").asString());
        assertEquals("10.0.0.2", q.path("queue").get(1).path("requester_ip").asString());
    }

    @Test
    void diskAtTheThresholdIsRefusedWith507() throws Exception {
        start(Map.of("JOLLAMA_DISK_THRESHOLD", "1")); // any real disk is at least 1 % used
        HttpResponse<String> r = pull(name, false);
        assertEquals(507, r.statusCode(), r.body());
        JsonNode e = TestServer.json(r);
        assertEquals("insufficient storage", e.path("error").asString());
        assertTrue(e.path("message").asString().contains("(threshold: 1%)"), r.body());
        assertEquals(0, queue().path("counts").path("pending").asInt());
        JsonNode h = TestServer.json(server.get("/api/health"));
        assertEquals("unhealthy", h.path("status").asString());
        assertEquals("critical", h.path("checks").path("disk").path("status").asString());
    }

    /**
     * A real disk running out of space mid-download: the store lives on a 2 MiB tmpfs (mounted by the test, which
     * needs root, as the sessions and CI run) and the model's layer is 4 MiB. The entry fails at once (no retries
     * can help) with the reason, the partial files are deleted and nothing is listed; a model that fits still
     * downloads afterwards.
     */
    @Test
    void aDownloadThatRunsOutOfSpaceFailsCleanly() throws Exception {
        Path small = Files.createDirectories(dir.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small.toString())
                .redirectErrorStream(true).start();
        String out = new String(mount.getInputStream().readAllBytes());
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0, "cannot mount a small tmpfs here (needs root): " + out);
        try {
            start(Map.of("JOLLAMA_QUEUE_WINDOW", ""), small.resolve("models"));
            // a layer known not to fit is refused before anything is written
            byte[] big = new byte[4 << 20];
            new java.util.Random(5).nextBytes(big);
            reg.publish("library/big", "latest", "{\"model_format\":\"gguf\"}\n".getBytes(), big);
            String bigName = reg.host() + "/library/big:latest";
            assertEquals(202, pull(bigName, false).statusCode());
            JsonNode q = awaitQueue(x -> x.path("counts").path("failed").asInt() == 1, "the refusal");
            assertTrue(q.path("recent").get(0).path("error").asString().startsWith("not enough disk space to pull this model"), q.toString());

            // a layer that fits when the download starts, while something else fills the disk
            byte[] mid = new byte[1200 << 10];
            new java.util.Random(6).nextBytes(mid);
            reg.publish("library/mid", "latest", "{\"model_format\":\"gguf\"}\n".getBytes(), mid);
            String midName = reg.host() + "/library/mid:latest";
            reg.slowMillisPer8k = 10; // ~1.5 s for the layer
            assertEquals(202, pull(midName, false).statusCode());
            awaitQueue(x -> x.path("queue").size() == 1 && x.path("queue").get(0).path("completed").asLong() > 0, "the download to start");
            Path filler = small.resolve("filler");
            try (var ch = java.nio.channels.FileChannel.open(filler, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(64 << 10);
                try {
                    while (true) {
                        chunk.clear();
                        ch.write(chunk);
                    }
                } catch (java.io.IOException full) {
                    // the disk is full now
                }
            }
            q = awaitQueue(x -> x.path("counts").path("failed").asInt() == 2, "the failure");
            JsonNode failed = null;
            for (JsonNode e : q.path("recent")) if (e.path("model").asString().equals(midName)) failed = e;
            assertTrue(failed != null && failed.path("error").asString().contains("no space left on device"), q.toString());
            assertFalse(failed.path("error").asString().startsWith("download failed after"), "failed at once, no retries: " + failed);
            assertFalse(installed(midName));
            assertFalse(installed(bigName));
            Files.delete(filler);
            try (var files = Files.walk(small.resolve("models"))) {
                long stored = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
                assertTrue(stored < 64 << 10, "the partial download was deleted: " + stored + " bytes left");
            }
            reg.slowMillisPer8k = 0;
            // the disk has room again: a model that fits downloads
            assertEquals(202, pull(name, false).statusCode());
            awaitQueue(x -> completed(x, name), "the small model");
            assertTrue(installed(name));
        } finally {
            if (server != null) server.close();
            server = null;
            new ProcessBuilder("umount", small.toString()).start().waitFor();
        }
    }

    @Test
    void queuedEntriesAreRemovedThroughTheQueueAndThroughDelete() throws Exception {
        start(Map.of());
        String a = reg.host() + "/library/a:latest", b = reg.host() + "/library/b:latest";
        assertEquals(202, pull(a, false).statusCode());
        assertEquals(202, pull(b, false).statusCode());

        HttpResponse<String> r = server.delete("/api/queue", "{\"name\":\"" + a + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("deleted", TestServer.json(r).path("status").asString());
        r = server.delete("/api/queue", "{\"name\":\"" + a + "\"}");
        assertEquals(404, r.statusCode(), r.body());
        assertEquals("not in queue", TestServer.json(r).path("error").asString());
        assertTrue(TestServer.json(r).path("message").asString().contains("not in queue"));

        r = server.delete("/api/delete", "{\"model\":\"* " + b + " [QUEUED]\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(0, queue().path("counts").path("pending").asInt());
        assertFalse(server.get("/api/tags").body().contains("[QUEUED]"));
        // an ordinary missing model is still Ollama's 404
        r = server.delete("/api/delete", "{\"model\":\"nothing\"}");
        assertEquals(404, r.statusCode());
        assertEquals("model 'nothing' not found", TestServer.json(r).path("error").asString());
    }

    @Test
    void streamingQueuedPullEndsWithALineOllamaClientsAccept() throws Exception {
        start(Map.of());
        HttpResponse<String> r = server.post("/api/pull", "{\"model\":\"" + name + "\",\"insecure\":true}");
        assertEquals(202, r.statusCode());
        assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElse(""));
        String[] lines = r.body().strip().split("\n");
        assertEquals(1, lines.length, r.body());
        JsonNode last = TestServer.json(r);
        assertEquals("queued", last.path("status").asString());
        assertTrue(last.path("done").asBoolean(), "ollama-js ends a stream at done or status success");
    }

    /** The real ollama-js client pulls a model that gets queued, without and with streaming, and takes both answers. */
    @Test
    void ollamaJsAcceptsQueuedPulls() throws Exception {
        start(Map.of());
        String script = """
                const { Ollama } = require('ollama');
                (async () => {
                  const [host, model] = process.argv.slice(2);
                  const client = new Ollama({ host });
                  const out = {};
                  out.plain = await client.pull({ model, insecure: true, stream: false });
                  out.streamed = [];
                  for await (const part of await client.pull({ model, insecure: true, stream: true })) out.streamed.push(part);
                  console.log(JSON.stringify(out));
                })().catch(e => { console.error(e); process.exit(1); });
                """;
        JsonNode out = io.jollama.server.Json.MAPPER.readTree(io.jollama.server.OllamaJs.run(dir, script,
                "http://127.0.0.1:" + server.server.port(), name));
        assertEquals("queued", out.path("plain").path("status").asString(), out.toString());
        assertTrue(out.path("plain").path("queue_id").asLong() > 0, out.toString());
        JsonNode streamed = out.path("streamed");
        assertEquals(1, streamed.size(), out.toString());
        assertEquals("already_queued", streamed.get(0).path("status").asString(), out.toString());
        assertEquals(1, queue().path("counts").path("pending").asInt());
    }

    @Test
    void badRequestsGetClearErrors() throws Exception {
        start(Map.of());
        HttpResponse<String> r = server.post("/api/pull", "{\"model\":\"\",\"stream\":false}");
        assertEquals(400, r.statusCode(), r.body());
        r = server.post("/api/pull", "{not json");
        assertEquals(400, r.statusCode(), r.body());
        assertFalse(TestServer.json(r).path("error").asString().isEmpty());
        r = server.delete("/api/queue", "{\"name\": 5}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid name", TestServer.json(r).path("error").asString());
        r = server.delete("/api/queue", "{}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("model name required", TestServer.json(r).path("error").asString());
        r = server.delete("/api/queue", "[");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid JSON", TestServer.json(r).path("error").asString());
    }

    @Test
    void healthReportsEveryCheck() throws Exception {
        start(Map.of());
        HttpResponse<String> r = server.get("/api/health");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode h = TestServer.json(r);
        assertTrue(h.path("status").asString().matches("healthy|degraded"), r.body());
        assertEquals("ok", h.path("checks").path("server").path("status").asString());
        assertEquals("ok", h.path("checks").path("backend").path("status").asString());
        assertEquals("ok", h.path("checks").path("database").path("status").asString());
        assertEquals(100, h.path("checks").path("disk").path("threshold").asInt());
        assertEquals(90, h.path("checks").path("disk").path("warning_threshold").asInt());
        assertTrue(h.path("checks").path("disk").has("used_percent"));
        assertTrue(h.path("checks").path("disk").has("free_gb"));
        assertEquals("2026-12-04T21:00:00+01:00", h.path("timestamp").asString());
    }
}
