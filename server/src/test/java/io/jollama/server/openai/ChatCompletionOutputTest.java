package io.jollama.server.openai;

import io.javalin.http.Context;
import io.jollama.server.Json;
import io.jollama.server.api.InferenceTypes.ChatResponse;
import io.jollama.server.api.InferenceTypes.Metrics;
import io.jollama.server.api.InferenceTypes.ResponseMessage;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The streaming translation of native chat chunks that TinyStories cannot produce (thinking, tool calls), fed
 * directly with native responses; the rest is covered through HTTP in {@link OpenAiApiTest}.
 */
class ChatCompletionOutputTest {

    /** A Javalin context whose response body is collected in memory. */
    static Context capturing(ByteArrayOutputStream body) {
        ServletOutputStream sos = new ServletOutputStream() {
            @Override public boolean isReady() { return true; }
            @Override public void setWriteListener(WriteListener l) {}
            @Override public void write(int b) { body.write(b); }
        };
        HttpServletResponse res = (HttpServletResponse) Proxy.newProxyInstance(HttpServletResponse.class.getClassLoader(),
                new Class<?>[]{HttpServletResponse.class}, (p, m, a) -> m.getName().equals("getOutputStream") ? sos : null);
        Object[] self = new Object[1];
        self[0] = Proxy.newProxyInstance(Context.class.getClassLoader(), new Class<?>[]{Context.class}, (p, m, a) -> switch (m.getName()) {
            case "res" -> res;
            case "status" -> self[0];
            default -> throw new UnsupportedOperationException(m.getName());
        });
        return (Context) self[0];
    }

    static ChatResponse chunk(String content, String thinking, List<Map<String, Object>> calls) {
        return new ChatResponse("m", "2026-01-02T03:04:05.5Z", new ResponseMessage("assistant", content, thinking, calls), null, false,
                new Metrics(0, 0, 0, 0, 0, 0), null, null);
    }

    static ChatResponse done(String reason) {
        return new ChatResponse("m", "2026-01-02T03:04:09Z", new ResponseMessage("assistant", "", null, null), reason, true,
                new Metrics(1, 1, 7, 1, 3, 1), null, null);
    }

    static List<JsonNode> events(ByteArrayOutputStream body) {
        String s = body.toString(StandardCharsets.UTF_8);
        assertTrue(s.endsWith("data: [DONE]\n\n"), s);
        List<JsonNode> out = new ArrayList<>();
        for (String f : s.substring(0, s.length() - "data: [DONE]\n\n".length()).split("\n\n")) out.add(Json.MAPPER.readTree(f.substring(6)));
        return out;
    }

    static JsonNode delta(JsonNode ev) {
        return ev.get("choices").get(0).get("delta");
    }

    @Test
    void thinkingAndContentInOneChunkAreSplit() {
        var body = new ByteArrayOutputStream();
        var out = new ChatCompletionOutput(capturing(body), true, true, "chatcmpl-7");
        out.send(chunk("", "Hmm", null));
        out.send(chunk("Hi", "ok.", null));
        out.send(chunk(" there", null, null));
        out.send(done("stop"));
        List<JsonNode> ev = events(body);
        assertEquals(6, ev.size(), ev.toString());
        assertEquals("{\"role\":\"assistant\",\"reasoning\":\"Hmm\"}", delta(ev.get(0)).toString());
        assertEquals("{\"reasoning\":\"ok.\"}", delta(ev.get(1)).toString());
        assertEquals("{\"content\":\"Hi\"}", delta(ev.get(2)).toString());
        assertEquals("{\"content\":\" there\"}", delta(ev.get(3)).toString());
        assertEquals("{}", delta(ev.get(4)).toString());
        assertEquals("stop", ev.get(4).get("choices").get(0).get("finish_reason").asString());
        assertEquals("{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}", ev.get(5).get("usage").toString());
        for (JsonNode e : ev) {
            assertEquals(1767323045L, e.get("created").asLong(), "the first native chunk's time");
            assertEquals("chatcmpl-7", e.get("id").asString());
        }
    }

    @Test
    void streamedToolCallsMakeFinishReasonToolCalls() {
        var body = new ByteArrayOutputStream();
        var out = new ChatCompletionOutput(capturing(body), true, false, "chatcmpl-1");
        out.send(chunk("", null, List.of(Map.of("id", "call_a", "function", Map.of("index", 0, "name", "get_weather",
                "arguments", Map.of("city", "Tokyo"))))));
        out.send(done("stop"));
        List<JsonNode> ev = events(body);
        assertEquals(2, ev.size());
        JsonNode call = delta(ev.get(0)).get("tool_calls").get(0);
        assertEquals("call_a", call.get("id").asString());
        assertEquals("function", call.get("type").asString());
        assertEquals("{\"city\":\"Tokyo\"}", call.get("function").get("arguments").asString());
        assertEquals("", delta(ev.get(0)).get("content").asString());
        assertEquals("tool_calls", ev.get(1).get("choices").get(0).get("finish_reason").asString());
    }

    @Test
    void emptyCompletionStillHasARoleChunk() {
        var body = new ByteArrayOutputStream();
        new ChatCompletionOutput(capturing(body), true, false, "chatcmpl-2").send(done("stop"));
        List<JsonNode> ev = events(body);
        assertEquals(2, ev.size());
        assertEquals("{\"role\":\"assistant\",\"content\":\"\"}", delta(ev.get(0)).toString());
        assertEquals("{}", delta(ev.get(1)).toString());
    }
}
