package io.jollama.server.store;

import io.jollama.server.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stored model with its small layers read: config, template, system prompt, parameters, messages, licenses, and the
 * blob paths of its weights. What {@code show}, {@code create FROM} and (later) the scheduler need.
 *
 * @param template     the template text, or null when the model has no template layer
 * @param parentModel  the {@code from} of the model layer ("" when unknown)
 * @param modelPaths   every model layer's blob in order ({@code modelPath} first; several for a split GGUF)
 */
public record ModelContents(StoredModel stored, ConfigBlob config, Path modelPath, List<Path> projectorPaths,
                            List<Path> adapterPaths, String template, String system, Map<String, Object> params,
                            List<StoredMessage> messages, List<String> licenses, String parentModel,
                            List<Path> modelPaths) {

    /**
     * Reads the layers of {@code model}.
     * @throws StoreException naming the model when a blob is missing or a JSON layer is corrupt
     */
    public static ModelContents load(ModelStore store, StoredModel model) {
        String who = model.name().displayShortest();
        Manifest m = model.manifest();
        ConfigBlob config = ConfigBlob.EMPTY;
        if (m.config() != null && m.config().digest() != null) {
            try {
                byte[] b = read(store, m.config().digest(), who);
                config = Json.MAPPER.readValue(b, ConfigBlob.class);
            } catch (JacksonException e) {
                throw new StoreException("model " + who + ": corrupt config blob: " + Json.decodeError(e));
            }
        }
        Path modelPath = null;
        List<Path> modelPaths = new ArrayList<>();
        String parent = "";
        List<Path> projectors = new ArrayList<>(), adapters = new ArrayList<>();
        String template = null, system = null;
        Map<String, Object> params = new LinkedHashMap<>();
        List<StoredMessage> messages = new ArrayList<>();
        List<String> licenses = new ArrayList<>();
        for (Layer l : m.layers()) {
            switch (l.mediaType()) {
                case MediaTypes.MODEL -> {
                    Path p = store.blobPath(l.digest());
                    if (!Files.isRegularFile(p)) throw missing(who, l.digest());
                    modelPaths.add(p);
                    if (modelPath == null) {
                        modelPath = p;
                        parent = l.from() == null ? "" : l.from();
                    }
                }
                case MediaTypes.PROJECTOR -> projectors.add(existing(store, l.digest(), who));
                case MediaTypes.ADAPTER -> adapters.add(existing(store, l.digest(), who));
                case MediaTypes.TEMPLATE, MediaTypes.PROMPT -> template = text(store, l.digest(), who);
                case MediaTypes.SYSTEM -> system = text(store, l.digest(), who);
                case MediaTypes.LICENSE -> licenses.add(text(store, l.digest(), who));
                case MediaTypes.PARAMS -> {
                    try {
                        Map<String, Object> p = Json.MAPPER.readValue(read(store, l.digest(), who), new TypeReference<LinkedHashMap<String, Object>>() {});
                        if (p != null) params = p;
                    } catch (JacksonException e) {
                        throw new StoreException("model " + who + ": corrupt params layer: " + Json.decodeError(e));
                    }
                }
                case MediaTypes.MESSAGES -> {
                    try {
                        List<StoredMessage> ms = Json.MAPPER.readValue(read(store, l.digest(), who), new TypeReference<List<StoredMessage>>() {});
                        if (ms != null) messages = ms;
                    } catch (JacksonException e) {
                        throw new StoreException("model " + who + ": corrupt messages layer: " + Json.decodeError(e));
                    }
                }
                default -> { /* other layers (draft, tensors, embed) carry nothing show needs */ }
            }
        }
        return new ModelContents(model, config, modelPath, List.copyOf(projectors), List.copyOf(adapters), template, system,
                params, messages, List.copyOf(licenses), parent, List.copyOf(modelPaths));
    }

    private static StoreException missing(String who, String digest) {
        return new StoreException("model " + who + ": blob " + digest + " is missing from the store");
    }

    private static Path existing(ModelStore store, String digest, String who) {
        Path p = store.blobPath(digest);
        if (!Files.isRegularFile(p)) throw missing(who, digest);
        return p;
    }

    private static byte[] read(ModelStore store, String digest, String who) {
        try {
            return Files.readAllBytes(store.blobPath(digest));
        } catch (NoSuchFileException e) {
            throw missing(who, digest);
        } catch (IOException e) {
            throw new StoreException("model " + who + ": cannot read blob " + digest + ": " + e.getMessage(), e);
        }
    }

    private static String text(ModelStore store, String digest, String who) {
        return new String(read(store, digest, who), StandardCharsets.UTF_8);
    }
}
