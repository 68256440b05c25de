package io.jollama.server.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * The config blob of a model (Ollama's {@code model.ConfigV2}), fields in Go struct order so the blob and its digest
 * match Ollama's byte for byte. {@code architecture}/{@code os} are fixed placeholders.
 */
@JsonPropertyOrder({"model_format", "model_family", "model_families", "model_type", "file_type", "renderer", "parser",
        "requires", "remote_host", "remote_model", "capabilities", "context_length", "embedding_length", "base_name",
        "architecture", "os"})
public record ConfigBlob(
        @JsonProperty("model_format") String modelFormat,
        @JsonProperty("model_family") String modelFamily,
        @JsonProperty("model_families") List<String> modelFamilies,
        @JsonProperty("model_type") String modelType,
        @JsonProperty("file_type") String fileType,
        @JsonProperty("renderer") @JsonInclude(JsonInclude.Include.NON_EMPTY) String renderer,
        @JsonProperty("parser") @JsonInclude(JsonInclude.Include.NON_EMPTY) String parser,
        @JsonProperty("requires") @JsonInclude(JsonInclude.Include.NON_EMPTY) String requires,
        @JsonProperty("remote_host") @JsonInclude(JsonInclude.Include.NON_EMPTY) String remoteHost,
        @JsonProperty("remote_model") @JsonInclude(JsonInclude.Include.NON_EMPTY) String remoteModel,
        @JsonProperty("capabilities") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> capabilities,
        @JsonProperty("context_length") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long contextLength,
        @JsonProperty("embedding_length") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long embeddingLength,
        @JsonProperty("base_name") @JsonInclude(JsonInclude.Include.NON_EMPTY) String baseName,
        @JsonProperty("architecture") String architecture,
        @JsonProperty("os") String os) {

    public static final ConfigBlob EMPTY = new ConfigBlob("", "", null, "", "", null, null, null, null, null, null, 0, 0, null, "amd64", "linux");

    public static ConfigBlob gguf(String family, List<String> families, String modelType, String fileType) {
        return new ConfigBlob("gguf", family, families, modelType, fileType, null, null, null, null, null, null, 0, 0, null, "amd64", "linux");
    }

    public ConfigBlob withRendererParserRequires(String newRenderer, String newParser, String newRequires) {
        return new ConfigBlob(modelFormat, modelFamily, modelFamilies, modelType, fileType,
                newRenderer, newParser, newRequires, remoteHost, remoteModel, capabilities, contextLength, embeddingLength, baseName,
                architecture == null ? "amd64" : architecture, os == null ? "linux" : os);
    }

    public ConfigBlob withFileType(String newFileType) {
        return new ConfigBlob(modelFormat, modelFamily, modelFamilies, modelType, newFileType, renderer, parser, requires,
                remoteHost, remoteModel, capabilities, contextLength, embeddingLength, baseName, architecture, os);
    }
}
