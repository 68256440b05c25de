package io.jollama.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** One progress line of pull, push and create (Ollama's {@code api.ProgressResponse}): zero fields are omitted. */
@JsonPropertyOrder({"status", "digest", "total", "completed"})
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record Progress(
        @JsonProperty("status") String status,
        @JsonProperty("digest") String digest,
        @JsonProperty("total") long total,
        @JsonProperty("completed") long completed) {

    public static Progress status(String status) {
        return new Progress(status, null, 0, 0);
    }

    public static final Progress SUCCESS = status("success");
}
