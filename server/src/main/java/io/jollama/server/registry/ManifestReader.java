package io.jollama.server.registry;

import io.jollama.server.store.Layer;
import io.jollama.server.store.Manifest;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a manifest as pull and push need it: leniently (a registry's manifest may lack a config or carry fields Ollama
 * does not write), with every digest and size checked, and failures worded for the user.
 */
final class ManifestReader {

    /** A plain mapper: manifests are compacted and re-read without the server's Go-style output settings. */
    static final JsonMapper JSON = JsonMapper.builder().build();

    private ManifestReader() {}

    static Manifest read(byte[] bytes) {
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
        return new Manifest(root.path("schemaVersion").asInt(2), root.path("mediaType").asString(""), config, layers);
    }

    private static Layer layer(JsonNode l) {
        String digest = Digests.requireValid(l.path("digest").asString(null));
        long size = l.path("size").asLong(-1);
        if (size < 0) throw new RegistryException(500, "invalid manifest: layer " + digest + " has no size");
        return new Layer(l.path("mediaType").asString(""), digest, size, l.path("from").asString(""), null);
    }
}
