package io.jollama.server.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * One model of the library listing, an entry of the gallery's {@code models.json}. {@code tagCount} is the listing's
 * string ("93", aliases counted) until the model's tags page is read, then the number of distinct tags (an
 * {@link Integer}), as the gallery does; {@code updateDate} is {@code YYYY-MM-DD} or null.
 */
@JsonPropertyOrder({"description", "capabilities", "parameters", "pull_str", "pull", "tag_count", "updated", "update_date",
        "link", "popularity"})
public record LibraryModel(
        @JsonProperty("description") String description,
        @JsonProperty("capabilities") List<String> capabilities,
        @JsonProperty("parameters") List<String> parameters,
        @JsonProperty("pull_str") String pullStr,
        @JsonProperty("pull") long pull,
        @JsonProperty("tag_count") Object tagCount,
        @JsonProperty("updated") String updated,
        @JsonProperty("update_date") String updateDate,
        @JsonProperty("link") String link,
        @JsonProperty("popularity") int popularity) {

    public LibraryModel withTagCount(Object count) {
        return new LibraryModel(description, capabilities, parameters, pullStr, pull, count, updated, updateDate, link, popularity);
    }
}
