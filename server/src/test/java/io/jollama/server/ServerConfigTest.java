package io.jollama.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Spec §10: OLLAMA_HOST parsing (TestHost), quoting, booleans, origins, store default. */
class ServerConfigTest {

    @ParameterizedTest(name = "[{0}] -> {1}")
    @CsvSource(delimiter = '|', value = {
            "''|http://127.0.0.1:11434",
            "1.2.3.4|http://1.2.3.4:11434",
            ":1234|http://:1234",
            "1.2.3.4:1234|http://1.2.3.4:1234",
            "example.com|http://example.com:11434",
            "example.com:1234|http://example.com:1234",
            ":0|http://:0",
            ":66000|http://:11434",
            ":-1|http://:11434",
            "[::1]|http://[::1]:11434",
            "::1|http://[::1]:11434",
            "[::]|http://[::]:11434",
            "[::1]:1337|http://[::1]:1337",
            "' 1.2.3.4 '|http://1.2.3.4:11434",
            "\"1.2.3.4\"|http://1.2.3.4:11434",
            "http://1.2.3.4|http://1.2.3.4:80",
            "http://1.2.3.4:4321|http://1.2.3.4:4321",
            "https://1.2.3.4|https://1.2.3.4:443",
            "https://1.2.3.4:4321|https://1.2.3.4:4321",
            "https://example.com/ollama|https://example.com:443/ollama",
    })
    void parsesOllamaHost(String value, String expected) {
        String v = ServerConfig.var(Map.of("OLLAMA_HOST", value), "OLLAMA_HOST");
        assertEquals(expected, ServerConfig.parseHost(v).toString());
    }

    @Test
    void hostAndPortFromEnv() {
        ServerConfig c = ServerConfig.fromEnv(Map.of("OLLAMA_HOST", "0.0.0.0:8080", "OLLAMA_MODELS", "/tmp/m"));
        assertEquals("0.0.0.0", c.host());
        assertEquals(8080, c.port());
        assertEquals(Path.of("/tmp/m"), c.models());
        c = ServerConfig.fromEnv(Map.of());
        assertEquals("127.0.0.1", c.host());
        assertEquals(11434, c.port());
        assertEquals(Path.of(System.getProperty("user.home"), ".ollama", "models"), c.models());
        assertEquals("::1", ServerConfig.fromEnv(Map.of("OLLAMA_HOST", "[::1]:1337")).host());
        assertEquals("", ServerConfig.fromEnv(Map.of("OLLAMA_HOST", ":1234")).host());
    }

    @Test
    void booleansAndOrigins() {
        for (String f : new String[]{"", "0", "f", "F", "false", "FALSE", "False"}) assertFalse(ServerConfig.bool(f), f);
        for (String t : new String[]{"1", "t", "true", "TRUE", "yes", "anything"}) assertTrue(ServerConfig.bool(t), t);
        assertTrue(ServerConfig.fromEnv(Map.of("OLLAMA_NOPRUNE", "\"true\"")).noPrune());
        var origins = ServerConfig.fromEnv(Map.of("OLLAMA_ORIGINS", "http://a.com, https://b.com")).origins();
        assertEquals("http://a.com", origins.get(0));
        assertEquals("https://b.com", origins.get(1));
        assertTrue(origins.contains("http://localhost:*"));
        assertTrue(origins.contains("vscode-file://*"));
    }
}
