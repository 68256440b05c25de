package io.jollama.server.api;

import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** What hostile testing found (issue 15): requests that must not keep the server busy, and bad input that must be a clear 4xx. */
class ReliabilityTest {

    @TempDir
    Path dir;
    TestServer server;

    TestServer start(Map<String, String> env) throws Exception {
        server = new TestServer(ServerConfig.local(0, dir.resolve("models")).withEnv(env));
        String d = server.upload(TestServer.storiesF32());
        HttpResponse<String> r = server.post("/api/create", "{\"model\":\"tiny\",\"files\":{\"s.gguf\":\"" + d + "\"},\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        r = server.post("/api/create", "{\"model\":\"tinychat\",\"from\":\"tiny\",\"template\":\"{{ range .Messages }}{{ .Content }}{{ end }}\",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    static Socket send(TestServer server, String path, String body) throws Exception {
        Socket socket = new Socket("127.0.0.1", server.server.port());
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(b);
        out.flush();
        return socket;
    }

    String status() {
        var running = TestServer.json(server.get("/api/ps")).get("running");
        return running.isEmpty() ? "none" : running.get(0).get("status").asString();
    }

    /** Item 1: a non-streaming request writes nothing until the end, yet its generation stops when the client leaves. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/api/generate|{\"model\":\"tiny\",\"prompt\":\"Once\",\"stream\":false,\"options\":{\"num_predict\":100000}}",
            "/api/chat|{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"Once\"}],\"stream\":false,\"options\":{\"num_predict\":100000}}",
            "/v1/chat/completions|{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":\"Once\"}],\"max_tokens\":100000}"})
    void nonStreamingRequestStopsWhenItsClientLeaves(String path, String body) throws Exception {
        start(Map.of());
        server.post("/api/generate", "{\"model\":\"tiny\"}");
        try (Socket socket = send(server, path, body)) {
            InferenceApiTest.waitFor(() -> status().equals("running"));
        }
        long left = System.nanoTime();
        InferenceApiTest.waitFor(() -> status().equals("idle"));
        long ms = (System.nanoTime() - left) / 1_000_000;
        assertTrue(ms < 1500, "generation went on for " + ms + " ms after the client left");
        // the model serves the next request at once
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"Once\",\"stream\":false,\"options\":{\"num_predict\":3}}");
        assertEquals(200, r.statusCode(), r.body());
    }

    /** Item 2: truncating a long history to the context is near-linear, not one render per dropped message. */
    @Test
    void longChatHistoryIsTruncatedQuickly() throws Exception {
        start(Map.of());
        StringBuilder b = new StringBuilder("{\"model\":\"tinychat\",\"stream\":false,\"options\":{\"num_predict\":1,\"temperature\":0},\"messages\":[");
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(',');
            b.append("{\"role\":\"").append(i % 2 == 0 ? "user" : "assistant").append("\",\"content\":\"Once upon a time \"}");
        }
        b.append("]}");
        assertTrue(b.length() > 2_000_000);
        long t0 = System.nanoTime();
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/api/chat")).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(b.toString())));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, r.statusCode(), r.body());
        var json = TestServer.json(r);
        // the kept suffix of the history fits the context (128 tokens for this model)
        assertTrue(json.get("prompt_eval_count").asInt() <= 128, r.body());
        assertTrue(json.get("prompt_eval_count").asInt() > 64, r.body());
        // one render per dropped message took minutes here (8-37 s for 10,000 messages); binary search takes seconds
        assertTrue(ms < 30_000, "took " + ms + " ms");
    }

    @Test
    void bodyOverTheLimitIs413AndAMalformedChunkedBodyIs400() throws Exception {
        start(Map.of("JOLLAMA_MAX_REQUEST_BODY", "2000"));
        String big = "{\"model\":\"tinychat\",\"prompt\":\"" + "a".repeat(3000) + "\"}";
        HttpResponse<String> r = server.post("/api/generate", big);
        InferenceApiTest.assertError(r, 413, "request body too large (more than 2000 bytes)");
        r = server.post("/v1/chat/completions", big);
        assertEquals(413, r.statusCode(), r.body());
        // without a length: a chunked body is bounded too
        r = server.send(HttpRequest.newBuilder(server.uri("/api/chat"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))));
        InferenceApiTest.assertError(r, 413, "request body too large (more than 2000 bytes)");

        try (Socket socket = new Socket("127.0.0.1", server.server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/show HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"mod\r\nzz\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            String answer = readAll(socket.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
            assertFalse(answer.contains("Exception") || answer.contains("at io."), answer);
        }
    }

    static String render(TestServer server, String template) {
        return server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"_debug_render_only\":true,\"template\":"
                + Json.write(template) + "}").body();
    }

    /** Item 4: widths and precisions are bounded as in Go's fmt, and so is the rendered prompt (a clear 400, quickly). */
    @Test
    void templateOutputIsBounded() throws Exception {
        start(Map.of());
        long t0 = System.nanoTime();
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"_debug_render_only\":true,"
                + "\"template\":\"{{ printf \\\"%*d|%.*f|%100000000d\\\" 1000000000 1 -1 2.5 3 }}\"}");
        assertEquals(200, r.statusCode(), r.body());
        // what Go's fmt prints for a width over 1e6, a negative precision and a literal width that overflows its parser
        assertEquals("%!(BADWIDTH)1|%!(BADPREC)2.500000|%!(NOVERB)%!(EXTRA int=3)",
                TestServer.json(r).get("_debug_info").get("rendered_template").asString());

        r = server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"template\":"
                + Json.write("{{ range 100 }}{{ printf \"%*d\" 1000000 1 }}{{ end }}") + "}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(TestServer.json(r).get("error").asString().endsWith("template output exceeds 67108864 characters"), r.body());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
    }

    /** Item 6: define/template run as in Go; a template call without data is refused as Ollama's template parser does. */
    @Test
    void definedTemplatesRunAsInGo() throws Exception {
        start(Map.of());
        String out = render(server, "{{ define \"a\" }}A{{ .Prompt }}{{ end }}{{ template \"a\" . }}");
        assertEquals("Ahi", Json.MAPPER.readTree(out).get("_debug_info").get("rendered_template").asString(), out);
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"_debug_render_only\":true,\"template\":"
                + Json.write("{{ define \"a\" }}A{{ end }}{{ template \"a\" }}") + "}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(TestServer.json(r).get("error").asString().endsWith("undefined template specified"), r.body());
    }

    /** Item 5: bad input that used to be a 500 (or a logged stack trace) is Go's 400. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/api/create|{\"model\":\"x\",\"files\":{\"a\\u0000.gguf\":\"DIGEST\"},\"stream\":false}|invalid file name \"a\\u0000.gguf\"",
            "/api/create|{\"model\":\"x\",\"modelfile\":\"FROM tiny\\nPARAMETER temperature NaN\",\"stream\":false}|invalid float value [NaN]",
            "/api/create|{\"model\":\"x\",\"from\":\"tiny\",\"parameters\":{\"temperature\":1e999999},\"stream\":false}|invalid float value [Infinity] for parameter temperature",
            "/api/generate|{\"model\":\"tiny\",\"prompt\":\"hi\",\"options\":{\"num_predict\":1e999999}}|json: cannot unmarshal number into Go struct field .options of type float64",
            "/api/generate|{\"model\":\"tiny\",\"prompt\":\"hi\",\"top_logprobs\":1.5}|json: cannot unmarshal number into Go struct field .top_logprobs of type int",
            "/api/generate|{\"model\":\"tiny\",\"prompt\":\"hi\",\"top_logprobs\":1e999999}|json: cannot unmarshal number into Go struct field .top_logprobs of type int",
            "/api/generate|{\"model\":\"tiny\",\"prompt\":\"hi\",\"context\":[1.5]}|json: cannot unmarshal number of type int",
            "/api/generate|{\"model\":\"tiny\",\"prompt\":\"hi\",\"context\":[-1]}|context token id -1 is out of range (vocabulary of 512)",
            "/api/embed|{\"model\":\"tiny\",\"input\":\"hi\",\"dimensions\":1.5}|json: cannot unmarshal number into Go struct field .dimensions of type int",
            "/api/detokenize|{\"model\":\"tiny\",\"tokens\":[1.5]}|json: cannot unmarshal number of type int"})
    void badNumbersAndNamesAre400(String path, String body, String error) throws Exception {
        start(Map.of());
        String digest = "sha256:" + TestServer.sha256Hex(TestServer.storiesF32());
        InferenceApiTest.assertError(server.post(path, body.replace("DIGEST", digest)), 400, error);
    }

    /** Item 8: shutting down (SIGTERM runs this) ends a running stream with an error line, within the grace period. */
    @Test
    void shutdownEndsStreamsWithAnErrorLine() throws Exception {
        start(Map.of());
        try (Socket socket = send(server, "/api/generate", "{\"model\":\"tiny\",\"prompt\":\"Once\",\"options\":{\"num_predict\":1000000}}")) {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            int chunks = 0;
            for (String line; chunks < 3 && (line = in.readLine()) != null; ) if (line.contains("\"response\"")) chunks++;
            long t0 = System.nanoTime();
            var closing = java.util.concurrent.CompletableFuture.runAsync(server::close);
            String last = null;
            for (String line; (line = in.readLine()) != null; ) if (line.startsWith("{")) last = line;
            closing.get(10, java.util.concurrent.TimeUnit.SECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            server = null;
            assertEquals("{\"error\":\"server shutting down\"}", last);
            assertTrue(ms < io.jollama.server.JollamaServer.SHUTDOWN_GRACE.toMillis(), ms + " ms");
        }
    }

    /** Item 9: temporary files of an interrupted create or upload go at the next start, those of a live server stay. */
    @Test
    void leftoverTemporaryFilesAreRemovedAtStart() throws Exception {
        Path blobs = dir.resolve("models/blobs"), manifests = dir.resolve("models/manifests/registry.ollama.ai/library/x");
        java.nio.file.Files.createDirectories(blobs);
        java.nio.file.Files.createDirectories(manifests);
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long dead = gone.pid(), live = ProcessHandle.current().pid();
        Path orphanBlob = java.nio.file.Files.writeString(blobs.resolve("tmp-" + dead + "-123.part"), "half a blob");
        Path orphanQuant = java.nio.file.Files.writeString(blobs.resolve("tmp-quant-" + dead + "-9.part"), "half a quantization");
        Path orphanManifest = java.nio.file.Files.writeString(manifests.resolve(".tmp-" + dead + "-5.manifest"), "{");
        Path othersUpload = java.nio.file.Files.writeString(blobs.resolve("tmp-" + live + "-77.part"), "being written by a live server");
        Path partialDownload = java.nio.file.Files.writeString(blobs.resolve("sha256-" + "a".repeat(64) + "-partial"), "resumable");
        start(Map.of());
        assertFalse(java.nio.file.Files.exists(orphanBlob));
        assertFalse(java.nio.file.Files.exists(orphanQuant));
        assertFalse(java.nio.file.Files.exists(orphanManifest));
        assertTrue(java.nio.file.Files.exists(othersUpload));
        assertTrue(java.nio.file.Files.exists(partialDownload));
    }

    static String readAll(InputStream in) throws Exception {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
