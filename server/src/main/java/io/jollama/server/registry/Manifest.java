package io.jollama.server.registry;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The parts of a Docker v2 manifest that pull and push need: the layers (in order) and the config blob. */
public record Manifest(List<Layer> layers, Layer config) {

    public record Layer(String mediaType, String digest, long size, String from) {}

    static final JsonMapper JSON = JsonMapper.builder().build();

    public static Manifest parse(byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new RegistryException(500, "invalid manifest: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new RegistryException(500, "invalid manifest: not a JSON object");
        List<Layer> layers = new ArrayList<>();
        for (JsonNode l : root.path("layers")) layers.add(layer(l));
        JsonNode c = root.path("config");
        Layer config = c.isObject() && !c.path("digest").asString("").isEmpty() ? layer(c) : null;
        return new Manifest(List.copyOf(layers), config);
    }

    private static Layer layer(JsonNode l) {
        String digest = Digests.requireValid(l.path("digest").asString(null));
        long size = l.path("size").asLong(-1);
        if (size < 0) throw new RegistryException(500, "invalid manifest: layer " + digest + " has no size");
        return new Layer(l.path("mediaType").asString(""), digest, size, l.path("from").asString(""));
    }

    /** Layers in order, then the config blob: the order in which Ollama transfers them. */
    public List<Layer> blobs() {
        List<Layer> all = new ArrayList<>(layers);
        if (config != null) all.add(config);
        return all;
    }
}
