package io.jollama.server.api;

import io.jollama.server.Json;
import io.jollama.server.api.InferenceTypes.ChatResponse;
import io.jollama.server.thinking.ThinkingParser;
import io.jollama.server.toolcall.ToolCallParser;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * How /api/chat turns generated text into messages when the request has tools ({@link ChatPieces}), fed
 * with a fixed model output: the TinyStories model cannot be made to write tool calls, so the output is given here.
 */
class ToolCallParserChatTest {

    /** Collects what a chat would write, as the JSON the client sees. */
    static final class Recording implements InferenceApi.Output {
        final boolean stream;
        final List<JsonNode> sent = new ArrayList<>();

        Recording(boolean stream) {
            this.stream = stream;
        }

        @Override public boolean stream() { return stream; }
        @Override public void send(Object message) { sent.add(Json.MAPPER.readTree(Json.write(message))); }
        @Override public void single(Object message) { sent.add(Json.MAPPER.readTree(Json.write(message))); }
        @Override public void fail(int status, String message) { org.junit.jupiter.api.Assertions.fail(status + " " + message); }
        @Override public boolean gone() { return false; }
    }

    static final List<String> OUTPUT = List.of("<think>", "I should", " look</think>", " It is cold. <tool", "_call>{\"name\": \"get_",
            "conditions\", \"arguments\": {\"location\": \"Oslo\", \"days\": 2}}</tool_call>", "<tool_call>{\"name\": \"add\", \"arguments\": {}}", "</tool_call>");

    static ChatPieces pieces(Recording out, boolean tools) {
        return new ChatPieces(out, "m", new ThinkingParser("<think>", "</think>", false),
                tools ? new ToolCallParser("<tool_call>", List.of("get_conditions", "add")) : null, null);
    }

    @Test
    void streamedChunksCarryToolCalls() {
        Recording out = new Recording(true);
        ChatPieces p = pieces(out, true);
        OUTPUT.forEach(p::add);
        p.finish();

        StringBuilder content = new StringBuilder(), thinking = new StringBuilder();
        List<JsonNode> calls = new ArrayList<>();
        for (JsonNode chunk : out.sent) {
            JsonNode msg = chunk.get("message");
            assertEquals("assistant", msg.get("role").asString());
            assertFalse(chunk.get("done").asBoolean());
            content.append(msg.get("content").asString());
            if (msg.has("thinking")) thinking.append(msg.get("thinking").asString());
            if (msg.has("tool_calls")) {
                assertEquals("", msg.get("content").asString(), "a tool-call chunk has empty content");
                msg.get("tool_calls").forEach(calls::add);
            }
        }
        assertEquals("I should look", thinking.toString());
        assertEquals("It is cold. ", content.toString());
        assertEquals(2, calls.size());
        JsonNode first = calls.getFirst();
        assertTrue(first.get("id").asString().matches("call_[a-z0-9]{8}"));
        assertNotEquals(first.get("id").asString(), calls.get(1).get("id").asString());
        assertEquals(0, first.get("function").get("index").asInt());
        assertEquals("get_conditions", first.get("function").get("name").asString());
        // argument order as generated; the native API sends an object, never a string
        assertEquals("{\"location\":\"Oslo\",\"days\":2}", Json.write(first.get("function").get("arguments")));
        assertEquals(1, calls.get(1).get("function").get("index").asInt());
        assertEquals("add", calls.get(1).get("function").get("name").asString());
        assertTrue(calls.get(1).get("function").get("arguments").isEmpty());
        // each call went out as soon as it was complete: the first with the piece that closed its object
        assertTrue(out.sent.stream().filter(c -> c.get("message").has("tool_calls")).allMatch(c -> c.get("message").get("tool_calls").size() == 1));
    }

    @Test
    void nonStreamingCollectsAllToolCalls() {
        Recording out = new Recording(false);
        ChatPieces p = pieces(out, true);
        OUTPUT.forEach(p::add);
        p.finish();
        assertTrue(out.sent.isEmpty(), "nothing is sent before the single answer");
        JsonNode msg = Json.MAPPER.readTree(Json.write(new ChatResponse("m", "t", p.message(), "stop", true, InferenceTypes.Metrics.NONE, null, null)))
                .get("message");
        assertEquals("It is cold. ", msg.get("content").asString());
        assertEquals("I should look", msg.get("thinking").asString());
        assertEquals(List.of("get_conditions", "add"), msg.get("tool_calls").valueStream().map(c -> c.get("function").get("name").asString()).toList());
        assertEquals("{\"index\":0,\"name\":\"get_conditions\",\"arguments\":{\"location\":\"Oslo\",\"days\":2}}",
                Json.write(msg.get("tool_calls").get(0).get("function")));
    }

    @Test
    void withoutToolsTheTagIsContent() {
        Recording out = new Recording(false);
        ChatPieces p = pieces(out, false);
        OUTPUT.forEach(p::add);
        p.finish();
        JsonNode msg = Json.MAPPER.readTree(Json.write(p.message()));
        assertFalse(msg.has("tool_calls"));
        assertTrue(msg.get("content").asString().startsWith("It is cold. <tool_call>{\"name\": \"get_conditions\""));
    }

    @Test
    void unfinishedCallIsDroppedAndHeldBackTextReturned() {
        Recording out = new Recording(true);
        ChatPieces p = new ChatPieces(out, "m", null, new ToolCallParser("<tool_call>", List.of("add")), null);
        p.add("Sum: a <");
        p.add("b <tool");
        p.finish();
        assertEquals("Sum: a <b <tool", p.message().content());
        assertNull(p.message().toolCalls());

        p = new ChatPieces(new Recording(true), "m", null, new ToolCallParser("<tool_call>", List.of("add")), null);
        p.add("Sum: <tool_call>{\"name\": \"add\", \"arguments\": {\"a\"");
        p.finish();
        assertEquals("Sum: ", p.message().content());
        assertNull(p.message().toolCalls());
    }
}
