package io.jollama.server.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One manifest entry (a layer or the config): media type, {@code sha256:<hex>} digest, size in bytes, and the optional
 * provenance {@code from} (source file or parent model) and {@code name} (file name for safetensors layers).
 */
@JsonPropertyOrder({"mediaType", "digest", "size", "from", "name"})
public record Layer(
        @JsonProperty("mediaType") String mediaType,
        @JsonProperty("digest") String digest,
        @JsonProperty("size") long size,
        @JsonProperty("from") @JsonInclude(JsonInclude.Include.NON_EMPTY) String from,
        @JsonProperty("name") @JsonInclude(JsonInclude.Include.NON_EMPTY) String name) {

    public Layer(String mediaType, String digest, long size) {
        this(mediaType, digest, size, null, null);
    }

    public Layer withFrom(String newFrom) {
        return new Layer(mediaType, digest, size, newFrom, name);
    }
}
