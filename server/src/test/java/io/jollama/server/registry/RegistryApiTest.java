package io.jollama.server.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jollama.server.JollamaServer;
import io.jollama.server.ServerConfig;
import io.jollama.server.store.Layer;
import io.jollama.server.store.Manifest;
import io.jollama.server.store.MediaTypes;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.ModelStore;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code /api/pull} and {@code /api/push} over real HTTP: the Jollama server against the in-process registry. */
class RegistryApiTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;
    TestRegistry reg;
    JollamaServer server;
    HttpClient http = HttpClient.newHttpClient();
    byte[] weights;
    byte[] config;
    String model;

    @BeforeEach
    void setUp() throws Exception {
        reg = new TestRegistry();
        reg.requireAuth = true;
        reg.pushableNamespaces = Set.of("alice");
        ServerConfig base = ServerConfig.local(0, dir.resolve("models"));
        Map<String, String> env = Map.of("HOME", dir.resolve("home").toString(),
                "JOLLAMA_REGISTRY_RETRY_DELAY_MS", "5", "JOLLAMA_REGISTRY_PART_SIZE", "65536");
        server = JollamaServer.start(new ServerConfig(base.scheme(), base.host(), 0, base.models(), base.origins(),
                false, base.keepAlive(), env));
        weights = new byte[300_000];
        new Random(1).nextBytes(weights);
        config = "{\"model_format\":\"gguf\",\"model_family\":\"llama\",\"model_families\":[\"llama\"],\"model_type\":\"260K\",\"file_type\":\"F16\",\"architecture\":\"amd64\",\"os\":\"linux\"}\n".getBytes();
        reg.publish("library/tiny", "latest", config, weights);
        model = reg.host() + "/library/tiny:latest";
    }

    @AfterEach
    void tearDown() {
        http.shutdownNow(); // its open connections would hold the server's stop for a second (see TestServer.close)
        server.close();
        reg.close();
    }

    ModelStore store() {
        return server.context().store();
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<JsonNode> lines(String ndjson) {
        List<JsonNode> out = new ArrayList<>();
        for (String l : ndjson.split("\n")) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }

    static List<String> statuses(List<JsonNode> lines) {
        List<String> s = new ArrayList<>();
        for (JsonNode n : lines) {
            String st = n.has("error") ? "error: " + n.path("error").asString() : n.path("status").asString();
            if (s.isEmpty() || !s.getLast().equals(st)) s.add(st);
        }
        return s;
    }

    Set<String> blobFiles() throws Exception {
        try (Stream<Path> s = Files.list(store().blobsDir())) {
            return new java.util.TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void pullStreamsOllamaStatusesAndTheModelIsListed() throws Exception {
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true}");
        assertEquals(200, r.statusCode());
        assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElse(""));
        List<JsonNode> ls = lines(r.body());
        String w = TestRegistry.digest(weights);
        assertEquals(List.of("pulling manifest", "pulling " + w.substring(7, 19),
                "pulling " + TestRegistry.digest(config).substring(7, 19), "verifying sha256 digest",
                "writing manifest", "success"), statuses(ls));
        assertEquals("{\"status\":\"pulling manifest\"}", r.body().lines().findFirst().orElseThrow());
        JsonNode done = ls.stream().filter(n -> n.path("digest").asString("").equals(w)).toList().getLast();
        assertEquals(weights.length, done.path("total").asLong());
        assertEquals(weights.length, done.path("completed").asLong());

        HttpResponse<String> tags = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/api/tags")).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(tags.body().contains("\"name\":\"" + model + "\""), tags.body());
        assertTrue(tags.body().contains("\"size\":" + (weights.length + config.length)), tags.body());
        assertArrayEquals(reg.manifests.get("library/tiny:latest"),
                store().readManifestBytes(ModelName.parse(model)).orElseThrow(), "manifest stored verbatim");
        assertTrue(Files.exists(dir.resolve("home/.ollama/id_ed25519")), "key created for the token request");
        assertTrue(reg.tokenSignatureValid, "token request signed with it");
    }

    @Test
    void pulledTinyStoriesModelIsUsableByTheServer() throws Exception {
        Path gguf = io.jollama.server.TestServer.testdata().resolve("models/stories260K-q8_0.gguf");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(gguf), "test data missing: " + gguf);
        byte[] bytes = Files.readAllBytes(gguf);
        reg.publish("library/stories", "260k", config, bytes);
        String name = reg.host() + "/library/stories:260k";
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + name + "\",\"insecure\":true,\"stream\":false}");
        assertEquals("{\"status\":\"success\"}", r.body());
        assertArrayEquals(bytes, Files.readAllBytes(store().blobPath(TestRegistry.digest(bytes))));
        HttpResponse<String> show = post("/api/show", "{\"model\":\"" + name + "\"}");
        assertEquals(200, show.statusCode(), show.body());
        JsonNode details = JSON.readTree(show.body()).path("details");
        assertEquals("llama", details.path("family").asString(), show.body());
        // the pulled model generates llama.cpp's reference text
        JsonNode ref = JSON.readTree(io.jollama.server.TestServer.testdata().resolve("models/stories260K-reference.json").toFile())
                .get("models").get("stories260K-q8_0.gguf").get(0);
        HttpResponse<String> gen = post("/api/generate", "{\"model\":\"" + name + "\",\"prompt\":\"" + ref.get("prompt").asString()
                + "\",\"options\":{\"temperature\":0,\"num_predict\":64},\"stream\":false}");
        assertEquals(200, gen.statusCode(), gen.body());
        assertEquals(ref.get("generated_text").asString(), JSON.readTree(gen.body()).get("response").asString());
    }

    @Test
    void privateRegistryNamedByHostAndPortWorks() throws Exception {
        // "localhost:<port>": the registry's redirect to localhost is now on the same host, so it is followed
        String local = "localhost:" + reg.port() + "/library/tiny:latest";
        reg.requireAuth = false;
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + local + "\",\"insecure\":true,\"stream\":false}");
        assertEquals("{\"status\":\"success\"}", r.body());
        assertArrayEquals(weights, Files.readAllBytes(store().blobPath(TestRegistry.digest(weights))));
        assertTrue(store().readManifestBytes(ModelName.parse(local)).isPresent());
    }

    @Test
    void createFromAModelNotYetPulledPullsItFirst() throws Exception {
        Path gguf = io.jollama.server.TestServer.testdata().resolve("models/stories260K-q8_0.gguf");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(gguf), "test data missing: " + gguf);
        reg.requireAuth = false;
        reg.publish("library/stories", "260k", config, Files.readAllBytes(gguf));
        String from = "http://" + reg.host() + "/library/stories:260k";
        HttpResponse<String> r = post("/api/create", "{\"model\":\"mine\",\"from\":\"" + from + "\",\"system\":\"Be brief.\"}");
        List<String> st = statuses(lines(r.body()));
        assertEquals("pulling manifest", st.getFirst(), st.toString());
        assertTrue(st.contains("writing manifest") && st.getLast().equals("success"), st.toString());
        assertTrue(store().readManifestBytes(ModelName.parse(reg.host() + "/library/stories:260k")).isPresent());
        assertTrue(store().readManifestBytes(ModelName.parse("mine")).isPresent());

        // a FROM that the registry does not have is an error after the pull's first status
        HttpResponse<String> missing = post("/api/create",
                "{\"model\":\"other\",\"from\":\"http://" + reg.host() + "/library/nope:1\"}");
        assertEquals(List.of("pulling manifest", "error: pull model manifest: file does not exist"),
                statuses(lines(missing.body())));
    }

    @Test
    void pullWithoutStreamingAnswersSuccessOnly() throws Exception {
        HttpResponse<String> r = post("/api/pull", "{\"name\":\"" + model + "\",\"insecure\":true,\"stream\":false}");
        assertEquals(200, r.statusCode());
        assertEquals("{\"status\":\"success\"}", r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void requestErrorsAreRefusedBeforeStreaming() throws Exception {
        assertEquals("{\"error\":\"invalid model name\"}", post("/api/pull", "{\"model\":\"\"}").body());
        assertEquals(400, post("/api/pull", "{\"model\":\"a/b/c/d\"}").statusCode());
        assertEquals("{\"error\":\"missing request body\"}", post("/api/pull", "").body());
        HttpResponse<String> push = post("/api/push", "{}");
        assertEquals(400, push.statusCode());
        assertEquals("{\"error\":\"model is required\"}", push.body());
    }

    @Test
    void unknownModelIsReportedLikeOllama() throws Exception {
        String missing = reg.host() + "/library/nope:latest";
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + missing + "\",\"insecure\":true}");
        assertEquals(200, r.statusCode());
        assertEquals("{\"status\":\"pulling manifest\"}\n{\"error\":\"pull model manifest: file does not exist\"}\n",
                r.body());
        HttpResponse<String> q = post("/api/pull", "{\"model\":\"" + missing + "\",\"insecure\":true,\"stream\":false}");
        assertEquals(500, q.statusCode());
        assertEquals("{\"error\":\"pull model manifest: file does not exist\"}", q.body());
    }

    @Test
    void networkDropStreamsTheErrorKeepsPartialDataAndResumes() throws Exception {
        reg.failAfterBytes = 150_000;
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true}");
        List<String> st = statuses(lines(r.body()));
        assertTrue(st.getLast().startsWith("error: "), st.toString());
        String partial = Digests.fileName(TestRegistry.digest(weights)) + "-partial";
        assertTrue(blobFiles().contains(partial), blobFiles().toString());
        assertTrue(store().readManifestBytes(ModelName.parse(model)).isEmpty());

        reg.failAfterBytes = -1;
        reg.resetCounters();
        r = post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true}");
        assertEquals("success", statuses(lines(r.body())).getLast());
        assertTrue(reg.bytesServed.get() <= weights.length - 150_000 + 65_536 + config.length,
                "second pull fetched " + reg.bytesServed.get());
        assertArrayEquals(weights, Files.readAllBytes(store().blobPath(TestRegistry.digest(weights))));
    }

    /** Issue 15, item 8: a pull running at shutdown ends with a clear error and its partial data; the next pull resumes. */
    @Test
    void shutdownKeepsADownloadResumable() throws Exception {
        reg.slowMillisPer8k = 20;
        var pulling = CompletableFuture.supplyAsync(() -> {
            try {
                return post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true}");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long deadline = System.currentTimeMillis() + 10_000;
        while (reg.bytesServed.get() < 100_000) {
            assertFalse(pulling.isDone(), () -> pulling.join().body());
            assertTrue(System.currentTimeMillis() < deadline, "the pull did not start");
            Thread.sleep(10);
        }
        server.close();
        List<String> st = statuses(lines(pulling.get(10, TimeUnit.SECONDS).body()));
        assertEquals("error: server shutting down; pull again to resume the download", st.getLast(), st.toString());
        String partial = Digests.fileName(TestRegistry.digest(weights)) + "-partial";
        assertTrue(blobFiles().contains(partial), blobFiles().toString());

        reg.slowMillisPer8k = 0;
        reg.resetCounters();
        ServerConfig base = ServerConfig.local(0, dir.resolve("models"));
        server = JollamaServer.start(new ServerConfig(base.scheme(), base.host(), 0, base.models(), base.origins(), false, base.keepAlive(),
                Map.of("HOME", dir.resolve("home").toString(), "JOLLAMA_REGISTRY_RETRY_DELAY_MS", "5", "JOLLAMA_REGISTRY_PART_SIZE", "65536")));
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true,\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(reg.bytesServed.get() < weights.length, "second pull fetched " + reg.bytesServed.get());
        assertArrayEquals(weights, Files.readAllBytes(store().blobPath(TestRegistry.digest(weights))));
    }

    /** Issue 15, item 7: a blob cut short says what happened; a registry that cannot resume says so. */
    @Test
    void cutShortBlobIsReportedAsResumable() throws Exception {
        reg.failAfterBytes = 150_000;
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true,\"stream\":false}");
        assertEquals(500, r.statusCode(), r.body());
        String error = JSON.readTree(r.body()).path("error").asString();
        assertTrue(error.startsWith("unexpected end of data while downloading " + TestRegistry.digest(weights)), error);
        assertTrue(error.endsWith("the partial download is kept, pull again to resume"), error);

        reg.failAfterBytes = -1;
        reg.ignoreRange = true;
        r = post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true,\"stream\":false}");
        error = JSON.readTree(r.body()).path("error").asString();
        assertTrue(error.contains("the server cannot resume a download: asked for bytes "), error);
        assertTrue(error.endsWith(", it sent the whole blob (200 instead of 206)"), error);
    }

    /** Issue 15, item 7: not enough disk space for a pull is 507, as the registry code means it. */
    @Test
    void notEnoughDiskSpaceIs507() throws Exception {
        String manifest = new String(DirectoryStorage.manifestJson(config, weights), StandardCharsets.UTF_8)
                .replace("\"size\":" + weights.length, "\"size\":" + (1L << 60));
        reg.putManifest("library/huge", "latest", manifest.getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + reg.host() + "/library/huge\",\"insecure\":true,\"stream\":false}");
        assertEquals(507, r.statusCode(), r.body());
        assertTrue(JSON.readTree(r.body()).path("error").asString().startsWith("not enough disk space to pull this model"), r.body());
    }

    /** Issue 15, item 3: a manifest larger than any real one is refused as it arrives, not read into memory. */
    @Test
    void hugeManifestIsRefused() throws Exception {
        reg.manifestPadding = 5 << 20;
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true,\"stream\":false}");
        assertEquals(500, r.statusCode(), r.body());
        assertTrue(JSON.readTree(r.body()).path("error").asString().endsWith("manifest is too large (more than 4194304 bytes)"), r.body());
    }

    @Test
    void clientCancellingMidPullLeavesAResumablePartial() throws Exception {
        reg.slowMillisPer8k = 250; // five parallel 64 KiB parts at 32 KB/s each: about 2 s in all
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/pull"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"insecure\":true}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (JSON.readTree(line).path("completed").asLong() > 100_000) break;
            }
        } // closing the body drops the connection
        String partial = Digests.fileName(TestRegistry.digest(weights)) + "-partial";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long served;
        do { // the server notices on its next progress write; the download stops with its last waiter
            served = reg.bytesServed.get();
            Thread.sleep(300);
        } while (served != reg.bytesServed.get() && System.nanoTime() < deadline);
        assertTrue(served < weights.length, "stopped after " + served);
        assertTrue(blobFiles().contains(partial), blobFiles().toString());

        reg.slowMillisPer8k = 0;
        reg.resetCounters();
        HttpResponse<String> again = post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true,\"stream\":false}");
        assertEquals("{\"status\":\"success\"}", again.body());
        assertTrue(reg.bytesServed.get() < weights.length, "resumed with " + reg.bytesServed.get());
        assertArrayEquals(weights, Files.readAllBytes(store().blobPath(TestRegistry.digest(weights))));
    }

    @Test
    void corruptBlobIsRejectedAndNothingIsVisible() throws Exception {
        reg.corrupt = true;
        HttpResponse<String> r = post("/api/pull", "{\"model\":\"" + model + "\",\"insecure\":true}");
        String last = statuses(lines(r.body())).getLast();
        assertTrue(last.startsWith("error: digest mismatch, file must be downloaded again: want "
                + TestRegistry.digest(weights)), last);
        assertEquals(Set.of(), blobFiles());
        assertTrue(store().readManifestBytes(ModelName.parse(model)).isEmpty());
    }

    @Test
    void concurrentPullsOfOneModelDownloadOnce() throws Exception {
        reg.slowMillisPer8k = 3;
        String body = "{\"model\":\"" + model + "\",\"insecure\":true,\"stream\":false}";
        CompletableFuture<HttpResponse<String>> a = CompletableFuture.supplyAsync(() -> postQuietly(body));
        CompletableFuture<HttpResponse<String>> b = CompletableFuture.supplyAsync(() -> postQuietly(body));
        assertEquals("{\"status\":\"success\"}", a.get(60, TimeUnit.SECONDS).body());
        assertEquals("{\"status\":\"success\"}", b.get(60, TimeUnit.SECONDS).body());
        assertEquals(weights.length + config.length, reg.bytesServed.get());
    }

    private HttpResponse<String> postQuietly(String body) {
        try {
            return post("/api/pull", body);
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void pushUploadsALocalModel() throws Exception {
        ModelName name = ModelName.parse(reg.host() + "/alice/mine:v1");
        byte[] mine = new byte[150_000];
        new Random(2).nextBytes(mine);
        weights = mine;
        Layer w = store().writeBlob(MediaTypes.MODEL, weights);
        Layer c = store().writeBlob(MediaTypes.CONFIG, config);
        store().commitManifest(name, Manifest.of(c, List.of(w)), false);

        HttpResponse<String> r = post("/api/push", "{\"model\":\"" + name + "\",\"insecure\":true}");
        assertEquals(List.of("retrieving manifest", "pushing " + w.digest().substring(7, 19),
                "pushing " + c.digest().substring(7, 19), "pushing manifest", "success"), statuses(lines(r.body())));
        assertArrayEquals(weights, reg.blobs.get(w.digest()));
        assertTrue(reg.manifests.containsKey("alice/mine:v1"));
        assertTrue(reg.contentRanges.contains("0-65535"), reg.contentRanges.toString());
    }

    @Test
    void pushToANamespaceWithoutRightsIsRefused() throws Exception {
        ModelName name = ModelName.parse(reg.host() + "/library/mine:v1");
        Layer w = store().writeBlob(MediaTypes.MODEL, weights);
        Layer c = store().writeBlob(MediaTypes.CONFIG, config);
        store().commitManifest(name, Manifest.of(c, List.of(w)), false);
        HttpResponse<String> r = post("/api/push", "{\"model\":\"" + name + "\",\"insecure\":true,\"stream\":false}");
        assertEquals(500, r.statusCode());
        assertEquals("{\"error\":\"unauthorized: access denied\"}", r.body());
        assertFalse(reg.manifests.containsKey("library/mine:v1"));
    }
}
