package io.jollama.engine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Jollama's version, filled in by the build. */
public final class Version {
    public static final String VERSION = load();

    /**
     * The Ollama release whose API behaviour Jollama implements (the reference of OLLAMA-COMPAT.md), which
     * {@code /api/version} reports: clients such as Open WebUI enable features by this number.
     */
    public static final String OLLAMA_API_VERSION = "0.33.0";

    private Version() {}

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "0.0.0");
        } catch (IOException e) {
            return "0.0.0";
        }
    }
}
