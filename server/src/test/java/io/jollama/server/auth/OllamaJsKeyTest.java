package io.jollama.server.auth;

import io.jollama.server.OllamaJs;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ollama-js (the npm package {@code ollama}) against a server with keys, passing the key as its {@code headers}
 * option ({@link OllamaJs}: {@code JOLLAMA_OLLAMA_JS}, which CI sets; skipped without it).
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
        try (TestServer s = new TestServer(ServerConfig.local(0, dir.resolve("models")))) {
            String d = s.upload(TestServer.storiesF32());
            assertEquals(200, s.post("/api/create", "{\"model\":\"tiny\",\"files\":{\"s.gguf\":\"" + d + "\"},\"stream\":false}").statusCode());
            String key = KeyFile.of(s.server.context().config()).add("js", EnumSet.of(Scope.INFERENCE, Scope.READ), Instant.now());
            String last = OllamaJs.run(dir, SCRIPT, "http://127.0.0.1:" + s.server.port(), key);
            JsonNode r = io.jollama.server.Json.MAPPER.readTree(last);
            assertEquals("tiny:latest", r.path("list").get(0).asString(), last);
            assertTrue(r.path("generateDone").asBoolean(), last);
            assertTrue(r.path("chatChunks").asInt() >= 2, last);
            assertEquals("401 unauthorized: this server needs an API key (Authorization: Bearer <key>)", r.path("noKey").asString(), last);
            assertEquals("403 forbidden: this request needs an API key with the \"manage\" scope", r.path("delete").asString(), last);
        }
    }
}
