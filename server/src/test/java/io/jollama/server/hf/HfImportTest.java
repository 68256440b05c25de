package io.jollama.server.hf;

import io.jollama.engine.gguf.GgufSplitter;
import io.jollama.server.MutableClock;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hugging Face GGUF imports through HTTP against {@link FakeHuggingFace}: quant choice, split shards loaded as one
 * model, projector files left alone, the token kept from the CDN, resume after a pause, and the errors a user
 * can make.
 */
class HfImportTest {

    static final ZoneId ZONE = ZoneId.of("UTC");
    static final String REPO = "test/tiny-GGUF";

    @TempDir
    Path dir;
    FakeHuggingFace hf;
    TestServer server;
    MutableClock clock;
    byte[] f32, f16, q8;
    List<Path> q8Shards;

    @BeforeEach
    void setUp() throws Exception {
        hf = new FakeHuggingFace();
        Path models = TestServer.testdata().resolve("models");
        f32 = Files.readAllBytes(models.resolve("stories260K-f32.gguf"));
        f16 = Files.readAllBytes(models.resolve("stories260K-f16.gguf"));
        q8 = Files.readAllBytes(models.resolve("stories260K-q8_0.gguf"));
        Path shards = Files.createDirectories(dir.resolve("shards"));
        q8Shards = GgufSplitter.split(models.resolve("stories260K-q8_0.gguf"), shards, "tiny-Q8_0", 2);
        hf.repo(REPO).file("README.md", "# tiny\n".getBytes())
                .file("mmproj-tiny-f32.gguf", TestServer.tinyGguf("clip"))
                .file("mmproj-tiny-f16.gguf", TestServer.tinyGguf("clip"))
                .file("tiny-F16.gguf", f16)
                .file("tiny-F32.gguf", f32)
                .file("Q8_0/tiny-Q8_0-00001-of-00002.gguf", Files.readAllBytes(q8Shards.get(0)))
                .file("Q8_0/tiny-Q8_0-00002-of-00002.gguf", Files.readAllBytes(q8Shards.get(1)));
        clock = new MutableClock(ZonedDateTime.of(2026, 12, 4, 12, 0, 0, 0, ZONE));
    }

    void start(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(Map.of("JOLLAMA_DB", dir.resolve("jollama.db").toString(),
                "HF_ENDPOINT", hf.endpoint() + "/", "JOLLAMA_QUEUE_WINDOW", "01:00-05:00", "JOLLAMA_DISK_THRESHOLD", "100"));
        all.putAll(env);
        server = new TestServer(ServerConfig.local(0, dir.resolve("models")).withEnv(all), clock);
    }

    @AfterEach
    void tearDown() {
        if (server != null) server.close();
        hf.close();
    }

    HttpResponse<String> queueHf(String body) {
        return server.post("/api/hf/queue", body);
    }

    JsonNode awaitQueue(Predicate<JsonNode> condition, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode q = null;
        while (System.nanoTime() < end) {
            server.server.context().queue().wake();
            q = TestServer.json(server.get("/api/queue"));
            if (condition.test(q)) return q;
            Thread.sleep(20);
        }
        fail("timed out waiting for " + what + "; queue: " + q);
        return q;
    }

    static Predicate<JsonNode> done(String status) {
        return q -> q.path("counts").path(status).asInt() == 1;
    }

    String greedy(String model) {
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time\","
                + "\"stream\":false,\"options\":{\"temperature\":0,\"num_predict\":12}}");
        assertEquals(200, r.statusCode(), r.body());
        return TestServer.json(r).path("response").asString();
    }

    @Test
    void splitQuantIsDownloadedVerifiedCreatedAndGeneratesLikeTheWholeFile() throws Exception {
        start(Map.of());
        HttpResponse<String> r = queueHf("{\"repo_id\":\"" + REPO + "\",\"quant\":\"q8_0\"}");
        assertEquals(202, r.statusCode(), r.body());
        JsonNode b = TestServer.json(r);
        assertEquals("queued", b.path("status").asString());
        assertEquals("huggingface", b.path("type").asString());
        assertEquals("hf.co/" + REPO + ":Q8_0", b.path("model").asString());
        assertEquals("HuggingFace model " + REPO + " added to download queue", b.path("message").asString());
        assertEquals("[\"Q8_0/tiny-Q8_0-00001-of-00002.gguf\",\"Q8_0/tiny-Q8_0-00002-of-00002.gguf\",\"mmproj-tiny-f16.gguf\"]",
                b.path("files").toString(), "the shards, then the F16 projector");
        assertTrue(hf.requests.stream().filter(x -> x.contains("/tree/main")).count() >= 3, "the tree API paginates: " + hf.requests);

        // a duplicate (same repo and quant) is not queued again
        JsonNode dup = TestServer.json(queueHf("{\"repo_id\":\"" + REPO + "\",\"quant\":\"Q8_0\"}"));
        assertEquals("already_queued", dup.path("status").asString());

        assertTrue(server.get("/api/tags").body().contains("* hf.co/" + REPO + ":Q8_0 [QUEUED]"));
        clock.set(ZonedDateTime.of(2026, 12, 5, 1, 0, 0, 0, ZONE)); // the window opens
        JsonNode q = awaitQueue(done("completed"), "the import");
        assertEquals("hf.co/" + REPO + ":Q8_0", q.path("recent").get(0).path("model").asString());

        // listed, both shards as model layers, the projector as the projector layer
        JsonNode tags = TestServer.json(server.get("/api/tags"));
        assertEquals("hf.co/" + REPO + ":Q8_0", tags.path("models").get(0).path("name").asString());
        assertFalse(hf.requests.stream().anyMatch(x -> x.contains("mmproj-tiny-f32")), hf.requests.toString());
        String manifest = Files.readString(server.models.resolve("manifests/hf.co/test/tiny-GGUF/Q8_0"));
        assertEquals(2, manifest.split("application/vnd.ollama.image.model\"", -1).length - 1, manifest);
        assertEquals(1, manifest.split("application/vnd.ollama.image.projector\"", -1).length - 1, manifest);
        assertTrue(hf.cdnAuthorizations.isEmpty(), "no token to the CDN");
        for (Path s : q8Shards) {
            assertTrue(Files.exists(server.models.resolve("blobs/sha256-" + TestServer.sha256Hex(s))), "verified shard in the store");
        }
        try (var ls = Files.list(server.models.resolve("blobs"))) {
            assertTrue(ls.noneMatch(p -> p.getFileName().toString().contains("partial")), "no partial files left");
        }

        // the same model from the single file generates the same text
        String whole = server.upload(TestServer.testdata().resolve("models/stories260K-q8_0.gguf"));
        HttpResponse<String> c = server.post("/api/create", "{\"model\":\"whole\",\"files\":{\"tiny.gguf\":\"" + whole + "\"},\"stream\":false}");
        assertEquals(200, c.statusCode(), c.body());
        String split = greedy("hf.co/" + REPO + ":Q8_0");
        assertFalse(split.isBlank());
        assertEquals(greedy("whole"), split);
    }

    @Test
    void defaultQuantFallsBackInTheDocumentedOrderAndAnAbsentQuantNamesTheOthers() throws Exception {
        start(Map.of("JOLLAMA_QUEUE_WINDOW", ""));
        HttpResponse<String> r = queueHf("{\"repo_id\":\"" + REPO + "\",\"quant\":\"IQ2_XS\"}");
        assertEquals(404, r.statusCode(), r.body());
        JsonNode e = TestServer.json(r);
        assertEquals("quant not found", e.path("error").asString());
        assertEquals("repository " + REPO + " has no IQ2_XS GGUF; it has: F16, F32, Q8_0", e.path("message").asString());

        r = queueHf("{\"repo_id\":\"" + REPO + "\",\"name\":\"tiny\"}"); // Q4_K_M is not there: Q8_0 is the best of the list
        assertEquals(202, r.statusCode(), r.body());
        assertEquals("Q8_0", TestServer.json(r).path("quant").asString());
        assertEquals("tiny", TestServer.json(r).path("model").asString());
        awaitQueue(done("completed"), "the import");
        assertFalse(greedy("tiny").isBlank());
    }

    @Test
    void aPausedImportResumesWithARangeRequestAndVerifies() throws Exception {
        start(Map.of());
        hf.slowMillisPer8k = 8;
        clock.set(ZonedDateTime.of(2026, 12, 5, 4, 0, 0, 0, ZONE));
        assertEquals(202, queueHf("{\"repo_id\":\"" + REPO + "\",\"quant\":\"F32\"}").statusCode());
        awaitQueue(q -> q.path("queue").size() == 1 && q.path("queue").get(0).path("completed").asLong() > 100_000, "bytes");
        clock.set(ZonedDateTime.of(2026, 12, 5, 5, 0, 0, 0, ZONE)); // closes
        JsonNode q = awaitQueue(x -> x.path("queue").size() == 1
                && x.path("queue").get(0).path("status").asString().equals("pending"), "the pause");
        long kept = q.path("queue").get(0).path("completed").asLong();
        assertTrue(kept > 100_000 && kept < f32.length, "kept " + kept);
        assertEquals(f32.length + TestServer.tinyGguf("clip").length, q.path("queue").get(0).path("total").asLong(), "model and projector");
        assertFalse(server.get("/api/tags").body().contains("\"name\":\"hf.co/"), "nothing half-visible");

        hf.slowMillisPer8k = 0;
        clock.set(ZonedDateTime.of(2026, 12, 6, 1, 30, 0, 0, ZONE));
        awaitQueue(done("completed"), "the resumed import");
        assertTrue(hf.cdnRanges.stream().anyMatch(x -> x.matches("bytes=[1-9]\\d*-")), hf.cdnRanges.toString());
        assertTrue(hf.cdnBytes.get() < 2L * f32.length - 100_000, "resumed, not restarted: " + hf.cdnBytes.get());
        assertTrue(Files.exists(server.models.resolve("blobs/sha256-" + FakeHuggingFace.sha256(f32))));
        assertFalse(greedy("hf.co/" + REPO + ":F32").isBlank());
    }

    @Test
    void aBrokenTransferIsRetriedAndResumes() throws Exception {
        start(Map.of("JOLLAMA_QUEUE_WINDOW", ""));
        hf.dropAfterBytes = 300_000;
        assertEquals(202, queueHf("{\"repo_id\":\"" + REPO + "\",\"quant\":\"F32\"}").statusCode());
        JsonNode q = awaitQueue(x -> x.path("queue").size() == 1 && x.path("queue").get(0).path("attempts").asInt() == 1, "attempt 1");
        assertEquals("pending", q.path("queue").get(0).path("status").asString());
        clock.advance(Duration.ofMinutes(2));
        awaitQueue(done("completed"), "the retry");
        assertTrue(hf.cdnRanges.stream().anyMatch(x -> x.matches("bytes=[1-9]\\d*-")), hf.cdnRanges.toString());
    }

    @Test
    void privateAndGatedRepositoriesNeedTheToken() throws Exception {
        hf.repo("test/private").file("p-Q8_0.gguf", q8).privateRepo = true;
        hf.repo("test/gated").file("g-Q8_0.gguf", q8).gated = true;
        start(Map.of("JOLLAMA_QUEUE_WINDOW", ""));
        HttpResponse<String> r = queueHf("{\"repo_id\":\"test/private\"}");
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("unauthorized", TestServer.json(r).path("error").asString());
        assertTrue(TestServer.json(r).path("message").asString().contains("HF_TOKEN"), r.body());
        r = queueHf("{\"repo_id\":\"test/gated\"}");
        assertEquals(401, r.statusCode(), r.body());
        server.close();

        start(Map.of("JOLLAMA_QUEUE_WINDOW", "", "HF_TOKEN", FakeHuggingFace.TOKEN));
        r = queueHf("{\"repo_id\":\"test/gated\"}");
        assertEquals(403, r.statusCode(), r.body());
        assertEquals("gated repository", TestServer.json(r).path("error").asString());
        r = queueHf("{\"repo_id\":\"test/private\",\"name\":\"secret\"}");
        assertEquals(202, r.statusCode(), r.body());
        awaitQueue(done("completed"), "the private import");
        assertTrue(hf.cdnAuthorizations.isEmpty(), "the token never leaves the Hugging Face host");
        assertFalse(greedy("secret").isBlank());
    }

    @Test
    void userMistakesAreClearErrors() throws Exception {
        hf.repo("test/safetensors-only").file("model.safetensors", new byte[10]).file("config.json", "{}".getBytes());
        start(Map.of());
        HttpResponse<String> r = queueHf("{\"repo_id\":\"test/nothing\"}");
        assertEquals(404, r.statusCode(), r.body());
        assertEquals("repository not found", TestServer.json(r).path("error").asString());
        r = queueHf("{\"repo_id\":\"test/safetensors-only\"}");
        assertEquals(404, r.statusCode(), r.body());
        assertEquals("no GGUF file", TestServer.json(r).path("error").asString());
        r = queueHf("{\"quant\":\"Q8_0\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("repo_id required", TestServer.json(r).path("error").asString());
        r = queueHf("{\"repo_id\":");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid JSON", TestServer.json(r).path("error").asString());
        assertFalse(TestServer.json(r).path("message").asString().isEmpty());
        r = queueHf("{\"repo_id\":\"no-slash\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid repo_id", TestServer.json(r).path("error").asString());
        r = queueHf("{\"repo_id\":\"" + REPO + "\",\"name\":\"Bad Name!\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid name", TestServer.json(r).path("error").asString());
        r = queueHf("");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals(0, TestServer.json(server.get("/api/queue")).path("queue").size());
    }

    @Test
    void aQueuedHfCoPullFallsBackToTheTreeApiWhenTheRegistryEndpointFails() throws Exception {
        // hf.co's registry endpoint is not reachable from the tests (no such host here; a 401/404 elsewhere)
        start(Map.of("JOLLAMA_QUEUE_WINDOW", ""));
        String name = "hf.co/" + REPO + ":F16";
        HttpResponse<String> r = server.post("/api/pull", "{\"model\":\"" + name + "\",\"stream\":false,\"queue\":true}");
        assertEquals(202, r.statusCode(), r.body());
        JsonNode q = awaitQueue(x -> x.path("counts").path("completed").asInt() + x.path("counts").path("failed").asInt() == 1, "the pull");
        assertEquals("completed", q.path("recent").get(0).path("status").asString(), q.toString());
        assertTrue(Files.exists(server.models.resolve("blobs/sha256-" + FakeHuggingFace.sha256(f16))));
        assertTrue(server.get("/api/tags").body().contains("\"name\":\"" + name + "\""));
    }

    @Test
    void theDailyLimitCountsImportsAndIsCheckedBeforeAskingHuggingFace() throws Exception {
        start(Map.of("JOLLAMA_RATE_LIMIT", "1"));
        assertEquals(202, queueHf("{\"repo_id\":\"" + REPO + "\",\"quant\":\"F16\"}").statusCode());
        int asked = hf.requests.size();
        HttpResponse<String> r = queueHf("{\"repo_id\":\"" + REPO + "\",\"quant\":\"F32\"}");
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("rate limit exceeded", TestServer.json(r).path("error").asString());
        assertEquals(0, TestServer.json(r).path("remaining").asInt());
        assertEquals(asked, hf.requests.size(), "Hugging Face was not asked");
    }

    @Test
    void anImportThatCannotFitIsRefusedBeforeItIsQueued() throws Exception {
        hf.repo("test/huge").file("huge-Q4_K_M.gguf", q8).claimedSizes.put("huge-Q4_K_M.gguf", 1L << 60);
        start(Map.of());
        HttpResponse<String> r = queueHf("{\"repo_id\":\"test/huge\"}");
        assertEquals(507, r.statusCode(), r.body());
        assertEquals("insufficient storage", TestServer.json(r).path("error").asString());
        assertTrue(TestServer.json(r).path("message").asString().contains("needs"), r.body());
        assertEquals(0, TestServer.json(server.get("/api/queue")).path("queue").size());
    }
}
