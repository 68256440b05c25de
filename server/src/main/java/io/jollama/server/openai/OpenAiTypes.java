package io.jollama.server.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.jollama.server.api.InferenceTypes;

import java.util.List;
import java.util.Map;

/** Requests and responses of the OpenAI-compatible endpoints (spec §9), as OpenAI's clients send and read them. */
public final class OpenAiTypes {
    private OpenAiTypes() {}

    public static final String FINGERPRINT = "fp_ollama";

    // ------------------------------------------------------------------ requests

    public record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {}

    public record Reasoning(String effort) {}

    public record FunctionCall(String name, String arguments) {}

    public record ToolCall(String id, String type, FunctionCall function) {}

    /** {@code content} is a string, an array of parts, or absent (only beside {@code tool_calls}). */
    public record Message(String role, Object content, String name, @JsonProperty("tool_call_id") String toolCallId,
                          @JsonProperty("tool_calls") List<ToolCall> toolCalls, String reasoning) {}

    public record ChatCompletionRequest(
            String model, List<Message> messages, Boolean stream,
            @JsonProperty("stream_options") StreamOptions streamOptions,
            @JsonProperty("max_tokens") Integer maxTokens,
            @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
            Integer seed, Object stop, Double temperature,
            @JsonProperty("frequency_penalty") Double frequencyPenalty,
            @JsonProperty("presence_penalty") Double presencePenalty,
            @JsonProperty("top_p") Double topP,
            @JsonProperty("response_format") Map<String, Object> responseFormat,
            List<Map<String, Object>> tools,
            @JsonProperty("reasoning_effort") String reasoningEffort,
            Reasoning reasoning,
            Boolean logprobs, @JsonProperty("top_logprobs") Integer topLogprobs) {}

    /** {@code logprobs} is the legacy integer form: how many alternatives to return per token. */
    public record CompletionRequest(
            String model, String prompt, String suffix, Boolean stream,
            @JsonProperty("stream_options") StreamOptions streamOptions,
            @JsonProperty("max_tokens") Integer maxTokens,
            Integer seed, Object stop, Double temperature,
            @JsonProperty("frequency_penalty") Double frequencyPenalty,
            @JsonProperty("presence_penalty") Double presencePenalty,
            @JsonProperty("top_p") Double topP,
            Integer logprobs) {}

    public record EmbeddingRequest(String model, Object input, Integer dimensions,
                                   @JsonProperty("encoding_format") String encodingFormat) {}

    // ------------------------------------------------------------------ responses

    /** One vector of /v1/embeddings: a float list, or a base64 string of little-endian float32s. */
    @JsonPropertyOrder({"object", "embedding", "index"})
    public record EmbeddingData(@JsonProperty("object") String object, @JsonProperty("embedding") Object embedding,
                                @JsonProperty("index") int index) {}

    @JsonPropertyOrder({"prompt_tokens", "total_tokens"})
    public record EmbeddingUsage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("total_tokens") int totalTokens) {}

    @JsonPropertyOrder({"object", "data", "model", "usage"})
    public record EmbeddingList(@JsonProperty("object") String object, @JsonProperty("data") List<EmbeddingData> data,
                                @JsonProperty("model") String model, @JsonProperty("usage") EmbeddingUsage usage) {}

    @JsonPropertyOrder({"prompt_tokens", "completion_tokens", "total_tokens"})
    public record Usage(@JsonProperty("prompt_tokens") int promptTokens,
                        @JsonProperty("completion_tokens") int completionTokens,
                        @JsonProperty("total_tokens") int totalTokens) {
        public static final Usage ZERO = new Usage(0, 0, 0);

        static Usage of(InferenceTypes.Metrics m) {
            return m == null ? ZERO : new Usage(m.promptEvalCount(), m.evalCount(), m.promptEvalCount() + m.evalCount());
        }
    }

    @JsonPropertyOrder({"name", "arguments"})
    public record FunctionCallOut(@JsonProperty("name") String name, @JsonProperty("arguments") String arguments) {}

    @JsonPropertyOrder({"id", "index", "type", "function"})
    public record ToolCallOut(@JsonProperty("id") String id, @JsonProperty("index") int index,
                              @JsonProperty("type") String type, @JsonProperty("function") FunctionCallOut function) {}

    public record Logprobs(@JsonProperty("content") List<InferenceTypes.Logprob> content) {}

    @JsonPropertyOrder({"role", "content", "reasoning", "tool_calls"})
    public record AssistantMessage(
            @JsonProperty("role") String role,
            @JsonProperty("content") String content,
            @JsonProperty("reasoning") @JsonInclude(JsonInclude.Include.NON_EMPTY) String reasoning,
            @JsonProperty("tool_calls") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ToolCallOut> toolCalls) {}

    @JsonPropertyOrder({"index", "message", "finish_reason", "logprobs"})
    public record Choice(@JsonProperty("index") int index, @JsonProperty("message") AssistantMessage message,
                         @JsonProperty("finish_reason") String finishReason,
                         @JsonProperty("logprobs") @JsonInclude(JsonInclude.Include.NON_NULL) Logprobs logprobs) {}

    @JsonPropertyOrder({"id", "object", "created", "model", "system_fingerprint", "choices", "usage"})
    public record ChatCompletion(@JsonProperty("id") String id, @JsonProperty("object") String object,
                                 @JsonProperty("created") long created, @JsonProperty("model") String model,
                                 @JsonProperty("system_fingerprint") String systemFingerprint,
                                 @JsonProperty("choices") List<Choice> choices, @JsonProperty("usage") Usage usage) {}

    /** A streamed delta: absent fields are left out, so the finish chunk's delta is {@code {}}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"role", "content", "reasoning", "tool_calls"})
    public record Delta(@JsonProperty("role") String role, @JsonProperty("content") String content,
                        @JsonProperty("reasoning") String reasoning,
                        @JsonProperty("tool_calls") List<ToolCallOut> toolCalls) {
        static final Delta EMPTY = new Delta(null, null, null, null);
    }

    @JsonPropertyOrder({"index", "delta", "finish_reason", "logprobs"})
    public record ChunkChoice(@JsonProperty("index") int index, @JsonProperty("delta") Delta delta,
                              @JsonProperty("finish_reason") String finishReason,
                              @JsonProperty("logprobs") @JsonInclude(JsonInclude.Include.NON_NULL) Logprobs logprobs) {}

    @JsonPropertyOrder({"id", "object", "created", "model", "system_fingerprint", "choices", "usage"})
    public record ChatCompletionChunk(@JsonProperty("id") String id, @JsonProperty("object") String object,
                                      @JsonProperty("created") long created, @JsonProperty("model") String model,
                                      @JsonProperty("system_fingerprint") String systemFingerprint,
                                      @JsonProperty("choices") List<ChunkChoice> choices,
                                      @JsonProperty("usage") @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {}

    @JsonPropertyOrder({"text", "index", "finish_reason", "logprobs"})
    public record CompletionChoice(@JsonProperty("text") String text, @JsonProperty("index") int index,
                                   @JsonProperty("finish_reason") String finishReason,
                                   @JsonProperty("logprobs") @JsonInclude(JsonInclude.Include.NON_NULL) Logprobs logprobs) {}

    /** Both the whole answer and each streamed chunk of /v1/completions. */
    @JsonPropertyOrder({"id", "object", "created", "model", "system_fingerprint", "choices", "usage"})
    public record Completion(@JsonProperty("id") String id, @JsonProperty("object") String object,
                             @JsonProperty("created") long created, @JsonProperty("model") String model,
                             @JsonProperty("system_fingerprint") String systemFingerprint,
                             @JsonProperty("choices") List<CompletionChoice> choices,
                             @JsonProperty("usage") @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {}

    @JsonPropertyOrder({"id", "object", "created", "owned_by"})
    public record ModelEntry(@JsonProperty("id") String id, @JsonProperty("object") String object,
                             @JsonProperty("created") long created, @JsonProperty("owned_by") String ownedBy) {}

    /** {@code data} is {@code null}, not {@code []}, when there are no models (Ollama's Go nil slice). */
    @JsonPropertyOrder({"object", "data"})
    public record ModelList(@JsonProperty("object") String object, @JsonProperty("data") List<ModelEntry> data) {}

    @JsonPropertyOrder({"message", "type", "param", "code"})
    public record ErrorDetail(@JsonProperty("message") String message, @JsonProperty("type") String type,
                              @JsonProperty("param") Object param, @JsonProperty("code") Object code) {}

    public record ErrorBody(@JsonProperty("error") ErrorDetail error) {
        /** The OpenAI error type of an HTTP status, as Ollama maps it. */
        public static ErrorBody of(int status, String message) {
            String type = switch (status) {
                case 400 -> "invalid_request_error";
                case 404 -> "not_found_error";
                default -> "api_error";
            };
            return new ErrorBody(new ErrorDetail(message, type, null, null));
        }
    }
}
