package io.jollama.server.api;

import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import io.jollama.server.store.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;

import static io.jollama.server.api.BasicRoutesTest.assertError;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A store written the way Ollama writes it (by this fixture, not by the server) is listed and shown as it is; a corrupt
 * manifest or a missing blob only affects its own model; start-up pruning follows spec §3.6.
 */
class ExistingStoreTest {

    @TempDir
    Path root;

    /** Writes a blob as Ollama names it and returns its sha256:<hex>. */
    private String blob(byte[] data) throws IOException {
        String d = Digest.of(data);
        Files.createDirectories(root.resolve("blobs"));
        Files.write(root.resolve("blobs/sha256-" + d.substring(7)), data);
        return d;
    }

    private String layer(String mediaType, String digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    private Path manifest(String path, String json) throws IOException {
        Path p = root.resolve("manifests").resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, json);
        return p;
    }

    private void writeStore() throws IOException {
        byte[] gguf = Files.readAllBytes(TestServer.storiesF32());
        String model = blob(gguf);
        byte[] config = "{\"model_format\":\"gguf\",\"model_family\":\"llama\",\"model_families\":[\"llama\"],\"model_type\":\"293K\",\"file_type\":\"F32\",\"architecture\":\"amd64\",\"os\":\"linux\"}\n".getBytes(StandardCharsets.UTF_8);
        String cfg = blob(config);
        byte[] template = "{{ if .System }}<|system|>{{ .System }}{{ end }}{{ if .Tools }}tools{{ end }}<|user|>{{ .Prompt }}".getBytes(StandardCharsets.UTF_8);
        String tpl = blob(template);
        byte[] params = "{\"stop\":[\"\\u003c|user|\\u003e\"],\"temperature\":0.7}\n".getBytes(StandardCharsets.UTF_8);
        String par = blob(params);
        String good = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":"
                + layer("application/vnd.docker.container.image.v1+json", cfg, config.length) + ",\"layers\":["
                + layer("application/vnd.ollama.image.model", model, gguf.length) + ","
                + layer("application/vnd.ollama.image.template", tpl, template.length) + ","
                + layer("application/vnd.ollama.image.params", par, params.length) + "]}";
        manifest("registry.ollama.ai/library/llama3.2/latest", good);
        manifest("example.com:5000/team/tiny/q8", good);
        manifest("registry.ollama.ai/library/broken/latest", "{\"schemaVersion\":2,\"layers\":[{");
        String ghost = good.replace(model, "sha256:" + "0".repeat(64));
        manifest("registry.ollama.ai/library/ghost/latest", ghost);
        manifest("registry.ollama.ai/library/.hidden/latest", good);
    }

    @Test
    void listsAndShowsAnOllamaStore() throws IOException {
        writeStore();
        try (TestServer s = new TestServer(root)) {
            JsonNode models = TestServer.json(s.get("/api/tags")).get("models");
            Map<String, JsonNode> byName = new HashMap<>();
            for (JsonNode m : models) byName.put(m.get("name").asString(), m);
            assertEquals(java.util.Set.of("llama3.2:latest", "example.com:5000/team/tiny:q8", "ghost:latest"), byName.keySet());
            JsonNode l = byName.get("llama3.2:latest");
            assertEquals(Digest.hex(Files.readAllBytes(root.resolve("manifests/registry.ollama.ai/library/llama3.2/latest"))), l.get("digest").asString());
            assertEquals("293K", l.get("details").get("parameter_size").asString());
            assertEquals("F32", l.get("details").get("quantization_level").asString());
            assertEquals("[\"completion\",\"tools\"]", l.get("capabilities").toString());

            JsonNode show = TestServer.json(s.post("/api/show", "{\"model\":\"llama3.2\"}"));
            assertTrue(show.get("template").asString().startsWith("{{ if .System }}<|system|>"));
            assertEquals("[\"completion\",\"tools\"]", show.get("capabilities").toString());
            assertEquals(2, show.get("parameters").asString().lines().count());
            assertTrue(show.get("parameters").asString().contains("\"<|user|>\""));
            assertTrue(show.get("modelfile").asString().contains("\nPARAMETER stop <|user|>\n"));
            assertEquals("llama", show.get("model_info").get("general.architecture").asString());
            show = TestServer.json(s.post("/api/show", "{\"model\":\"example.com:5000/team/tiny:q8\"}"));
            assertEquals("llama", show.get("details").get("family").asString());

            HttpResponseCheck.error(s.post("/api/show", "{\"model\":\"broken\"}"), 500, "corrupt manifest");
            HttpResponseCheck.error(s.post("/api/show", "{\"model\":\"ghost\"}"), 500, "is missing");
            // the broken ones can still be deleted; the rest keeps working
            assertEquals(200, s.delete("/api/delete", "{\"model\":\"broken\"}").statusCode());
            assertEquals(200, s.post("/api/copy", "{\"source\":\"llama3.2\",\"destination\":\"copy\"}").statusCode());
            assertEquals(200, s.post("/api/show", "{\"model\":\"copy\"}").statusCode());
        }
    }

    /** Status and a fragment of the error text. */
    static final class HttpResponseCheck {
        static void error(java.net.http.HttpResponse<String> r, int status, String fragment) {
            assertEquals(status, r.statusCode(), r.body());
            assertTrue(TestServer.json(r).get("error").asString().contains(fragment), r.body());
        }
    }

    @Test
    void startupPrunesOldUnreferencedBlobs() throws IOException {
        byte[] gguf = TestServer.tinyGguf("test");
        String model = blob(gguf);
        byte[] config = "{}\n".getBytes(StandardCharsets.UTF_8);
        String cfg = blob(config);
        manifest("registry.ollama.ai/library/keep/latest", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":"
                + layer("application/vnd.docker.container.image.v1+json", cfg, config.length) + ",\"layers\":["
                + layer("application/vnd.ollama.image.model", model, gguf.length) + "]}");
        String oldUnused = blob("old and unused".getBytes(StandardCharsets.UTF_8));
        String newUnused = blob("new and unused".getBytes(StandardCharsets.UTF_8));
        Path partial = root.resolve("blobs/sha256-" + "1".repeat(64) + "-partial");
        Files.writeString(partial, "stale download");
        Path colon = root.resolve("blobs/sha256:" + "2".repeat(64));
        Files.writeString(colon, "old spelling");
        Files.createDirectories(root.resolve("manifests/registry.ollama.ai/library/empty"));
        FileTime old = FileTime.from(Instant.now().minus(2, ChronoUnit.HOURS));
        for (String d : new String[]{model, cfg, oldUnused}) Files.setLastModifiedTime(root.resolve("blobs/sha256-" + d.substring(7)), old);
        Files.setLastModifiedTime(partial, FileTime.from(Instant.now().minus(8, ChronoUnit.DAYS))); // partials get 7 days

        try (TestServer s = new TestServer(root)) {
            assertTrue(Files.exists(root.resolve("blobs/sha256-" + model.substring(7))), "referenced");
            assertTrue(Files.exists(root.resolve("blobs/sha256-" + cfg.substring(7))), "referenced config");
            assertFalse(Files.exists(root.resolve("blobs/sha256-" + oldUnused.substring(7))), "old and unreferenced");
            assertTrue(Files.exists(root.resolve("blobs/sha256-" + newUnused.substring(7))), "inside the grace hour");
            assertFalse(Files.exists(partial), "stale partial download");
            assertFalse(Files.exists(colon));
            assertTrue(Files.exists(root.resolve("blobs/sha256-" + "2".repeat(64))), "renamed to the dash spelling");
            assertFalse(Files.exists(root.resolve("manifests/registry.ollama.ai/library/empty")));
            assertEquals(1, TestServer.json(s.get("/api/tags")).get("models").size());
        }
    }

    @Test
    void noPruneKeepsEverything() throws IOException {
        String unused = blob("old and unused".getBytes(StandardCharsets.UTF_8));
        Path p = root.resolve("blobs/sha256-" + unused.substring(7));
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(2, ChronoUnit.HOURS)));
        ServerConfig c = ServerConfig.fromEnv(Map.of("OLLAMA_MODELS", root.toString(), "OLLAMA_HOST", "127.0.0.1:0", "OLLAMA_NOPRUNE", "1"));
        assertTrue(c.noPrune());
        try (TestServer s = new TestServer(c)) {
            assertTrue(Files.exists(p));
        }
    }

    @Test
    void pruningIsSkippedWhenAManifestIsCorrupt() throws IOException {
        String unused = blob("old and unused".getBytes(StandardCharsets.UTF_8));
        Path p = root.resolve("blobs/sha256-" + unused.substring(7));
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(2, ChronoUnit.HOURS)));
        manifest("registry.ollama.ai/library/broken/latest", "not json");
        try (TestServer s = new TestServer(root)) {
            assertTrue(Files.exists(p));
            assertError(s.post("/api/show", "{\"model\":\"nothere\"}"), 404, "model 'nothere:latest' not found");
        }
    }
}
