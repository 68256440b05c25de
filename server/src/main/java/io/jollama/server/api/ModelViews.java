package io.jollama.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.server.create.GgufFacts;
import io.jollama.server.store.ConfigBlob;
import io.jollama.server.store.ModelContents;
import io.jollama.server.store.StoreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** How a stored model is described to clients: details, capabilities, GGUF headers (cached by blob). */
public final class ModelViews {

    /** {@code api.ModelDetails}. */
    @JsonPropertyOrder({"parent_model", "format", "family", "families", "parameter_size", "quantization_level"})
    public record Details(
            @JsonProperty("parent_model") String parentModel,
            @JsonProperty("format") String format,
            @JsonProperty("family") String family,
            @JsonProperty("families") List<String> families,
            @JsonProperty("parameter_size") String parameterSize,
            @JsonProperty("quantization_level") String quantizationLevel,
            @JsonProperty("context_length") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long contextLength,
            @JsonProperty("embedding_length") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long embeddingLength) {
    }

    private static final Pattern USES_TOOLS = Pattern.compile("\\.Tools\\b");
    private static final Pattern USES_SUFFIX = Pattern.compile("\\.Suffix\\b");
    private static final Pattern USES_THINKING = Pattern.compile("\\.(Thinking|IsThinkSet|Think)\\b");
    private static final int HEADER_CACHE_LIMIT = 32;

    private final Map<Path, GgufFile> headers = new ConcurrentHashMap<>();

    /**
     * The GGUF header of a blob, cached (blobs are immutable: their name is their hash). Null when the file is not a
     * readable GGUF.
     */
    public GgufFile header(Path blob) {
        if (blob == null) return null;
        GgufFile h = headers.get(blob);
        if (h != null) {
            if (Files.exists(blob)) return h;
            headers.remove(blob);
        }
        try {
            h = GgufFile.readHeader(blob);
        } catch (IOException e) {
            return null;
        }
        if (headers.size() >= HEADER_CACHE_LIMIT) headers.clear();
        headers.put(blob, h);
        return h;
    }

    /** Details as tags and show give them; {@code parent} is "" for tags. */
    public Details details(ModelContents m, String parent) {
        ConfigBlob c = m.config();
        String quant = c.fileType();
        long ctx = c.contextLength(), emb = c.embeddingLength();
        if (quant == null || quant.isEmpty() || quant.equals("unknown")) {
            GgufFile h = header(m.modelPath());
            if (h != null) quant = GgufFacts.inferredFileTypeName(h);
        }
        return new Details(parent, nz(c.modelFormat()), nz(c.modelFamily()), c.modelFamilies(), nz(c.modelType()),
                nz(quant), ctx, emb);
    }

    /** Capabilities in Ollama's order (§8.5), without duplicates. */
    public List<String> capabilities(ModelContents m) {
        Set<String> caps = new LinkedHashSet<>();
        if (m.config().capabilities() != null) caps.addAll(m.config().capabilities());
        GgufFile h = header(m.modelPath());
        if (h != null) {
            String arch = h.getString("general.architecture", "");
            caps.add(h.has(arch + ".pooling_type") ? "embedding" : "completion");
            if (h.has(arch + ".vision.block_count")) caps.add("vision");
            if (h.has(arch + ".audio.block_count")) caps.add("audio");
        }
        if (!m.projectorPaths().isEmpty()) caps.add("vision");
        String t = m.template() == null ? "" : m.template();
        io.jollama.server.template.Template parsed = parsedTemplate(t);
        if (parsed != null) {
            if (parsed.usesTools()) caps.add("tools");
            if (parsed.usesSuffix()) caps.add("insert");
            if (parsed.thinkingTags().present()) caps.add("thinking");
        } else {
            if (USES_TOOLS.matcher(t).find()) caps.add("tools");
            if (USES_SUFFIX.matcher(t).find()) caps.add("insert");
            if (USES_THINKING.matcher(t).find()) caps.add("thinking");
        }
        String family = nz(m.config().modelFamily());
        if (family.equals("gptoss") || family.equals("gpt-oss")) caps.add("thinking");
        return new ArrayList<>(caps);
    }

    private final java.util.Map<String, io.jollama.server.template.Template> templates = new java.util.concurrent.ConcurrentHashMap<>();

    /** The parsed template (cached by text), or null when it does not parse. */
    private io.jollama.server.template.Template parsedTemplate(String text) {
        if (text.isEmpty()) return null;
        if (templates.size() > 64) templates.clear();
        try {
            return templates.computeIfAbsent(text, io.jollama.server.template.Template::parse);
        } catch (io.jollama.server.gotemplate.TemplateException e) {
            return null;
        }
    }

    /** The model's GGUF header, or a StoreException naming the model when it cannot be read. */
    public GgufFile requireHeader(ModelContents m) {
        if (m.modelPath() == null) return null;
        GgufFile h = header(m.modelPath());
        if (h == null) throw new StoreException("model " + m.stored().name().displayShortest() + ": model layer is not a readable GGUF file");
        return h;
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }
}
