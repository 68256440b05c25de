package io.jollama.server.registry;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import org.junit.jupiter.api.Test;

class ChallengeTest {

    @Test
    void parsesOllamaTestCases() {
        assertEquals(new Challenge("https://auth.example.com/token", "registry", "repo:foo:pull"),
                Challenge.parse("Bearer realm=\"https://auth.example.com/token\",service=\"registry\",scope=\"repo:foo:pull\""));
        assertEquals(new Challenge("https://r.ollama.ai/v2/token", "ollama", "-"),
                Challenge.parse("Bearer realm=\"https://r.ollama.ai/v2/token\",service=\"ollama\",scope=\"-\""));
        assertEquals(new Challenge("", "", ""), Challenge.parse(""));
        assertEquals(new Challenge("https://h/t", "s", "repository:a/b:pull,push"),
                Challenge.parse("Bearer realm=\"https://h/t\", service=\"s\", scope=\"repository:a/b:pull,push\""));
    }

    @Test
    void realmMustBeOnTheRequestHost() {
        Challenge c = new Challenge("https://example.com/token", "", "");
        assertDoesNotThrow(() -> c.requireRealmOn(URI.create("https://example.com/v2/x")));
        RegistryException e = assertThrows(RegistryException.class,
                () -> c.requireRealmOn(URI.create("https://other.com/v2/x")));
        assertEquals("realm host \"example.com\" does not match original host \"other.com\"", e.getMessage());
        assertThrows(RegistryException.class, () -> c.requireRealmOn(URI.create("https://localhost:8000/v2/x")));
        Challenge local = new Challenge("https://localhost:5000/token", "", "");
        assertDoesNotThrow(() -> local.requireRealmOn(URI.create("http://localhost:5000/v2/x")));
        assertThrows(RegistryException.class, () -> local.requireRealmOn(URI.create("http://localhost:6000/v2/x")));
    }
}
