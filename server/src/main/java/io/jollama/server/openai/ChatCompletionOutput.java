package io.jollama.server.openai;

import io.javalin.http.Context;
import io.jollama.server.Json;
import io.jollama.server.api.Http;
import io.jollama.server.api.InferenceApi;
import io.jollama.server.api.InferenceTypes.ChatResponse;
import io.jollama.server.api.InferenceTypes.Logprob;
import io.jollama.server.openai.OpenAiTypes.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Receives the native /api/chat responses and answers in OpenAI's chat.completion form (spec §9.1): one JSON object,
 * or a stream of chat.completion.chunk events ending with a finish chunk, an optional usage chunk and {@code [DONE]}.
 */
final class ChatCompletionOutput implements InferenceApi.Output {
    private final Context ctx;
    private final boolean stream;
    private final boolean includeUsage;
    private final String id;
    private final SseWriter sse;
    private long created = -1;
    private String model;
    private boolean roleSent;
    private boolean toolCallsSent;

    ChatCompletionOutput(Context ctx, boolean stream, boolean includeUsage, String id) {
        this.ctx = ctx;
        this.stream = stream;
        this.includeUsage = includeUsage;
        this.id = id;
        this.sse = new SseWriter(ctx);
    }

    @Override
    public boolean stream() {
        return stream;
    }

    @Override
    public boolean gone() {
        return sse.gone();
    }

    @Override
    public void send(Object message) {
        ChatResponse r = (ChatResponse) message;
        if (created < 0) created = OpenAiApi.unixSeconds(r.createdAt());
        model = r.model();
        String content = r.message() == null || r.message().content() == null ? "" : r.message().content();
        String thinking = r.message() == null ? null : r.message().thinking();
        List<ToolCallOut> calls = toolCalls(r.message() == null ? null : r.message().toolCalls());
        boolean hasThinking = thinking != null && !thinking.isEmpty();
        Logprobs lp = logprobs(r.logprobs());
        if (!r.done() || !roleSent) {
            // a native chunk with both thinking and an answer becomes two chunks: reasoning first
            if (hasThinking && (!content.isEmpty() || calls != null)) {
                chunk(new Delta(role(), null, thinking, null), null, null);
                chunk(new Delta(role(), content, null, calls), null, lp);
            } else if (hasThinking) {
                chunk(new Delta(role(), null, thinking, null), null, lp);
            } else if (!r.done() || !content.isEmpty() || calls != null || !roleSent) {
                chunk(new Delta(role(), content, null, calls), null, lp);
            }
            if (calls != null) toolCallsSent = true;
        }
        if (!r.done()) return;
        chunk(Delta.EMPTY, finishReason(r.doneReason(), toolCallsSent), null);
        if (includeUsage) sse.send(new ChatCompletionChunk(id, "chat.completion.chunk", created, r.model(), OpenAiTypes.FINGERPRINT,
                List.of(), Usage.of(r.metrics())));
        sse.done();
    }

    /** The role goes on the first chunk only. */
    private String role() {
        if (roleSent) return null;
        roleSent = true;
        return "assistant";
    }

    private void chunk(Delta delta, String finishReason, Logprobs lp) {
        sse.send(new ChatCompletionChunk(id, "chat.completion.chunk", created, model, OpenAiTypes.FINGERPRINT,
                List.of(new ChunkChoice(0, delta, finishReason, lp)), null));
    }

    @Override
    public void single(Object message) {
        ChatResponse r = (ChatResponse) message;
        String content = r.message() == null || r.message().content() == null ? "" : r.message().content();
        List<ToolCallOut> calls = toolCalls(r.message() == null ? null : r.message().toolCalls());
        AssistantMessage m = new AssistantMessage("assistant", content, r.message() == null ? null : r.message().thinking(), calls);
        Choice choice = new Choice(0, m, finishReason(r.doneReason(), calls != null), logprobs(r.logprobs()));
        Http.json(ctx, new ChatCompletion(id, "chat.completion", OpenAiApi.unixSeconds(r.createdAt()), r.model(), OpenAiTypes.FINGERPRINT,
                List.of(choice), Usage.of(r.metrics())));
    }

    @Override
    public void fail(int status, String message) {
        if (sse.started()) sse.fail(status, message);
        else OpenAiApi.error(ctx, status, message);
    }

    static String finishReason(String doneReason, boolean toolCalls) {
        if (doneReason == null || doneReason.isEmpty()) return null;
        return toolCalls && doneReason.equals("stop") ? "tool_calls" : doneReason;
    }

    static Logprobs logprobs(List<Logprob> lp) {
        return lp == null || lp.isEmpty() ? null : new Logprobs(lp);
    }

    /** Native calls (arguments as an object) to OpenAI's (arguments as a JSON string). */
    static List<ToolCallOut> toolCalls(List<Map<String, Object>> calls) {
        if (calls == null || calls.isEmpty()) return null;
        List<ToolCallOut> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            Map<String, Object> c = calls.get(i);
            Map<?, ?> fn = c.get("function") instanceof Map<?, ?> f ? f : Map.of();
            int index = fn.get("index") instanceof Number n ? n.intValue() : i;
            String cid = c.get("id") instanceof String s && !s.isEmpty() ? s : "call_" + index;
            String name = fn.get("name") instanceof String s ? s : "";
            Object args = fn.get("arguments") == null ? Map.of() : fn.get("arguments");
            out.add(new ToolCallOut(cid, index, "function", new FunctionCallOut(name, Json.write(args))));
        }
        return out;
    }
}
