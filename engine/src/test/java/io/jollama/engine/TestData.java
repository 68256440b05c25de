package io.jollama.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared reference data is: JOLLAMA_TESTDATA, else the path the build passes, else ../shared/testdata. */
public final class TestData {
    private TestData() {}

    public static Path dir() {
        String env = System.getenv("JOLLAMA_TESTDATA");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("jollama.testdata");
        if (prop != null && !prop.isBlank() && Files.isDirectory(Path.of(prop))) return Path.of(prop);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolveSibling("shared").resolve("testdata");
            if (Files.isDirectory(candidate)) return candidate;
        }
        throw new IllegalStateException("shared test data not found: set JOLLAMA_TESTDATA or put shared/ beside the project");
    }

    public static Path path(String relative) {
        return dir().resolve(relative);
    }
}
