package io.jollama.server.catalog;

import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Every /api/gallery endpoint through real HTTP: the shipped snapshot, search, refresh, pull from the catalog. */
class CatalogApiTest {

    @TempDir
    static Path dir;
    static FixtureLibrary library;
    /** A server that never refreshed: it serves the shipped snapshot. */
    static TestServer snapshot;

    @BeforeAll
    static void start() {
        library = new FixtureLibrary();
        snapshot = new TestServer(config("snap"));
    }

    @AfterAll
    static void stop() {
        if (snapshot != null) snapshot.close();
        library.close();
    }

    static ServerConfig config(String name) {
        return ServerConfig.local(0, dir.resolve(name).resolve("models"))
                .withEnv(Map.of("JOLLAMA_LIBRARY_URL", library.url(), "JOLLAMA_CATALOG_REFRESH", "0"));
    }

    @Test
    void theShippedSnapshotIsServedByteForByteAsPublished() throws IOException {
        Path published = GalleryFixtures.dir();
        List<String> docs = new ArrayList<>(List.of("models.json", "tags.json", "models_status.json", "tags_status.json"));
        for (String sub : List.of("models", "tags")) {
            try (Stream<Path> files = Files.list(published.resolve(sub))) {
                files.forEach(f -> docs.add(sub + "/" + f.getFileName()));
            }
        }
        assertEquals(24, docs.size());
        for (String doc : docs) {
            HttpResponse<String> r = snapshot.get("/api/gallery/" + doc);
            assertEquals(200, r.statusCode(), doc);
            assertEquals("application/json;charset=utf-8", r.headers().firstValue("Content-Type").orElse("").replace(" ", ""), doc);
            assertEquals(Files.readString(published.resolve(doc)), r.body(), doc);
        }
        // a model that left the library keeps its tags document
        assertEquals(200, snapshot.get("/api/gallery/tags/kimi-k2.json").statusCode());
    }

    @Test
    void anUnknownModelIsA404WithAJsonError() {
        for (String path : List.of("/api/gallery/models/no-such-model.json", "/api/gallery/tags/no-such-model.json",
                "/api/gallery/models/llama3.2", "/api/gallery/tags/.json")) {
            HttpResponse<String> r = snapshot.get(path);
            assertEquals(404, r.statusCode(), path);
            JsonNode e = TestServer.json(r);
            assertEquals("model not found", e.get("error").asString(), path);
            assertTrue(e.get("message").asString().contains("is not in the catalog"), r.body());
        }
    }

    static JsonNode search(String query) {
        HttpResponse<String> r = snapshot.get("/api/gallery/search" + query);
        assertEquals(200, r.statusCode(), query + ": " + r.body());
        return TestServer.json(r);
    }

    static List<JsonNode> models(JsonNode result) {
        List<JsonNode> out = new ArrayList<>();
        result.get("models").forEach(out::add);
        return out;
    }

    static List<JsonNode> tags(JsonNode result) {
        List<JsonNode> out = new ArrayList<>();
        result.get("models").forEach(m -> m.get("tags").forEach(out::add));
        return out;
    }

    @Test
    void searchPagesThroughTheWholeCatalogByPopularity() {
        JsonNode all = search("");
        assertEquals(236, all.get("total").asInt());
        assertEquals(20, all.get("per_page").asInt());
        assertEquals(20, models(all).size());
        assertEquals("llama3.1", models(all).getFirst().get("name").asString());
        assertEquals(89, models(all).getFirst().get("tags").size());

        JsonNode page2 = search("?page=2&per_page=5");
        assertEquals(List.of(6, 7, 8, 9, 10), models(page2).stream().map(m -> m.get("popularity").asInt()).toList());
        assertEquals(0, models(search("?page=100")).size());
    }

    @Test
    void searchFilters() {
        JsonNode embed = search("?q=embed&capability=embedding");
        assertTrue(embed.get("total").asInt() >= 3, embed.toString());
        assertTrue(models(embed).stream().anyMatch(m -> m.get("name").asString().equals("nomic-embed-text")));
        for (JsonNode m : models(embed)) {
            assertTrue(m.get("capabilities").toString().contains("\"embedding\""), m.toString());
            assertTrue((m.get("name").asString() + m.get("description").asString()).toLowerCase().contains("embed"));
        }

        JsonNode vision = search("?capability=vision&input=image&per_page=1000");
        assertTrue(vision.get("total").asInt() > 5);
        for (JsonNode t : tags(vision)) assertTrue(t.get("input_types").toString().contains("Image"), t.toString());

        JsonNode small = search("?max_size=300MB&sort=size&per_page=1000");
        assertTrue(small.get("total").asInt() > 5);
        for (JsonNode t : tags(small)) {
            long size = t.get("size_num").asLong();
            assertTrue(size > 0 && size <= 300_000_000L, t.toString());
        }
        long previous = 0;
        for (JsonNode m : models(small)) {
            long min = Long.MAX_VALUE;
            for (JsonNode t : m.get("tags")) min = Math.min(min, t.get("size_num").asLong());
            assertTrue(min >= previous, "sorted by size");
            previous = min;
        }

        JsonNode ctx = search("?min_context=128K&max_context=128K&per_page=1000");
        assertTrue(ctx.get("total").asInt() > 10);
        for (JsonNode t : tags(ctx)) assertEquals(128000, t.get("context_window_num").asLong());

        for (JsonNode m : models(search("?parameters=8b,70b&per_page=1000"))) {
            String p = m.get("parameters").toString();
            assertTrue(p.contains("\"8b\"") || p.contains("\"70b\""), p);
        }

        JsonNode recent = search("?updated_after=2026-06-15&sort=newest&per_page=1000");
        assertTrue(recent.get("total").asInt() > 0);
        String last = "9999";
        for (JsonNode m : models(recent)) {
            String d = m.get("update_date").asString();
            assertTrue(d.compareTo("2026-06-15") >= 0 && d.compareTo(last) <= 0, d);
            last = d;
        }
        assertEquals(0, search("?updated_before=2000-01-01").get("total").asInt());
        assertEquals(0, search("?q=no+such+model+anywhere").get("total").asInt());
    }

    @Test
    void badSearchParametersAre400WithShortErrorAndMessage() {
        Map<String, String> cases = Map.of(
                "?sort=bogus", "invalid sort",
                "?max_size=big", "invalid max_size",
                "?min_context=lots", "invalid min_context",
                "?page=0", "invalid page",
                "?per_page=x", "invalid per_page",
                "?updated_after=yesterday", "invalid updated_after",
                "?installed=maybe", "invalid installed");
        cases.forEach((query, error) -> {
            HttpResponse<String> r = snapshot.get("/api/gallery/search" + query);
            assertEquals(400, r.statusCode(), query);
            JsonNode e = TestServer.json(r);
            assertEquals(error, e.get("error").asString(), query);
            assertFalse(e.get("message").asString().isEmpty());
        });
    }

    @Test
    void installedModelsAreMarkedInTheCatalog() {
        String d = snapshot.upload(TestServer.tinyGguf("llama"));
        HttpResponse<String> created = snapshot.post("/api/create",
                "{\"model\":\"all-minilm\",\"files\":{\"m.gguf\":\"" + d + "\"},\"stream\":false}");
        assertEquals(200, created.statusCode(), created.body());

        JsonNode r = search("?q=all-minilm");
        JsonNode m = models(r).stream().filter(x -> x.get("name").asString().equals("all-minilm")).findFirst().orElseThrow();
        assertTrue(m.get("installed").asBoolean());
        assertFalse(m.get("queued").asBoolean());
        for (JsonNode t : m.get("tags")) {
            assertEquals(t.get("name").asString().equals("all-minilm:latest"), t.get("installed").asBoolean(), t.toString());
        }
        JsonNode installed = search("?installed=true");
        assertEquals(List.of("all-minilm"), models(installed).stream().map(x -> x.get("name").asString()).toList());
        assertEquals(235, search("?installed=false").get("total").asInt());
    }

    @Test
    void pullFromTheCatalogChecksTheNameThenUsesTheServersPull() {
        HttpResponse<String> r = snapshot.post("/api/gallery/pull", "{\"model\":\"no-such-model:7b\"}");
        assertEquals(404, r.statusCode());
        assertEquals("model not found", TestServer.json(r).get("error").asString());
        r = snapshot.post("/api/gallery/pull", "{}");
        assertEquals(400, r.statusCode());
        assertEquals("model required", TestServer.json(r).get("error").asString());
        r = snapshot.post("/api/gallery/pull", "{\"model\":");
        assertEquals(400, r.statusCode());
        assertEquals("invalid JSON", TestServer.json(r).get("error").asString());
        r = snapshot.post("/api/gallery/pull", "{\"model\":\"hf.co/someone/some-gguf:Q4_K_M\"}");
        assertEquals(400, r.statusCode());
        assertEquals("not a library model", TestServer.json(r).get("error").asString());

        // a catalog model goes to /api/pull (a tag that does not exist, so nothing is downloaded): Ollama's error shape
        r = snapshot.post("/api/gallery/pull", "{\"model\":\"all-minilm:jollama-no-such-tag\",\"stream\":false,\"insecure\":false}");
        assertTrue(r.statusCode() >= 400, r.body());
        JsonNode e = TestServer.json(r);
        assertNotEquals("model not found", e.get("error").asString());
        assertNull(e.get("message"), "the pull's own {\"error\"} body, not the catalog's");
    }

    static List<JsonNode> lines(HttpResponse<String> r) {
        List<JsonNode> out = new ArrayList<>();
        for (String l : r.body().split("\n")) if (!l.isBlank()) out.add(io.jollama.server.Json.MAPPER.readTree(l));
        return out;
    }

    @Test
    void refreshStreamsProgressReplacesTheSnapshotAndSurvivesARestart() {
        library.failing.add("/library/magistral/tags");
        // fresh dates, so that the first refresh (incremental against the snapshot's date) reads every model, whatever today is
        Map<String, String> fresh = Map.of("granite-embedding", "2 hours ago", "magistral", "2 hours ago",
                "wizard-math", "2 hours ago", "wizard-vicuna-uncensored", "2 hours ago");
        library.listing = FixtureLibrary.listingOf(FixtureLibrary.MODELS, fresh);
        try (TestServer s = new TestServer(config("refresh"))) {
            assertEquals(236, TestServer.json(s.get("/api/gallery/models_status.json")).get("total_count").asInt());

            HttpResponse<String> r = s.post("/api/gallery/refresh", "");
            assertEquals(200, r.statusCode());
            assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElse(""));
            List<JsonNode> lines = lines(r);
            assertEquals("reading the library listing", lines.getFirst().get("status").asString());
            assertTrue(lines.stream().anyMatch(l -> l.get("status").asString().equals("reading tags pages")
                    && l.path("total").asInt() == 4 && l.path("completed").asInt() == 4), r.body());
            assertEquals("{\"status\":\"success\",\"models\":4,\"scraped\":3,\"tags\":107,\"failed\":1}", lines.getLast().toString());

            JsonNode models = TestServer.json(s.get("/api/gallery/models.json"));
            assertEquals(List.of("wizard-vicuna-uncensored", "magistral", "wizard-math", "granite-embedding"),
                    iterable(models.propertyNames()));
            assertEquals(library.url() + "/library/magistral", models.get("magistral").get("link").asString());
            JsonNode wm = TestServer.json(s.get("/api/gallery/tags/wizard-math.json"));
            JsonNode golden = io.jollama.server.Json.MAPPER.readTree(GalleryFixtures.read(
                    GalleryFixtures.dir().resolve("expected-from-fixtures/tags/wizard-math.json")));
            assertEquals(iterable(golden.propertyNames()), iterable(wm.propertyNames()));
            JsonNode tagsStatus = TestServer.json(s.get("/api/gallery/tags_status.json"));
            assertEquals(107, tagsStatus.get("successful").asInt());
            assertEquals(1, tagsStatus.get("failed").asInt());
            assertTrue(Files.isRegularFile(dir.resolve("refresh/catalog/models.json")), "stored beside the store");

            // stream:false answers with the last object only
            library.failing.clear();
            r = s.post("/api/gallery/refresh", "{\"stream\":false}");
            assertEquals(200, r.statusCode());
            assertEquals("{\"status\":\"success\",\"models\":4,\"scraped\":4,\"tags\":110,\"failed\":0}", r.body());

            // a failing library: a clear error, the catalog stays
            library.failing.add("/library");
            r = s.post("/api/gallery/refresh", "{\"stream\":false}");
            assertEquals(502, r.statusCode());
            JsonNode e = TestServer.json(r);
            assertEquals("refresh failed", e.get("error").asString());
            assertTrue(e.get("message").asString().contains("HTTP 500"), r.body());
            r = s.post("/api/gallery/refresh", "{}");
            assertEquals(200, r.statusCode());
            assertEquals("refresh failed", lines(r).getLast().get("error").asString());
            assertEquals(4, TestServer.json(s.get("/api/gallery/models_status.json")).get("total_count").asInt());
            r = s.post("/api/gallery/refresh", "{\"stream\":");
            assertEquals(400, r.statusCode());
            assertEquals("invalid JSON", TestServer.json(r).get("error").asString());
            library.failing.clear();
        }
        try (TestServer restarted = new TestServer(config("refresh"))) {
            assertEquals(4, TestServer.json(restarted.get("/api/gallery/models_status.json")).get("total_count").asInt());
            assertEquals(4, TestServer.json(restarted.get("/api/gallery/search")).get("total").asInt());
        }
    }

    @Test
    void aRefreshWhileOneRunsIs409() throws Exception {
        try (FixtureLibrary slow = new FixtureLibrary();
             TestServer s = new TestServer(ServerConfig.local(0, dir.resolve("busy/models"))
                     .withEnv(Map.of("JOLLAMA_LIBRARY_URL", slow.url(), "JOLLAMA_CATALOG_REFRESH", "0")))) {
            slow.held.add("/library");
            var first = s.http.sendAsync(java.net.http.HttpRequest.newBuilder(s.uri("/api/gallery/refresh"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"stream\":false}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(slow.holding.await(10, java.util.concurrent.TimeUnit.SECONDS));
            HttpResponse<String> r = s.post("/api/gallery/refresh", "{\"stream\":false}");
            assertEquals(409, r.statusCode());
            assertEquals("refresh running", TestServer.json(r).get("error").asString());
            slow.release.countDown();
            assertEquals(200, first.get().statusCode());
        }
    }

    static List<String> iterable(java.util.Collection<String> names) {
        return List.copyOf(names);
    }
}
