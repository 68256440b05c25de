package io.jollama.server.auth;

import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ollama-js (the npm package {@code ollama}) against a server with keys, passing the key as its {@code headers}
 * option. The suite has no network, so the package is not installed here: set {@code JOLLAMA_OLLAMA_JS} to a
 * directory where {@code npm install ollama} ran (it has {@code node_modules/ollama}); without it the test is skipped.
 */
class OllamaJsKeyTest {

    @TempDir
    Path dir;

    static final String SCRIPT = """
            const { Ollama } = require('ollama');
            (async () => {
              const [host, key] = process.argv.slice(2);
              const client = new Ollama({ host, headers: { Authorization: 'Bearer ' + key } });
              const out = {};
              out.list = (await client.list()).models.map(m => m.name);
              out.generateDone = (await client.generate({ model: 'tiny', prompt: 'Once', options: { num_predict: 3 }, stream: false })).done;
              let chunks = 0;
              for await (const part of await client.chat({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 3 }, stream: true })) chunks++;
              out.chatChunks = chunks;
              try { await new Ollama({ host }).list(); out.noKey = 'accepted'; } catch (e) { out.noKey = e.status_code + ' ' + e.error; }
              try { await client.delete({ model: 'tiny' }); out.delete = 'accepted'; } catch (e) { out.delete = e.status_code + ' ' + e.error; }
              console.log(JSON.stringify(out));
            })().catch(e => { console.error(e); process.exit(1); });
            """;

    @Test
    void ollamaJsSendsTheKeyGivenInItsHeaders() throws Exception {
        String modules = System.getenv("JOLLAMA_OLLAMA_JS");
        assumeTrue(modules != null && Files.isDirectory(Path.of(modules, "node_modules", "ollama")),
                "JOLLAMA_OLLAMA_JS names no directory with node_modules/ollama");
        try (TestServer s = new TestServer(ServerConfig.local(0, dir.resolve("models")))) {
            String d = s.upload(TestServer.storiesF32());
            assertEquals(200, s.post("/api/create", "{\"model\":\"tiny\",\"files\":{\"s.gguf\":\"" + d + "\"},\"stream\":false}").statusCode());
            String key = KeyFile.of(s.server.context().config()).add("js", EnumSet.of(Scope.INFERENCE, Scope.READ), Instant.now());
            Path script = dir.resolve("client.cjs");
            Files.writeString(script, SCRIPT);
            ProcessBuilder pb = new ProcessBuilder("node", script.toString(), "http://127.0.0.1:" + s.server.port(), key)
                    .redirectErrorStream(true);
            pb.environment().put("NODE_PATH", Path.of(modules, "node_modules").toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            JsonNode r = io.jollama.server.Json.MAPPER.readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
            assertEquals("tiny:latest", r.path("list").get(0).asString(), out);
            assertTrue(r.path("generateDone").asBoolean(), out);
            assertTrue(r.path("chatChunks").asInt() >= 2, out);
            assertEquals("401 unauthorized: this server needs an API key (Authorization: Bearer <key>)", r.path("noKey").asString(), out);
            assertEquals("403 forbidden: this request needs an API key with the \"manage\" scope", r.path("delete").asString(), out);
        }
    }
}
