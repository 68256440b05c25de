package io.jollama.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/** Requests and responses of /api/generate, /api/chat, /api/ps, /api/tokenize and /api/detokenize, in Go's field order. */
public final class InferenceTypes {
    private InferenceTypes() {}

    public record GenerateRequest(
            String model, String prompt, String suffix, String system, String template, List<Integer> context,
            Boolean raw, Map<String, Object> options, Boolean stream,
            @JsonProperty("keep_alive") Object keepAlive, List<String> images, Object format, Object think,
            Boolean truncate, Boolean shift, Boolean logprobs, @JsonProperty("top_logprobs") Integer topLogprobs,
            @JsonProperty("_debug_render_only") Boolean debugRenderOnly) {
        static final GenerateRequest EMPTY = new GenerateRequest(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** A message as clients send it. */
    public record Message(
            String role, String content, String thinking, List<String> images,
            @JsonProperty("tool_calls") List<Map<String, Object>> toolCalls,
            @JsonProperty("tool_name") String toolName, @JsonProperty("tool_call_id") String toolCallId) {}

    public record ChatRequest(
            String model, List<Message> messages, List<Map<String, Object>> tools, Map<String, Object> options,
            Boolean stream, @JsonProperty("keep_alive") Object keepAlive, Object format, Object think,
            Boolean truncate, Boolean shift, Boolean logprobs, @JsonProperty("top_logprobs") Integer topLogprobs,
            @JsonProperty("_debug_render_only") Boolean debugRenderOnly) {
        static final ChatRequest EMPTY = new ChatRequest(null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The timing fields shared by generate and chat; zero values are omitted, as Go's omitempty does. */
    @JsonInclude(JsonInclude.Include.NON_DEFAULT)
    @JsonPropertyOrder({"total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"})
    public record Metrics(
            @JsonProperty("total_duration") long totalDuration,
            @JsonProperty("load_duration") long loadDuration,
            @JsonProperty("prompt_eval_count") int promptEvalCount,
            @JsonProperty("prompt_eval_duration") long promptEvalDuration,
            @JsonProperty("eval_count") int evalCount,
            @JsonProperty("eval_duration") long evalDuration) {
        static final Metrics NONE = new Metrics(0, 0, 0, 0, 0, 0);
    }

    public record DebugInfo(@JsonProperty("rendered_template") String renderedTemplate, @JsonProperty("image_count") int imageCount) {}

    @JsonPropertyOrder({"model", "created_at", "response", "thinking", "done", "done_reason", "context",
            "total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration", "_debug_info", "logprobs"})
    public record GenerateResponse(
            @JsonProperty("model") String model,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("response") String response,
            @JsonProperty("thinking") @JsonInclude(JsonInclude.Include.NON_EMPTY) String thinking,
            @JsonProperty("done") boolean done,
            @JsonProperty("done_reason") @JsonInclude(JsonInclude.Include.NON_EMPTY) String doneReason,
            @JsonProperty("context") @JsonInclude(JsonInclude.Include.NON_EMPTY) int[] context,
            @com.fasterxml.jackson.annotation.JsonUnwrapped Metrics metrics,
            @JsonProperty("_debug_info") @JsonInclude(JsonInclude.Include.NON_NULL) DebugInfo debugInfo,
            @JsonProperty("logprobs") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Logprob> logprobs) {}

    /** One generated token's log-probability (spec §8.6), with the most likely alternatives when asked for. */
    @JsonPropertyOrder({"token", "logprob", "bytes", "top_logprobs"})
    public record Logprob(@JsonProperty("token") String token, @JsonProperty("logprob") double logprob,
                          @JsonProperty("bytes") int[] bytes,
                          @JsonProperty("top_logprobs") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<TopLogprob> topLogprobs) {}

    @JsonPropertyOrder({"token", "logprob", "bytes"})
    public record TopLogprob(@JsonProperty("token") String token, @JsonProperty("logprob") double logprob, @JsonProperty("bytes") int[] bytes) {}

    @JsonPropertyOrder({"role", "content", "thinking", "images", "tool_calls", "tool_name", "tool_call_id"})
    public record ResponseMessage(
            @JsonProperty("role") String role,
            @JsonProperty("content") String content,
            @JsonProperty("thinking") @JsonInclude(JsonInclude.Include.NON_EMPTY) String thinking,
            @JsonProperty("tool_calls") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Map<String, Object>> toolCalls) {}

    @JsonPropertyOrder({"model", "created_at", "message", "done_reason", "done",
            "total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration", "_debug_info", "logprobs"})
    public record ChatResponse(
            @JsonProperty("model") String model,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("message") ResponseMessage message,
            @JsonProperty("done_reason") @JsonInclude(JsonInclude.Include.NON_EMPTY) String doneReason,
            @JsonProperty("done") boolean done,
            @com.fasterxml.jackson.annotation.JsonUnwrapped Metrics metrics,
            @JsonProperty("_debug_info") @JsonInclude(JsonInclude.Include.NON_NULL) DebugInfo debugInfo,
            @JsonProperty("logprobs") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Logprob> logprobs) {}

    @JsonPropertyOrder({"name", "model", "size", "digest", "details", "expires_at", "size_vram", "context_length"})
    public record ProcessModel(
            @JsonProperty("name") String name,
            @JsonProperty("model") String model,
            @JsonProperty("size") long size,
            @JsonProperty("digest") String digest,
            @JsonProperty("details") ModelViews.Details details,
            @JsonProperty("expires_at") String expiresAt,
            @JsonProperty("size_vram") long sizeVram,
            @JsonProperty("context_length") int contextLength,
            // Jollama: the API key (by name) that last used the model; absent when keys are off, as in Ollama
            @JsonProperty("key") @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String key) {}

    /** An older client's form of /api/ps entries. */
    public record RunningEntry(@JsonProperty("name") String name, @JsonProperty("status") String status, @JsonProperty("pid") long pid) {}

    public record ProcessResponse(@JsonProperty("models") List<ProcessModel> models,
                                  @JsonProperty("running") List<RunningEntry> running) {}

    public record EmbedRequest(String model, Object input, Boolean truncate, Integer dimensions, Map<String, Object> options,
                               @JsonProperty("keep_alive") Object keepAlive) {
        static final EmbedRequest EMPTY = new EmbedRequest(null, null, null, null, null, null);
    }

    @JsonPropertyOrder({"model", "embeddings", "total_duration", "load_duration", "prompt_eval_count"})
    public record EmbedResponse(
            @JsonProperty("model") String model,
            @JsonProperty("embeddings") List<float[]> embeddings,
            @JsonProperty("total_duration") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long totalDuration,
            @JsonProperty("load_duration") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long loadDuration,
            @JsonProperty("prompt_eval_count") @JsonInclude(JsonInclude.Include.NON_DEFAULT) int promptEvalCount) {}

    public record EmbeddingsRequest(String model, String prompt, Map<String, Object> options, @JsonProperty("keep_alive") Object keepAlive) {
        static final EmbeddingsRequest EMPTY = new EmbeddingsRequest(null, null, null, null);
    }

    public record EmbeddingsResponse(@JsonProperty("embedding") double[] embedding) {}

    public record TokenizeRequest(String model, String content, Map<String, Object> options, @JsonProperty("keep_alive") Object keepAlive) {
        static final TokenizeRequest EMPTY = new TokenizeRequest(null, null, null, null);
    }

    public record TokenizeResponse(@JsonProperty("model") String model, @JsonProperty("tokens") int[] tokens) {}

    public record DetokenizeRequest(String model, List<Integer> tokens, Map<String, Object> options, @JsonProperty("keep_alive") Object keepAlive) {
        static final DetokenizeRequest EMPTY = new DetokenizeRequest(null, null, null, null);
    }

    public record DetokenizeResponse(@JsonProperty("model") String model, @JsonProperty("content") String content) {}
}
