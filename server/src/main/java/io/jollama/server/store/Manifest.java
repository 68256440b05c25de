package io.jollama.server.store;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.jollama.server.Json;

import java.util.ArrayList;
import java.util.List;

/** An Ollama manifest (Docker v2 schema 2 shape). Serialised compact, keys in this order, newline-terminated. */
@JsonPropertyOrder({"schemaVersion", "mediaType", "config", "layers"})
public record Manifest(
        @JsonProperty("schemaVersion") int schemaVersion,
        @JsonProperty("mediaType") String mediaType,
        @JsonProperty("config") Layer config,
        @JsonProperty("layers") List<Layer> layers) {

    public Manifest {
        layers = layers == null ? List.of() : List.copyOf(layers);
    }

    public static Manifest of(Layer config, List<Layer> layers) {
        return new Manifest(2, MediaTypes.MANIFEST, config, layers);
    }

    /** The bytes Ollama writes for this manifest. */
    public byte[] toBytes() {
        return Json.writeLine(this);
    }

    /** Parses manifest bytes; throws {@link StoreException} when they are not a manifest. */
    public static Manifest parse(byte[] bytes) {
        try {
            Manifest m = Json.MAPPER.readValue(bytes, Manifest.class);
            if (m == null || m.config == null || m.config.digest() == null) throw new StoreException("manifest has no config");
            for (Layer l : m.layers) {
                if (l == null || !Digest.isValid(l.digest())) throw new StoreException("manifest has a layer without a valid digest");
            }
            if (!Digest.isValid(m.config.digest())) throw new StoreException("manifest config has an invalid digest");
            return m;
        } catch (tools.jackson.core.JacksonException e) {
            throw new StoreException("corrupt manifest: " + Json.decodeError(e));
        }
    }

    /** Every digest this manifest references: its layers and its config. */
    public List<String> digests() {
        List<String> d = new ArrayList<>(layers.size() + 1);
        for (Layer l : layers) d.add(l.digest());
        if (config != null) d.add(config.digest());
        return d;
    }

    /** Layers in order, then the config: the order in which Ollama transfers them. */
    public List<Layer> blobs() {
        List<Layer> all = new ArrayList<>(layers);
        if (config != null) all.add(config);
        return all;
    }

    /** Σ layer sizes + config size, as {@code /api/tags} reports. */
    public long totalSize() {
        long s = config == null ? 0 : config.size();
        for (Layer l : layers) s += l.size();
        return s;
    }

    public List<Layer> layersOf(String mediaType) {
        return layers.stream().filter(l -> mediaType.equals(l.mediaType())).toList();
    }

    public Layer firstOf(String mediaType) {
        for (Layer l : layers) if (mediaType.equals(l.mediaType())) return l;
        return null;
    }
}
