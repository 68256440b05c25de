package io.jollama.server.openai;

import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The /v1 endpoints through real HTTP on the TinyStories model, checked against llama.cpp's greedy reference text. */
class OpenAiApiTest {

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer(ServerConfig.local(0, dir.resolve("models")));
        String d = server.upload(TestServer.storiesF32());
        HttpResponse<String> r = server.post("/api/create", "{\"model\":\"tiny\",\"files\":{\"stories.gguf\":\"" + d + "\"},\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        r = server.post("/api/create", "{\"model\":\"tinychat\",\"from\":\"tiny\",\"template\":\"{{ range .Messages }}{{ .Content }}{{ end }}\",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static JsonNode reference(int i) {
        return Json.MAPPER.readTree(TestServer.testdata().resolve("models/stories260K-reference.json").toFile())
                .get("models").get("stories260K-f32.gguf").get(i);
    }

    /** The JSON events of an SSE body; the final {@code [DONE]} is checked and left out. */
    static List<JsonNode> events(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        String body = r.body();
        assertTrue(body.endsWith("data: [DONE]\n\n"), body);
        List<JsonNode> out = new ArrayList<>();
        for (String frame : body.substring(0, body.length() - "data: [DONE]\n\n".length()).split("\n\n")) {
            assertTrue(frame.startsWith("data: "), frame);
            assertFalse(frame.substring(6).contains("\n"), "one line per event");
            out.add(Json.MAPPER.readTree(frame.substring(6)));
        }
        return out;
    }

    static void assertOpenAiError(HttpResponse<String> r, int status, String type, String message) {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = TestServer.json(r).get("error");
        assertNotNull(e, r.body());
        assertEquals(message, e.get("message").asString());
        assertEquals(type, e.get("type").asString());
        assertTrue(e.get("param").isNull());
        assertTrue(e.get("code").isNull());
    }

    static String userChat(String model, String content, String extra) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":" + Json.write(content) + "}]" + extra + "}";
    }

    // ------------------------------------------------------------------ chat

    @Test
    void chatCompletionEqualsLlamaCpp() {
        JsonNode ref = reference(0);
        long before = System.currentTimeMillis() / 1000;
        HttpResponse<String> r = server.post("/v1/chat/completions",
                userChat("tinychat", ref.get("prompt").asString(), ",\"temperature\":0,\"max_tokens\":64"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonNode j = TestServer.json(r);
        assertTrue(j.get("id").asString().matches("chatcmpl-\\d{1,3}"), j.get("id").asString());
        assertEquals("chat.completion", j.get("object").asString());
        assertEquals("tinychat", j.get("model").asString());
        assertEquals("fp_ollama", j.get("system_fingerprint").asString());
        assertTrue(j.get("created").asLong() >= before && j.get("created").asLong() <= System.currentTimeMillis() / 1000 + 1);
        JsonNode choice = j.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.get("message").get("role").asString());
        assertEquals(ref.get("generated_text").asString(), choice.get("message").get("content").asString());
        assertEquals("length", choice.get("finish_reason").asString());
        assertFalse(choice.get("message").has("tool_calls"));
        JsonNode usage = j.get("usage");
        assertEquals(5, usage.get("prompt_tokens").asInt());
        assertEquals(64, usage.get("completion_tokens").asInt());
        assertEquals(69, usage.get("total_tokens").asInt());

        // max_completion_tokens is the newer name of max_tokens
        r = server.post("/v1/chat/completions", userChat("tinychat", ref.get("prompt").asString(), ",\"temperature\":0,\"max_completion_tokens\":5"));
        j = TestServer.json(r);
        assertEquals(5, j.get("usage").get("completion_tokens").asInt());
        assertTrue(ref.get("generated_text").asString().startsWith(j.get("choices").get(0).get("message").get("content").asString()));
    }

    @Test
    void chatCompletionStreamsSse() {
        JsonNode ref = reference(0);
        HttpResponse<String> r = server.post("/v1/chat/completions", userChat("tinychat", ref.get("prompt").asString(),
                ",\"temperature\":0,\"max_tokens\":64,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        List<JsonNode> ev = events(r);
        assertTrue(ev.size() > 10, "streamed in many chunks");
        String id = ev.getFirst().get("id").asString();
        long created = ev.getFirst().get("created").asLong();
        StringBuilder text = new StringBuilder();
        List<JsonNode> content = ev.subList(0, ev.size() - 2);
        for (int i = 0; i < content.size(); i++) {
            JsonNode c = content.get(i);
            assertEquals("chat.completion.chunk", c.get("object").asString());
            JsonNode choice = c.get("choices").get(0);
            assertTrue(choice.get("finish_reason").isNull());
            JsonNode delta = choice.get("delta");
            assertEquals(i == 0, delta.has("role"), "role on the first chunk only");
            if (i == 0) assertEquals("assistant", delta.get("role").asString());
            text.append(delta.get("content").asString());
        }
        assertEquals(ref.get("generated_text").asString(), text.toString());

        JsonNode finish = ev.get(ev.size() - 2);
        assertEquals("length", finish.get("choices").get(0).get("finish_reason").asString());
        assertEquals(0, finish.get("choices").get(0).get("delta").size(), "the finish chunk's delta is {}");
        assertFalse(finish.has("usage"));

        JsonNode usage = ev.getLast();
        assertEquals(0, usage.get("choices").size());
        assertEquals(5, usage.get("usage").get("prompt_tokens").asInt());
        assertEquals(64, usage.get("usage").get("completion_tokens").asInt());
        assertEquals(69, usage.get("usage").get("total_tokens").asInt());
        for (JsonNode e : ev) {
            assertEquals(id, e.get("id").asString());
            assertEquals(created, e.get("created").asLong());
            assertEquals("tinychat", e.get("model").asString());
            assertEquals("fp_ollama", e.get("system_fingerprint").asString());
        }

        // without include_usage there is no usage chunk
        ev = events(server.post("/v1/chat/completions", userChat("tinychat", "Once upon a time", ",\"temperature\":0,\"max_tokens\":3,\"stream\":true")));
        assertEquals("length", ev.getLast().get("choices").get(0).get("finish_reason").asString());
        for (JsonNode e : ev) assertFalse(e.has("usage"));
    }

    @Test
    void chatStopStrings() {
        String expected = ", there was a little ";
        for (String stop : List.of("\"girl\"", "[\"girl\",\"xyz\"]")) {
            JsonNode j = TestServer.json(server.post("/v1/chat/completions",
                    userChat("tinychat", "Once upon a time", ",\"temperature\":0,\"max_tokens\":64,\"stop\":" + stop)));
            assertEquals(expected, j.get("choices").get(0).get("message").get("content").asString(), stop);
            assertEquals("stop", j.get("choices").get(0).get("finish_reason").asString());
        }
        List<JsonNode> ev = events(server.post("/v1/chat/completions",
                userChat("tinychat", "Once upon a time", ",\"temperature\":0,\"max_tokens\":64,\"stop\":\"girl\",\"stream\":true")));
        StringBuilder text = new StringBuilder();
        for (JsonNode e : ev.subList(0, ev.size() - 1)) text.append(e.get("choices").get(0).get("delta").get("content").asString());
        assertEquals(expected, text.toString());
        assertEquals("stop", ev.getLast().get("choices").get(0).get("finish_reason").asString());
    }

    @Test
    void chatMessagesAsPartsAndHistory() {
        // each text part becomes a native message of the same role: the same answer as native /api/chat with two messages
        String body = "{\"model\":\"tinychat\",\"temperature\":0,\"max_tokens\":16,\"messages\":["
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Once upon\"},{\"type\":\"text\",\"text\":\" a time\"}]}]}";
        JsonNode j = TestServer.json(server.post("/v1/chat/completions", body));
        JsonNode n = TestServer.json(server.post("/api/chat", "{\"model\":\"tinychat\",\"stream\":false,\"options\":{\"temperature\":0,\"num_predict\":16},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon\"},{\"role\":\"user\",\"content\":\" a time\"}]}"));
        assertEquals(n.get("message").get("content").asString(), j.get("choices").get(0).get("message").get("content").asString());
        assertEquals(n.get("prompt_eval_count").asInt(), j.get("usage").get("prompt_tokens").asInt());
        assertFalse(j.get("choices").get(0).get("message").get("content").asString().isEmpty());

        // an assistant tool call and its tool answer are accepted (the template renders their contents only)
        body = "{\"model\":\"tinychat\",\"temperature\":0,\"max_tokens\":4,\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Once\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":1}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\" upon\"},"
                + "{\"role\":\"user\",\"content\":\" a time\"}]}";
        HttpResponse<String> r = server.post("/v1/chat/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(5, TestServer.json(r).get("usage").get("prompt_tokens").asInt(), "prompt: <s> Once upon a time");
    }

    @Test
    void chatErrorsInOpenAiShape() {
        assertOpenAiError(server.post("/v1/chat/completions", ""), 400, "invalid_request_error", "EOF");
        assertOpenAiError(server.post("/v1/chat/completions", "null"), 400, "invalid_request_error", "[] is too short - 'messages'");
        assertOpenAiError(server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[]}"), 400,
                "invalid_request_error", "[] is too short - 'messages'");
        assertOpenAiError(server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":2}]}"), 400,
                "invalid_request_error", "invalid message content type: float64");
        assertOpenAiError(server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\"}]}"), 400,
                "invalid_request_error", "invalid message content type: <nil>");
        assertOpenAiError(server.post("/v1/chat/completions", userChat("nope", "hi", "")), 404, "not_found_error", "model 'nope' not found");
        assertOpenAiError(server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\"}}]}]}"), 400, "invalid_request_error",
                "image URLs are not currently supported, please use base64 encoded data instead");
        assertOpenAiError(server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image_url\",\"image_url\":\"data:image/png;base64,iVBORw0KGgo=\"}]}]}"), 400, "invalid_request_error",
                "registry.ollama.ai/library/tinychat:latest does not support vision"); // the native handler's wording
        assertOpenAiError(server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"video\"}]}]}"), 400, "invalid_request_error", "invalid message format");
        assertOpenAiError(server.post("/v1/chat/completions", "{\"model\":\"tinychat\",\"messages\":[{\"role\":\"assistant\",\"content\":\"\","
                + "\"tool_calls\":[{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]}"), 400,
                "invalid_request_error", "invalid tool call arguments");
        assertOpenAiError(server.post("/v1/chat/completions", userChat("tinychat", "hi", ",\"reasoning_effort\":\"huge\"")), 400,
                "invalid_request_error", "invalid reasoning value: \"huge\" (must be \"none\", \"minimal\", \"low\", \"medium\", \"high\", \"xhigh\", \"max\" or \"ultra\")");
        // JSON mode works (the output starts a JSON object); a JSON schema is enforced, an unsupported one refused
        HttpResponse<String> r = server.post("/v1/chat/completions", userChat("tinychat", "hi",
                ",\"max_tokens\":20,\"response_format\":{\"type\":\"json_object\"}"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(TestServer.json(r).get("choices").get(0).get("message").get("content").asString().stripLeading().startsWith("{"), r.body());
        r = server.post("/v1/chat/completions", userChat("tinychat", "hi",
                ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\"}}}"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(Json.MAPPER.readTree(TestServer.json(r).get("choices").get(0).get("message").get("content").asString()).isObject(), r.body());
        r = server.post("/v1/chat/completions", userChat("tinychat", "hi",
                ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"array\",\"uniqueItems\":true,\"items\":{}}}}"));
        assertOpenAiError(r, 400, "invalid_request_error", "JSON schema feature not supported in format: \"uniqueItems\"");
        // a malformed body names the problem
        r = server.post("/v1/chat/completions", "{\"model\":");
        assertEquals(400, r.statusCode());
        assertEquals("invalid_request_error", TestServer.json(r).get("error").get("type").asString());
    }

    @Test
    void chatLogprobs() {
        JsonNode j = TestServer.json(server.post("/v1/chat/completions",
                userChat("tinychat", "Once upon a time", ",\"temperature\":0,\"max_tokens\":8,\"logprobs\":true,\"top_logprobs\":2")));
        JsonNode choice = j.get("choices").get(0);
        JsonNode content = choice.get("logprobs").get("content");
        assertEquals(8, content.size());
        StringBuilder tokens = new StringBuilder();
        for (JsonNode t : content) {
            tokens.append(t.get("token").asString());
            assertTrue(t.get("logprob").asDouble() <= 0);
            assertEquals(2, t.get("top_logprobs").size());
            // greedy: the chosen token is the most likely one
            assertEquals(t.get("token").asString(), t.get("top_logprobs").get(0).get("token").asString());
        }
        assertEquals(choice.get("message").get("content").asString(), tokens.toString());

        List<JsonNode> ev = events(server.post("/v1/chat/completions",
                userChat("tinychat", "Once upon a time", ",\"temperature\":0,\"max_tokens\":8,\"logprobs\":true,\"stream\":true")));
        int n = 0;
        for (JsonNode e : ev) if (e.get("choices").get(0).has("logprobs")) n += e.get("choices").get(0).get("logprobs").get("content").size();
        assertEquals(8, n);

        // without logprobs there is no logprobs field
        j = TestServer.json(server.post("/v1/chat/completions", userChat("tinychat", "Once upon a time", ",\"temperature\":0,\"max_tokens\":2")));
        assertFalse(j.get("choices").get(0).has("logprobs"));
    }

    // ------------------------------------------------------------------ completions

    @Test
    void completionEqualsLlamaCpp() {
        JsonNode ref = reference(1);
        String body = "{\"model\":\"tiny\",\"prompt\":" + Json.write(ref.get("prompt").asString()) + ",\"temperature\":0,\"max_tokens\":64}";
        HttpResponse<String> r = server.post("/v1/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = TestServer.json(r);
        assertTrue(j.get("id").asString().matches("cmpl-\\d{1,3}"), j.get("id").asString());
        assertEquals("text_completion", j.get("object").asString());
        assertEquals("tiny", j.get("model").asString());
        assertEquals("fp_ollama", j.get("system_fingerprint").asString());
        JsonNode choice = j.get("choices").get(0);
        assertEquals(ref.get("generated_text").asString(), choice.get("text").asString());
        assertEquals(0, choice.get("index").asInt());
        assertEquals("length", choice.get("finish_reason").asString());
        int promptTokens = ref.get("prompt_token_ids").size();
        assertEquals(promptTokens, j.get("usage").get("prompt_tokens").asInt());
        assertEquals(64, j.get("usage").get("completion_tokens").asInt());
        assertEquals(promptTokens + 64, j.get("usage").get("total_tokens").asInt());

        // a stop string ends the text before it
        r = server.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"Once upon a time\",\"temperature\":0,\"max_tokens\":64,\"stop\":[\"girl\"]}");
        choice = TestServer.json(r).get("choices").get(0);
        assertEquals(", there was a little ", choice.get("text").asString());
        assertEquals("stop", choice.get("finish_reason").asString());

        // legacy integer logprobs: that many alternatives per token
        r = server.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"Once upon a time\",\"temperature\":0,\"max_tokens\":4,\"logprobs\":3}");
        JsonNode lp = TestServer.json(r).get("choices").get(0).get("logprobs").get("content");
        assertEquals(4, lp.size());
        assertEquals(3, lp.get(0).get("top_logprobs").size());
    }

    @Test
    void completionStreamsSse() {
        JsonNode ref = reference(2);
        String body = "{\"model\":\"tiny\",\"prompt\":" + Json.write(ref.get("prompt").asString())
                + ",\"temperature\":0,\"max_tokens\":64,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        List<JsonNode> ev = events(server.post("/v1/completions", body));
        assertTrue(ev.size() > 10);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < ev.size() - 1; i++) {
            JsonNode e = ev.get(i);
            assertEquals("text_completion", e.get("object").asString());
            assertEquals(0, e.get("usage").get("total_tokens").asInt(), "zero usage on every chunk");
            JsonNode choice = e.get("choices").get(0);
            text.append(choice.get("text").asString());
            if (i < ev.size() - 2) assertTrue(choice.get("finish_reason").isNull());
            else assertEquals("length", choice.get("finish_reason").asString());
        }
        assertEquals(ref.get("generated_text").asString(), text.toString());
        JsonNode last = ev.getLast();
        assertEquals(0, last.get("choices").size());
        assertEquals(64, last.get("usage").get("completion_tokens").asInt());
        assertEquals(ref.get("prompt_token_ids").size() + 64, last.get("usage").get("total_tokens").asInt());
    }

    @Test
    void completionErrors() {
        assertOpenAiError(server.post("/v1/completions", ""), 400, "invalid_request_error", "EOF");
        assertOpenAiError(server.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"a\",\"stop\":[1]}"), 400,
                "invalid_request_error", "invalid type for 'stop' field: float64");
        assertOpenAiError(server.post("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"a\"}"), 404, "not_found_error",
                "model 'nope' not found");
        HttpResponse<String> r = server.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":[\"a\"]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid_request_error", TestServer.json(r).get("error").get("type").asString());
    }

    // ------------------------------------------------------------------ models, embeddings

    @Test
    void modelsListAndRetrieve() {
        HttpResponse<String> r = server.get("/v1/models");
        assertEquals(200, r.statusCode());
        JsonNode j = TestServer.json(r);
        assertEquals("list", j.get("object").asString());
        List<String> ids = new ArrayList<>();
        long now = System.currentTimeMillis() / 1000;
        for (JsonNode m : j.get("data")) {
            ids.add(m.get("id").asString());
            assertEquals("model", m.get("object").asString());
            assertEquals("library", m.get("owned_by").asString());
            assertTrue(Math.abs(now - m.get("created").asLong()) < 3600, "created is the modification time");
        }
        assertTrue(ids.containsAll(List.of("tiny:latest", "tinychat:latest")), ids.toString());

        j = TestServer.json(server.get("/v1/models/tiny"));
        assertEquals("tiny", j.get("id").asString());
        assertEquals("model", j.get("object").asString());
        assertEquals("library", j.get("owned_by").asString());
        assertTrue(j.get("created").asLong() > 0);

        assertOpenAiError(server.get("/v1/models/nope"), 404, "not_found_error", "model 'nope:latest' not found");
    }

    @Test
    void modelsListIsNullWhenEmpty(@TempDir Path empty) {
        try (TestServer s = new TestServer(ServerConfig.local(0, empty.resolve("models")))) {
            HttpResponse<String> r = s.get("/v1/models");
            assertEquals(200, r.statusCode());
            assertEquals("{\"object\":\"list\",\"data\":null}", r.body());
        }
    }

    @Test
    void embeddingsSayWhatIsMissing() {
        assertOpenAiError(server.post("/v1/embeddings", "{\"model\":\"tiny\",\"input\":\"hi\"}"), 400, "invalid_request_error",
                "\"tiny\" does not support embeddings");
        assertOpenAiError(server.post("/v1/embeddings", "{\"model\":\"tiny\",\"input\":[]}"), 400, "invalid_request_error", "invalid input");
        assertOpenAiError(server.post("/v1/embeddings", "{\"model\":\"tiny\",\"input\":\"x\",\"encoding_format\":\"int8\"}"), 400,
                "invalid_request_error", "Invalid value for 'encoding_format' = int8. Supported values: ['float', 'base64'].");
        assertOpenAiError(server.post("/v1/embeddings", "{\"model\":\"nope\",\"input\":\"x\"}"), 404, "not_found_error",
                "model \"nope\" not found, try pulling it first");
    }
}
