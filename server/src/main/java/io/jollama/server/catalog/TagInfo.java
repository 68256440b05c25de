package io.jollama.server.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/** One tag of a model's tags page, an entry of the gallery's {@code tags/<model>.json} (keyed by its 12-hex digest). */
@JsonPropertyOrder({"href", "name", "input_types", "updated_str", "update_date", "context_window", "context_window_num",
        "size_str", "size_num"})
public record TagInfo(
        @JsonProperty("href") String href,
        @JsonProperty("name") String name,
        @JsonProperty("input_types") List<String> inputTypes,
        @JsonProperty("updated_str") String updatedStr,
        @JsonProperty("update_date") String updateDate,
        @JsonProperty("context_window") String contextWindow,
        @JsonProperty("context_window_num") long contextWindowNum,
        @JsonProperty("size_str") String sizeStr,
        @JsonProperty("size_num") long sizeNum) {
}
