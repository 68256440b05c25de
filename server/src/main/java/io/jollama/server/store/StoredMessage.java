package io.jollama.server.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/** A message of a model's messages layer, fields in the order of Go's {@code api.Message} (so blob digests match). */
@JsonPropertyOrder({"role", "content", "thinking", "images", "tool_calls", "tool_name", "tool_call_id"})
public record StoredMessage(
        @JsonProperty("role") String role,
        @JsonProperty("content") String content,
        @JsonProperty("thinking") @JsonInclude(JsonInclude.Include.NON_EMPTY) String thinking,
        @JsonProperty("images") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> images,
        @JsonProperty("tool_calls") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Map<String, Object>> toolCalls,
        @JsonProperty("tool_name") @JsonInclude(JsonInclude.Include.NON_EMPTY) String toolName,
        @JsonProperty("tool_call_id") @JsonInclude(JsonInclude.Include.NON_EMPTY) String toolCallId) {

    public StoredMessage(String role, String content) {
        this(role, content, null, null, null, null, null);
    }
}
