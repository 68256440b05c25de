package io.jollama.server.create;

import com.fasterxml.jackson.annotation.JsonProperty;
import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /api/create} ({@code api.CreateRequest}). {@code name}, {@code quantization} and
 * {@code modelfile} are the older spellings/forms. {@code license} is a string or an array of strings.
 */
public record CreateRequest(
        String model,
        String name,
        String from,
        Map<String, String> files,
        Map<String, String> adapters,
        String template,
        String system,
        JsonNode license,
        Map<String, Object> parameters,
        List<io.jollama.server.store.StoredMessage> messages,
        String quantize,
        String quantization,
        String renderer,
        String parser,
        String requires,
        Boolean stream,
        String modelfile,
        @JsonProperty("draft_quantize") String draftQuantize,
        @JsonProperty("draft_files") Map<String, String> draftFiles) {

    public static final CreateRequest EMPTY = new CreateRequest(null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null);

    public String targetName() {
        return model != null && !model.isEmpty() ? model : (name == null ? "" : name);
    }

    public String quantizeType() {
        return quantize != null && !quantize.isEmpty() ? quantize : (quantization == null ? "" : quantization);
    }

    public boolean streaming() {
        return stream == null || stream;
    }
}
