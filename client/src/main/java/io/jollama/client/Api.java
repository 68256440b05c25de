package io.jollama.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/**
 * The request and response types of the Ollama API (spec §1), as records. Requests leave out null fields;
 * responses ignore fields they do not know. Durations are nanoseconds, as on the wire.
 */
public final class Api {

    private Api() {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Message(String role, @JsonInclude(JsonInclude.Include.ALWAYS) String content, String thinking,
                          List<String> images) {
        public Message(String role, String content) {
            this(role, content, null, null);
        }
    }

    /**
     * {@code POST /api/generate}. {@code format} is {@code "json"} or a JSON-schema object; {@code keepAlive} a
     * duration string ("5m") or seconds; {@code think} a boolean or a level string.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record GenerateRequest(String model, String prompt, String system, String template, Object format,
                                  Map<String, Object> options, @JsonProperty("keep_alive") Object keepAlive,
                                  Object think, Boolean raw, Boolean stream, List<String> images) {
        public GenerateRequest(String model, String prompt, String system, String template, Object format,
                               Map<String, Object> options, Object keepAlive, Object think, Boolean raw, Boolean stream) {
            this(model, prompt, system, template, format, options, keepAlive, think, raw, stream, null);
        }

        public static GenerateRequest of(String model, String prompt) {
            return new GenerateRequest(model, prompt, null, null, null, null, null, null, null, null);
        }
    }

    public record GenerateResponse(String model, @JsonProperty("created_at") String createdAt, String response,
                                   String thinking, boolean done, @JsonProperty("done_reason") String doneReason,
                                   List<Integer> context,
                                   @JsonProperty("total_duration") long totalDuration,
                                   @JsonProperty("load_duration") long loadDuration,
                                   @JsonProperty("prompt_eval_count") int promptEvalCount,
                                   @JsonProperty("prompt_eval_duration") long promptEvalDuration,
                                   @JsonProperty("eval_count") int evalCount,
                                   @JsonProperty("eval_duration") long evalDuration) {
        public Metrics metrics() {
            return new Metrics(totalDuration, loadDuration, promptEvalCount, promptEvalDuration, evalCount, evalDuration);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ChatRequest(String model, List<Message> messages, Object format, Map<String, Object> options,
                              @JsonProperty("keep_alive") Object keepAlive, Object think, Boolean stream) {
        public static ChatRequest of(String model, List<Message> messages) {
            return new ChatRequest(model, messages, null, null, null, null, null);
        }
    }

    public record ChatResponse(String model, @JsonProperty("created_at") String createdAt, Message message,
                               boolean done, @JsonProperty("done_reason") String doneReason,
                               @JsonProperty("total_duration") long totalDuration,
                               @JsonProperty("load_duration") long loadDuration,
                               @JsonProperty("prompt_eval_count") int promptEvalCount,
                               @JsonProperty("prompt_eval_duration") long promptEvalDuration,
                               @JsonProperty("eval_count") int evalCount,
                               @JsonProperty("eval_duration") long evalDuration) {
        public Metrics metrics() {
            return new Metrics(totalDuration, loadDuration, promptEvalCount, promptEvalDuration, evalCount, evalDuration);
        }
    }

    /** The timing figures of a finished generate or chat stream. */
    public record Metrics(long totalDuration, long loadDuration, int promptEvalCount, long promptEvalDuration,
                          int evalCount, long evalDuration) {}

    public record ModelDetails(@JsonProperty("parent_model") String parentModel, String format, String family,
                               List<String> families, @JsonProperty("parameter_size") String parameterSize,
                               @JsonProperty("quantization_level") String quantizationLevel) {}

    public record ListModel(String name, String model, @JsonProperty("modified_at") OffsetDateTime modifiedAt,
                            long size, String digest, ModelDetails details, List<String> capabilities) {}

    public record ListResponse(List<ListModel> models) {
        public ListResponse {
            models = models == null ? List.of() : List.copyOf(models);
        }
    }

    public record ProcessModel(String name, String model, long size, String digest, ModelDetails details,
                               @JsonProperty("expires_at") OffsetDateTime expiresAt,
                               @JsonProperty("size_vram") long sizeVram,
                               @JsonProperty("context_length") int contextLength) {}

    public record ProcessResponse(List<ProcessModel> models) {
        public ProcessResponse {
            models = models == null ? List.of() : List.copyOf(models);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ShowRequest(String model, String system, Boolean verbose, Map<String, Object> options) {
        public static ShowRequest of(String model) {
            return new ShowRequest(model, null, null, null);
        }
    }

    public record Tensor(String name, String type, List<Long> shape) {}

    public record ShowResponse(String license, String modelfile, String parameters, String template, String system,
                               ModelDetails details, List<Message> messages,
                               @JsonProperty("model_info") Map<String, Object> modelInfo,
                               @JsonProperty("projector_info") Map<String, Object> projectorInfo,
                               List<Tensor> tensors, List<String> capabilities,
                               @JsonProperty("modified_at") OffsetDateTime modifiedAt, String requires) {}

    public record CopyRequest(String source, String destination) {}

    public record DeleteRequest(String model) {}

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record CreateRequest(String model, String from, Map<String, String> files, Map<String, String> adapters,
                                String template, String system, List<String> license, Map<String, Object> parameters,
                                List<Message> messages, String quantize, String renderer, String parser,
                                String requires, Boolean stream) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PullRequest(String model, Boolean insecure, Boolean stream) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PushRequest(String model, Boolean insecure, Boolean stream) {}

    /** One progress line of pull, push or create. */
    public record ProgressResponse(String status, String digest, long total, long completed) {}

    public record VersionResponse(String version) {}

    /** {@code POST /api/embed}: {@code input} is a string or a list of strings. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EmbedRequest(String model, Object input, Boolean truncate, Integer dimensions,
                               Map<String, Object> options, @JsonProperty("keep_alive") Object keepAlive) {}

    public record EmbedResponse(String model, List<List<Float>> embeddings,
                                @JsonProperty("total_duration") long totalDuration,
                                @JsonProperty("load_duration") long loadDuration,
                                @JsonProperty("prompt_eval_count") int promptEvalCount) {}

    // ---- Jollama's download queue (ohhhllama's extensions) -----------------------------------------------------

    /** One entry of {@code GET /api/queue}'s {@code queue}: pending or downloading, with its progress in bytes. */
    public record QueueItem(long id, String model, String type, @JsonProperty("repo_id") String repoId, String quant,
                            @JsonProperty("requester_ip") String requesterIp, String status, String error, int attempts,
                            long completed, long total, @JsonProperty("created_at") OffsetDateTime createdAt,
                            @JsonProperty("updated_at") OffsetDateTime updatedAt) {}

    /** A finished entry of {@code GET /api/queue}'s {@code recent}. */
    public record RecentItem(long id, String model, String status, String error,
                             @JsonProperty("updated_at") OffsetDateTime updatedAt) {}

    public record QueueResponse(Map<String, Integer> counts, List<QueueItem> queue, List<RecentItem> recent) {}

    public record RateLimit(int remaining, int limit) {}

    /** The 202 answer of a queued pull or import ({@code queued} or {@code already_queued}). */
    public record QueuedResponse(String status, String message, @JsonProperty("queue_id") long queueId, String model,
                                 String quant, List<String> files, long size,
                                 @JsonProperty("rate_limit") RateLimit rateLimit, int pending) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HfQueueRequest(@JsonProperty("repo_id") String repoId, String quant, String name) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record QueuedPullRequest(String model, Boolean insecure, boolean stream, boolean queue) {}

    public record QueueRemoveRequest(String name) {}
}
