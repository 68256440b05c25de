package io.jollama.server.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The gallery's {@code tags_status.json}: tag entries read this run and tag pages that failed. */
@JsonPropertyOrder({"successful", "success", "failed", "api_data_updated", "processing_time"})
public record TagsStatus(
        @JsonProperty("successful") int successful,
        @JsonProperty("success") boolean success,
        @JsonProperty("failed") int failed,
        @JsonProperty("api_data_updated") String apiDataUpdated,
        @JsonProperty("processing_time") String processingTime) {
}
