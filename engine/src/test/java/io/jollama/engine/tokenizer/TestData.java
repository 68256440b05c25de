package io.jollama.engine.tokenizer;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Where the shared reference data lives: $JOLLAMA_TESTDATA, else the jollama.testdata system property. */
final class TestData {
    private TestData() {}

    static Path dir() {
        String env = System.getenv("JOLLAMA_TESTDATA");
        String dir = env != null && !env.isBlank() ? env : System.getProperty("jollama.testdata");
        assumeTrue(dir != null && Path.of(dir).toFile().isDirectory(), "no test data directory (set JOLLAMA_TESTDATA)");
        return Path.of(dir);
    }
}
