package io.jollama.server.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/** The gallery's {@code models_status.json}: the listing's outcome. */
@JsonPropertyOrder({"total_count", "success", "error", "api_data_updated", "cap_list", "pars_list", "processing_time"})
public record ModelsStatus(
        @JsonProperty("total_count") int totalCount,
        @JsonProperty("success") boolean success,
        @JsonProperty("error") int error,
        @JsonProperty("api_data_updated") String apiDataUpdated,
        @JsonProperty("cap_list") List<String> capList,
        @JsonProperty("pars_list") List<String> parsList,
        @JsonProperty("processing_time") String processingTime) {
}
