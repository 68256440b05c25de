package io.jollama.client;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The types of Jollama's library catalog ({@code /api/gallery}, not in Ollama): search results with the gallery's
 * model and tag fields, marked installed or queued, and the progress of a refresh.
 */
public final class Gallery {

    private Gallery() {}

    /** One tag of a model: sizes and context windows as shown ("14GB", "128K") and as numbers (decimal units). */
    public record Tag(String name, String digest, String href, @JsonProperty("input_types") List<String> inputTypes,
                      @JsonProperty("updated_str") String updatedStr, @JsonProperty("update_date") String updateDate,
                      @JsonProperty("context_window") String contextWindow,
                      @JsonProperty("context_window_num") long contextWindowNum,
                      @JsonProperty("size_str") String sizeStr, @JsonProperty("size_num") long sizeNum,
                      boolean installed, boolean queued) {}

    /** One model; {@code tags} are those matching the search's tag filters (all when there are none). */
    public record Model(String name, String description, List<String> capabilities, List<String> parameters,
                        @JsonProperty("pull_str") String pullStr, long pull, @JsonProperty("tag_count") Object tagCount,
                        String updated, @JsonProperty("update_date") String updateDate, String link, int popularity,
                        boolean installed, boolean queued, List<Tag> tags) {}

    /** A page of search results: {@code total} models matched. */
    public record SearchResult(int total, int page, @JsonProperty("per_page") int perPage, List<Model> models) {}

    /**
     * A line of {@code POST /api/gallery/refresh}: a step with {@code total}/{@code completed} tags pages, and at the
     * end {@code status: "success"} with the counts.
     */
    public record RefreshProgress(String status, int total, int completed, int models, int scraped, int tags, int failed) {}
}
