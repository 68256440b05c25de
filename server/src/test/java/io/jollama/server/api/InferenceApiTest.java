package io.jollama.server.api;

import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import io.jollama.server.sched.LoadRequest;
import io.jollama.server.sched.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** /api/generate, /api/chat, /api/ps, /api/tokenize and /api/detokenize through real HTTP, on the TinyStories model. */
class InferenceApiTest {

    @TempDir
    Path dir;
    TestServer server;

    static JsonNode reference(int i) {
        return Json.MAPPER.readTree(TestServer.testdata().resolve("models/stories260K-reference.json").toFile())
                .get("models").get("stories260K-f32.gguf").get(i);
    }

    TestServer start(Map<String, String> env) throws Exception {
        server = new TestServer(ServerConfig.local(0, dir.resolve("models")).withEnv(env));
        String d = server.upload(TestServer.storiesF32());
        HttpResponse<String> r = server.post("/api/create", "{\"model\":\"tiny\",\"files\":{\"stories.gguf\":\"" + d + "\"},\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        r = server.post("/api/create", "{\"model\":\"tinychat\",\"from\":\"tiny\",\"template\":\"{{ range .Messages }}{{ .Content }}{{ end }}\",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    static String greedy(String prompt, int n) {
        return "\"prompt\":" + Json.write(prompt) + ",\"options\":{\"temperature\":0,\"num_predict\":" + n + "}";
    }

    static List<JsonNode> lines(HttpResponse<String> r) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.body().split("\n")) if (!line.isBlank()) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    @Test
    void generateNonStreamingEqualsLlamaCpp() throws Exception {
        start(Map.of());
        JsonNode ref = reference(0);
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\"," + greedy(ref.get("prompt").asString(), 64) + ",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode j = TestServer.json(r);
        assertEquals(ref.get("generated_text").asString(), j.get("response").asString());
        assertEquals("tiny", j.get("model").asString());
        assertTrue(j.get("done").asBoolean());
        assertEquals("length", j.get("done_reason").asString());
        assertEquals(64, j.get("eval_count").asInt());
        assertEquals(5, j.get("prompt_eval_count").asInt());
        assertTrue(j.get("total_duration").asLong() >= j.get("eval_duration").asLong());
        assertTrue(j.get("load_duration").asLong() > 0);
        assertTrue(j.get("created_at").asString().endsWith("Z"));
        // context = prompt tokens + generated tokens
        JsonNode ctx = j.get("context");
        assertEquals(5 + 64, ctx.size());
        assertEquals(ref.get("prompt_token_ids").get(1).asInt(), ctx.get(1).asInt());
        assertEquals(ref.get("generated_token_ids").get(63).asInt(), ctx.get(68).asInt());
    }

    @Test
    void generateStreamsNdjson() throws Exception {
        start(Map.of());
        JsonNode ref = reference(1);
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\"," + greedy(ref.get("prompt").asString(), 64) + "}");
        assertEquals(200, r.statusCode());
        assertEquals("application/x-ndjson", r.headers().firstValue("content-type").orElse(""));
        List<JsonNode> lines = lines(r);
        assertTrue(lines.size() > 10, "streamed in many chunks");
        StringBuilder text = new StringBuilder();
        for (JsonNode l : lines.subList(0, lines.size() - 1)) {
            assertFalse(l.get("done").asBoolean());
            assertFalse(l.has("eval_count"), "metrics only on the last chunk");
            text.append(l.get("response").asString());
        }
        JsonNode last = lines.getLast();
        assertTrue(last.get("done").asBoolean());
        assertEquals("", last.get("response").asString());
        assertEquals("length", last.get("done_reason").asString());
        assertEquals(ref.get("generated_text").asString(), text.toString());
    }

    @Test
    void chatThroughTemplateAndStopSequences() throws Exception {
        start(Map.of());
        JsonNode ref = reference(0);
        String body = "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"USER\",\"content\":\"Once upon a time\"}],"
                + "\"options\":{\"temperature\":0,\"num_predict\":64},\"stream\":false}";
        HttpResponse<String> r = server.post("/api/chat", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = TestServer.json(r);
        assertEquals("assistant", j.get("message").get("role").asString());
        assertEquals(ref.get("generated_text").asString(), j.get("message").get("content").asString());
        assertEquals("length", j.get("done_reason").asString());

        // the rendered prompt, as the template makes it
        r = server.post("/api/chat", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"system\",\"content\":\"A. \"},{\"role\":\"user\",\"content\":\"B\"}],\"_debug_render_only\":true}");
        assertEquals("A. B", TestServer.json(r).get("_debug_info").get("rendered_template").asString());

        // a stop sequence ends the answer before it
        r = server.post("/api/chat", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
                + "\"options\":{\"temperature\":0,\"num_predict\":64,\"stop\":[\"girl\"]},\"stream\":false}");
        j = TestServer.json(r);
        assertEquals(", there was a little ", j.get("message").get("content").asString());
        assertEquals("stop", j.get("done_reason").asString());

        // streaming chat: deltas then a final empty message
        r = server.post("/api/chat", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"options\":{\"temperature\":0,\"num_predict\":8}}");
        List<JsonNode> lines = lines(r);
        assertTrue(lines.getLast().get("done").asBoolean());
        assertEquals("", lines.getLast().get("message").get("content").asString());
        StringBuilder t = new StringBuilder();
        for (JsonNode l : lines) t.append(l.get("message").get("content").asString());
        assertTrue(ref.get("generated_text").asString().startsWith(t.toString()));
    }

    @Test
    void requestErrorsAsOllama() throws Exception {
        start(Map.of());
        assertError(server.post("/api/generate", ""), 400, "missing request body");
        assertError(server.post("/api/generate", "{\"model\":\"\"}"), 404, "model '' not found");
        assertError(server.post("/api/chat", "{\"model\":\"\"}"), 400, "model is required");
        assertError(server.post("/api/generate", "{\"model\":\"nope\",\"prompt\":\"x\"}"), 404, "model 'nope' not found");
        assertError(server.post("/api/chat", "{\"model\":\"nope\",\"messages\":[]}"), 404, "model 'nope' not found");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"top_logprobs\":21}"), 400, "top_logprobs must be between 0 and 20");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"keep_alive\":\"10\"}"), 400, "time: missing unit in duration \"10\"");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"keep_alive\":true}"), 400, "Unsupported type: 'bool'");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"raw\":true,\"system\":\"s\"}"), 400,
                "raw mode does not support template, system, or context");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"options\":{\"temperature\":\"hot\"}}"), 500,
                "option \"temperature\" must be of type float32");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"think\":true}"), 400, "\"tiny\" does not support thinking");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"think\":\"deep\"}"), 400,
                "invalid think value: \"deep\" (must be \"high\", \"medium\", \"low\", \"max\", true, or false)");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"images\":[\"aGVsbG8=\"]}"), 400,
                "registry.ollama.ai/library/tiny:latest does not support vision");
        assertError(server.post("/api/chat", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"),
                400, "registry.ollama.ai/library/tinychat:latest does not support tools");
        HttpResponse<String> fmt = server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"format\":{\"type\":\"object\",\"minProperties\":1}}");
        assertEquals(400, fmt.statusCode());
        assertTrue(TestServer.json(fmt).get("error").asString().contains("not supported"), fmt.body());
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"format\":\"xml\"}"), 500,
                "invalid format: \"xml\"; expected \"json\" or a valid JSON Schema object");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"suffix\":\"y\"}"), 400,
                "registry.ollama.ai/library/tiny:latest does not support insert");
        assertError(server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"x\",\"options\":{\"num_predict\":2},\"shift\":false,\"raw\":true,"
                + "\"prompt\":" + Json.write("a b ".repeat(200)) + "}"), 400,
                "the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length");
        assertEquals(405, server.get("/api/generate").statusCode());
    }

    static void assertError(HttpResponse<String> r, int status, String message) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals(message, TestServer.json(r).get("error").asString());
    }

    @Test
    void loadUnloadAndPs() throws Exception {
        start(Map.of());
        JsonNode ps = TestServer.json(server.get("/api/ps"));
        assertEquals(0, ps.get("models").size());

        JsonNode load = TestServer.json(server.post("/api/generate", "{\"model\":\"tiny\"}"));
        assertEquals("load", load.get("done_reason").asString());
        assertTrue(load.get("done").asBoolean());
        ps = TestServer.json(server.get("/api/ps"));
        assertEquals(1, ps.get("models").size());
        JsonNode m = ps.get("models").get(0);
        assertEquals("tiny:latest", m.get("name").asString());
        assertEquals(128, m.get("context_length").asInt(), "num_ctx 4096 clamped to the model's 128");
        assertEquals(0, m.get("size_vram").asInt());
        assertTrue(m.get("size").asLong() > 1_000_000);
        assertEquals("llama", m.get("details").get("family").asString());
        java.time.Instant exp = java.time.Instant.parse(m.get("expires_at").asString());
        assertTrue(exp.isAfter(java.time.Instant.now().plusSeconds(200)) && exp.isBefore(java.time.Instant.now().plusSeconds(301)), exp.toString());
        assertEquals("idle", ps.get("running").get(0).get("status").asString());

        JsonNode unload = TestServer.json(server.post("/api/chat", "{\"model\":\"tiny\",\"keep_alive\":0}"));
        assertEquals("unload", unload.get("done_reason").asString());
        assertEquals(0, TestServer.json(server.get("/api/ps")).get("models").size());

        // keep_alive -1 is forever; a short keep-alive expires
        server.post("/api/generate", "{\"model\":\"tiny\",\"keep_alive\":-1}");
        exp = java.time.Instant.parse(TestServer.json(server.get("/api/ps")).get("models").get(0).get("expires_at").asString());
        assertTrue(exp.isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(365 * 200))));
        // sticky: a request without keep_alive keeps "forever"
        server.post("/api/generate", "{\"model\":\"tiny\"," + greedy("Hi", 2) + ",\"stream\":false}");
        exp = java.time.Instant.parse(TestServer.json(server.get("/api/ps")).get("models").get(0).get("expires_at").asString());
        assertTrue(exp.isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(365 * 200))));
        server.post("/api/generate", "{\"model\":\"tiny\",\"keep_alive\":\"100ms\"}");
        long deadline = System.currentTimeMillis() + 5000;
        while (TestServer.json(server.get("/api/ps")).get("models").size() > 0 && System.currentTimeMillis() < deadline) Thread.sleep(50);
        assertEquals(0, TestServer.json(server.get("/api/ps")).get("models").size(), "expired after its keep-alive");

        // keep_alive 0 with a prompt: answered, then unloaded
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\"," + greedy("Hi", 2) + ",\"stream\":false,\"keep_alive\":0}");
        assertEquals(200, r.statusCode());
        assertEquals(0, TestServer.json(server.get("/api/ps")).get("models").size());
    }

    @Test
    void defaultKeepAliveFromEnvironment() throws Exception {
        start(Map.of("OLLAMA_KEEP_ALIVE", "1h", "OLLAMA_CONTEXT_LENGTH", "64"));
        server.post("/api/generate", "{\"model\":\"tiny\"}");
        JsonNode m = TestServer.json(server.get("/api/ps")).get("models").get(0);
        java.time.Instant exp = java.time.Instant.parse(m.get("expires_at").asString());
        assertTrue(exp.isAfter(java.time.Instant.now().plusSeconds(3500)));
        assertEquals(64, m.get("context_length").asInt());
        // a request asking for another num_ctx reloads the runner
        server.post("/api/generate", "{\"model\":\"tiny\",\"options\":{\"num_ctx\":32}}");
        assertEquals(32, TestServer.json(server.get("/api/ps")).get("models").get(0).get("context_length").asInt());
    }

    @Test
    void parallelRequestsAndTheQueueLimit() throws Exception {
        start(Map.of("OLLAMA_NUM_PARALLEL", "2", "OLLAMA_MAX_QUEUE", "1"));
        String body = "{\"model\":\"tiny\"," + greedy("Once upon a time", 64) + ",\"stream\":false}";
        String expected = reference(0).get("generated_text").asString();
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < 2; i++) fs.add(CompletableFuture.supplyAsync(() -> server.post("/api/generate", body)));
        for (var f : fs) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(expected, TestServer.json(r).get("response").asString());
        }
    }

    @Test
    void leastRecentlyUsedIdleModelIsEvicted() throws Exception {
        start(Map.of("OLLAMA_MAX_LOADED_MODELS", "2"));
        String f16 = server.upload(TestServer.testdata().resolve("models/stories260K-f16.gguf"));
        String q8 = server.upload(TestServer.testdata().resolve("models/stories260K-q8_0.gguf"));
        assertEquals(200, server.post("/api/create", "{\"model\":\"tiny16\",\"files\":{\"a.gguf\":\"" + f16 + "\"},\"stream\":false}").statusCode());
        assertEquals(200, server.post("/api/create", "{\"model\":\"tiny8\",\"files\":{\"b.gguf\":\"" + q8 + "\"},\"stream\":false}").statusCode());
        server.post("/api/generate", "{\"model\":\"tiny\"}");
        server.post("/api/generate", "{\"model\":\"tiny16\"}");
        server.post("/api/generate", "{\"model\":\"tiny\"}"); // tiny is now the most recently used
        server.post("/api/generate", "{\"model\":\"tiny8\"}");
        List<String> names = new ArrayList<>();
        for (JsonNode m : TestServer.json(server.get("/api/ps")).get("models")) names.add(m.get("name").asString());
        assertEquals(2, names.size(), names.toString());
        assertTrue(names.contains("tiny:latest") && names.contains("tiny8:latest"), names.toString());
    }

    @Test
    void fullQueueAnswers503() throws Exception {
        start(Map.of("OLLAMA_NUM_PARALLEL", "1", "OLLAMA_MAX_QUEUE", "1"));
        Scheduler scheduler = server.server.context().scheduler();
        // the only slot is held (as a long generation would hold it), one request waits, the next finds the queue full
        try (Scheduler.Lease busy = scheduler.acquire(tinyRunner(), null, () -> false)) {
            var waiting = CompletableFuture.supplyAsync(() -> server.post("/api/generate", "{\"model\":\"tiny\"," + greedy("Hi", 1) + ",\"stream\":false}"));
            waitFor(() -> scheduler.waiting() == 1);
            HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\"," + greedy("Hi", 1) + ",\"stream\":false}");
            assertError(r, 503, "server busy, please try again.  maximum pending requests exceeded");
            assertFalse(waiting.isDone());
        }
    }

    /** What /api/generate asks the scheduler for on "tiny" with default options (num_ctx 4096 clamped to 128). */
    LoadRequest tinyRunner() throws Exception {
        Path blob = server.models.resolve("blobs/sha256-" + TestServer.sha256Hex(TestServer.storiesF32()));
        return new LoadRequest("tiny:latest", "", blob, 0, 128, 512, false);
    }

    static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) fail("condition not reached");
            Thread.sleep(20);
        }
    }

    @Test
    void clientDisconnectStopsGeneration() throws Exception {
        start(Map.of());
        server.post("/api/generate", "{\"model\":\"tiny\"}");
        String body = "{\"model\":\"tiny\"," + greedy("Once upon a time", 1_000_000) + "}";
        try (Socket socket = new Socket("127.0.0.1", server.server.port())) {
            OutputStream out = socket.getOutputStream();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(b);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            int chunks = 0;
            for (String line; (line = in.readLine()) != null && chunks < 5; ) if (line.contains("\"response\"")) chunks++;
            assertEquals(5, chunks);
            assertEquals("running", TestServer.json(server.get("/api/ps")).get("running").get(0).get("status").asString());
        }
        // the server notices at its next write and stops generating: the model goes idle
        waitFor(() -> "idle".equals(TestServer.json(server.get("/api/ps")).get("running").get(0).get("status").asString()));
        // and still answers
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\"," + greedy("Once upon a time", 4) + ",\"stream\":false}");
        assertEquals(200, r.statusCode());
    }

    @Test
    void clientThatLeavesWhileQueuedIsCancelled() throws Exception {
        start(Map.of("OLLAMA_NUM_PARALLEL", "1", "OLLAMA_MAX_QUEUE", "1"));
        Scheduler scheduler = server.server.context().scheduler();
        // hold the only slot of tiny's runner
        try (Scheduler.Lease held = scheduler.acquire(tinyRunner(), null, () -> false)) {
            String body = "{\"model\":\"tiny\"," + greedy("Once upon a time", 4) + "}";
            try (Socket socket = new Socket("127.0.0.1", server.server.port())) {
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                        + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                out.write(b);
                out.flush();
                waitFor(() -> scheduler.waiting() == 1);
            }
            // the server notices the closed connection while the request waits, and drops it from the queue
            waitFor(() -> scheduler.waiting() == 0);
            // so the queue has room again: the next request waits instead of being refused with 503
            var next = CompletableFuture.supplyAsync(() -> server.post("/api/generate", "{\"model\":\"tiny\"," + greedy("Hi", 1) + ",\"stream\":false}"));
            waitFor(() -> scheduler.waiting() == 1 || next.isDone());
            assertFalse(next.isDone(), () -> next.join().body());
            held.close();
            assertEquals(200, next.get(30, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void modelThatFailsToLoadLeavesServerHealthy() throws Exception {
        start(Map.of());
        String d = server.upload(TestServer.tinyGguf("mamba9"));
        HttpResponse<String> c = server.post("/api/create", "{\"model\":\"broken\",\"files\":{\"b.gguf\":\"" + d + "\"},\"stream\":false}");
        assertEquals(200, c.statusCode(), c.body());
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"broken\",\"prompt\":\"hi\"}");
        assertEquals(500, r.statusCode(), r.body());
        assertTrue(TestServer.json(r).get("error").asString().contains("unsupported model architecture 'mamba9'"), r.body());
        assertEquals(0, TestServer.json(server.get("/api/ps")).get("models").size());
        assertEquals(200, server.post("/api/generate", "{\"model\":\"tiny\"," + greedy("Hi", 2) + ",\"stream\":false}").statusCode());
    }

    @Test
    void logprobsMatchLlamaCppThroughHttp() throws Exception {
        start(Map.of());
        Path gguf = TestServer.testdata().resolve("models/arch/llama-bpe-f32.gguf");
        JsonNode ref = Json.MAPPER.readTree(gguf.resolveSibling("llama-bpe-f32.gguf.reference.json").toFile()).get("prompts").get(0);
        String d = server.upload(gguf);
        assertEquals(200, server.post("/api/create", "{\"model\":\"bpe\",\"files\":{\"m.gguf\":\"" + d + "\"},\"stream\":false}").statusCode());
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"bpe\",\"raw\":true," + greedy(ref.get("prompt").asString(), 32)
                + ",\"logprobs\":true,\"top_logprobs\":5,\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = TestServer.json(r);
        assertEquals(ref.get("content").asString(), j.get("response").asString());
        JsonNode lps = j.get("logprobs");
        assertEquals(32, lps.size());
        StringBuilder text = new StringBuilder();
        double worst = 0;
        for (int i = 0; i < 32; i++) {
            JsonNode e = lps.get(i), t = ref.get("top5").get(i);
            text.append(e.get("token").asString());
            assertEquals(5, e.get("top_logprobs").size());
            assertEquals(e.get("token").asString(), e.get("top_logprobs").get(0).get("token").asString(), "greedy: the chosen token is the best");
            for (int k = 0; k < 5; k++) {
                worst = Math.max(worst, Math.abs(e.get("top_logprobs").get(k).get("logprob").asDouble() - t.get("top_logprobs").get(k).asDouble()));
            }
            assertEquals(t.get("logprob").asDouble(), e.get("logprob").asDouble(), 6e-3);
        }
        assertTrue(worst < 6e-3, "top-5 log-probs within 6e-3 of llama.cpp's: " + worst);
        assertEquals(j.get("response").asString(), text.toString());

        // streaming: every chunk carries the entries of its tokens
        r = server.post("/api/generate", "{\"model\":\"bpe\",\"raw\":true," + greedy(ref.get("prompt").asString(), 8) + ",\"logprobs\":true}");
        int entries = 0;
        for (JsonNode l : lines(r)) if (l.has("logprobs")) entries += l.get("logprobs").size();
        assertEquals(8, entries);
    }

    @Test
    void embedAndLegacyEmbeddings() throws Exception {
        start(Map.of());
        JsonNode e = TestServer.json(server.post("/api/embed", "{\"model\":\"tiny\",\"input\":[\"Once upon a time\",\"Lily and Tom\"]}"));
        assertEquals("tiny", e.get("model").asString());
        assertEquals(2, e.get("embeddings").size());
        int lily = TestServer.json(server.post("/api/tokenize", "{\"model\":\"tiny\",\"content\":\"Lily and Tom\"}")).get("tokens").size();
        assertEquals(5 + lily, e.get("prompt_eval_count").asInt(), "the tokens of both inputs, BOS included");
        double[] a = vec(e.get("embeddings").get(0)), b = vec(e.get("embeddings").get(1));
        assertEquals(64, a.length);
        assertEquals(1.0, dot(a, a), 1e-5, "L2-normalised");
        assertTrue(dot(a, b) < 0.9999, "different inputs, different vectors");
        // deterministic, and a single string is the same as a one-element list
        JsonNode one = TestServer.json(server.post("/api/embed", "{\"model\":\"tiny\",\"input\":\"Once upon a time\"}"));
        assertArrayEquals(a, vec(one.get("embeddings").get(0)), 1e-7);
        // dimensions cuts and normalises again
        JsonNode cut = TestServer.json(server.post("/api/embed", "{\"model\":\"tiny\",\"input\":\"Once upon a time\",\"dimensions\":8}"));
        double[] c = vec(cut.get("embeddings").get(0));
        assertEquals(8, c.length);
        assertEquals(1.0, dot(c, c), 1e-5);
        // legacy: one vector of float64, not normalised, pointing the same way
        JsonNode legacy = TestServer.json(server.post("/api/embeddings", "{\"model\":\"tiny\",\"prompt\":\"Once upon a time\"}"));
        double[] l = vec(legacy.get("embedding"));
        assertNotEquals(1.0, dot(l, l), 1e-3);
        assertEquals(1.0, dot(l, a) / Math.sqrt(dot(l, l)), 1e-5);

        assertEquals("[]", TestServer.json(server.post("/api/embed", "{\"model\":\"tiny\",\"input\":[]}")).get("embeddings").toString());
        assertEquals("[]", TestServer.json(server.post("/api/embeddings", "{\"model\":\"tiny\",\"prompt\":\"\"}")).get("embedding").toString());
        assertError(server.post("/api/embed", "{\"model\":\"tiny\",\"input\":[1,2]}"), 400, "invalid input type");
        assertError(server.post("/api/embed", "{\"model\":\"\",\"input\":\"x\"}"), 404, "model '' not found");
        assertError(server.post("/api/embeddings", "{\"model\":\"\"}"), 400, "model is required");
        assertError(server.post("/api/embeddings", "{\"model\":\"nope\",\"prompt\":\"x\"}"), 404, "model \"nope\" not found, try pulling it first");
        assertError(server.post("/api/embed", "{\"model\":\"tiny\",\"truncate\":false,\"input\":" + Json.write("a b ".repeat(200)) + "}"), 400,
                "the input length exceeds the context length");
        assertEquals(200, server.post("/api/embed", "{\"model\":\"tiny\",\"input\":" + Json.write("a b ".repeat(200)) + "}").statusCode(), "cut to fit by default");
    }

    static double[] vec(JsonNode a) {
        double[] r = new double[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asDouble();
        return r;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @Test
    void jsonModeAnswersJson() throws Exception {
        start(Map.of());
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\"," + greedy("Once upon a time", 100) + ",\"format\":\"json\",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = TestServer.json(r);
        String text = j.get("response").asString();
        assertTrue(text.stripLeading().startsWith("{"), text);
        if (j.get("done_reason").asString().equals("stop")) assertTrue(Json.MAPPER.readTree(text).isObject(), text);
        HttpResponse<String> chat = server.post("/api/chat", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"Lily\"}],"
                + "\"format\":\"json\",\"options\":{\"temperature\":0,\"num_predict\":40},\"stream\":false}");
        assertEquals(200, chat.statusCode(), chat.body());
        assertTrue(TestServer.json(chat).get("message").get("content").asString().stripLeading().startsWith("{"));
    }

    @Test
    void tokenizeAndDetokenize() throws Exception {
        start(Map.of());
        JsonNode ref = reference(0);
        JsonNode t = TestServer.json(server.post("/api/tokenize", "{\"model\":\"tiny\",\"content\":\"Once upon a time\"}"));
        assertEquals("tiny", t.get("model").asString());
        assertEquals(ref.get("prompt_token_ids").toString(), t.get("tokens").toString());
        JsonNode d = TestServer.json(server.post("/api/detokenize", "{\"model\":\"tiny\",\"tokens\":" + ref.get("generated_token_ids") + "}"));
        assertEquals(ref.get("generated_text").asString(), d.get("content").asString());
        assertError(server.post("/api/tokenize", "{\"model\":\"nope\",\"content\":\"x\"}"), 404, "model 'nope' not found");
        assertError(server.post("/api/detokenize", "{\"model\":\"tiny\",\"tokens\":[99999]}"), 400, "token id 99999 is out of range (vocabulary of 512)");
    }
}
