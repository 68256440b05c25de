package io.jollama.server.create;

import io.jollama.server.store.ModelStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.StringNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model shipped inside Jollama: TinyStories 260K (MIT, Karpathy's tinyllamas; 1.2 MB as F32 GGUF), installed as
 * {@code tinystories} into an empty store the first time {@code jollama serve} starts on it, so that a fresh install
 * answers a prompt without the network. A marker file in the store makes it a one-time offer: a store that had
 * models, or whose {@code tinystories} was removed, is left alone.
 */
public final class BundledModel {

    public static final String NAME = "tinystories";
    private static final String GGUF = "/io/jollama/server/bundled/stories260K-f32.gguf";
    private static final String LICENSE = "/io/jollama/server/bundled/LICENSE-tinystories.txt";
    private static final String MARKER = ".jollama-bundled-model";
    private static final Logger log = LoggerFactory.getLogger(BundledModel.class);

    private BundledModel() {}

    /** Installs {@code tinystories} when the store has never been offered it and holds no model; true if installed. */
    public static boolean installIfEmpty(ModelStore store, ModelCreator creator) {
        Path marker = store.root().resolve(MARKER);
        if (Files.exists(marker)) return false;
        try {
            boolean empty = store.list().isEmpty();
            if (empty) install(store, creator);
            Files.createDirectories(store.root());
            Files.writeString(marker, "offered " + NAME + (empty ? " (installed)" : " (store not empty)") + "\n");
            return empty;
        } catch (IOException | RuntimeException e) {
            log.warn("could not install the bundled model {}: {}", NAME, e.getMessage());
            return false;
        }
    }

    private static void install(ModelStore store, ModelCreator creator) throws IOException {
        String digest;
        try (InputStream in = resource(GGUF)) {
            digest = store.writeBlob(in, null);
        }
        String license;
        try (InputStream in = resource(LICENSE)) {
            license = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        creator.create(new CreateRequest(NAME, null, null, Map.of("stories260K-f32.gguf", digest), null, null, null,
                StringNode.valueOf(license), Map.of("num_predict", 200), null, null, null, null, null, null, false, null, null, null),
                p -> {}); // 200 tokens: a story of a few paragraphs (the model rarely ends one by itself)
        log.info("installed the bundled model {} (TinyStories 260K, MIT licence)", NAME);
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = BundledModel.class.getResourceAsStream(name);
        if (in == null) throw new IOException("missing resource " + name);
        return in;
    }
}
