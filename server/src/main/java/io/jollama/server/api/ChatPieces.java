package io.jollama.server.api;

import io.jollama.server.api.InferenceTypes.ChatResponse;
import io.jollama.server.api.InferenceTypes.Metrics;
import io.jollama.server.api.InferenceTypes.ResponseMessage;
import io.jollama.server.thinking.ThinkingParser;
import io.jollama.server.toolcall.ToolCallParser;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns a chat's generated text into response messages: split into thinking and content (when thinking is
 * parsed), then the content searched for tool calls (when the request has tools, spec §8.1). Streaming sends a
 * chunk per piece that yields something, and each batch of tool calls in a chunk of its own with content "";
 * everything is also collected for the non-streaming answer.
 */
final class ChatPieces {
    private final InferenceApi.Output out;
    private final String model;
    private final ThinkingParser thinking;
    private final ToolCallParser tools;
    private final LogprobCollector lp;
    private final StringBuilder content = new StringBuilder(), thought = new StringBuilder();
    private final List<Map<String, Object>> calls = new ArrayList<>();

    ChatPieces(InferenceApi.Output out, String model, ThinkingParser thinking, ToolCallParser tools, LogprobCollector lp) {
        this.out = out;
        this.model = model;
        this.thinking = thinking;
        this.tools = tools;
        this.lp = lp;
    }

    void add(String piece) {
        if (thinking == null) emit("", piece);
        else emit(thinking.add(piece));
    }

    /** The end of generation: whatever the parsers held back. */
    void finish() {
        if (thinking != null) emit(thinking.flush());
        if (tools != null) send("", tools.flush(), null);
    }

    /** The whole answer; {@code tool_calls} only appear when the request had tools. */
    ResponseMessage message() {
        return new ResponseMessage("assistant", content.toString(), thought.toString(), calls.isEmpty() ? null : List.copyOf(calls));
    }

    private void emit(ThinkingParser.Delta d) {
        emit(d.thinking(), d.content());
    }

    private void emit(String thinkingText, String text) {
        if (tools == null || text.isEmpty()) {
            send(thinkingText, text, null);
            return;
        }
        ToolCallParser.Result r = tools.add(text);
        send(thinkingText, r.content(), null);
        if (!r.calls().isEmpty()) send("", "", r.calls().stream().map(ToolCallParser.ToolCall::toJson).toList());
    }

    private void send(String thinkingText, String text, List<Map<String, Object>> toolCalls) {
        if (thinkingText.isEmpty() && text.isEmpty() && toolCalls == null) return;
        content.append(text);
        thought.append(thinkingText);
        if (toolCalls != null) calls.addAll(toolCalls);
        if (out.stream()) {
            out.send(new ChatResponse(model, InferenceApi.now(), new ResponseMessage("assistant", text, thinkingText, toolCalls), null, false,
                    Metrics.NONE, null, LogprobCollector.drain(lp)));
        }
    }
}
