package io.jollama.engine.tensor;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Where the shared reference data lives: {@code JOLLAMA_TESTDATA}, else the {@code jollama.testdata} property. */
final class TensorTestData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TensorTestData() {}

    static Path root() {
        return io.jollama.engine.TestData.dir();
    }

    static Path models() {
        return root().resolve("models");
    }

    static Path arch() {
        return models().resolve("arch");
    }

    static JsonNode reference(Path gguf) throws java.io.IOException {
        return JSON.readTree(gguf.resolveSibling(gguf.getFileName() + ".reference.json").toFile());
    }
}
