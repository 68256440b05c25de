package io.jollama.server.catalog;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Refreshes against a local stand-in of ollama.com serving the saved pages: one tags page failing, the status files,
 * the incremental run and its merge, a failed refresh keeping the last good catalog, and the catalog on disk.
 */
class CatalogRefreshTest {

    static final Instant FETCHED = Instant.parse("2025-08-03T09:47:00Z");

    @TempDir
    Path dir;
    FixtureLibrary library;
    MutableClock clock;

    @BeforeEach
    void start() {
        library = new FixtureLibrary();
        clock = new MutableClock(FETCHED);
    }

    @AfterEach
    void stop() {
        library.close();
    }

    Catalog catalog(Duration period) {
        return new Catalog(new Catalog.Settings(library.url(), period, dir.resolve("catalog"), Duration.ofSeconds(5), 3),
                clock, null, QueuedModels.NONE);
    }

    @Test
    void aFullRefreshWithOneFailingPageCountsItAndWritesTheStatusFiles() throws IOException {
        library.failing.add("/library/magistral/tags");
        CatalogRefresh.Result r = new CatalogRefresh(new LibraryReader(library.url(), Duration.ofSeconds(5)), clock, 3)
                .run(CatalogDocuments.empty(), step -> {});
        CatalogDocuments d = r.documents();
        assertEquals(List.of("magistral"), r.failed());
        assertEquals(List.of("wizard-vicuna-uncensored", "wizard-math", "granite-embedding"), r.scraped());
        assertEquals(List.of("wizard-vicuna-uncensored", "magistral", "wizard-math", "granite-embedding"),
                List.copyOf(d.models().keySet()), "listing order");
        assertEquals(List.of(1, 2, 3, 4), d.models().values().stream().map(LibraryModel::popularity).toList());
        assertEquals(4, library.tagsRequests());

        // the tags read equal the expected JSON of the saved pages (the links point at the stand-in)
        for (String m : r.scraped()) {
            String expected = GalleryFixtures.read(GalleryFixtures.dir().resolve("expected-from-fixtures/tags/" + m + ".json"))
                    .replace("https://ollama.com/", library.url() + "/");
            assertEquals(expected, new String(d.modelTagsJson(m).orElseThrow(), StandardCharsets.UTF_8), m);
        }
        assertTrue(d.modelTagsJson("magistral").isEmpty());
        // tag_count: the number of distinct tags for the models read, the listing's string for the failed one
        assertEquals(2, d.models().get("granite-embedding").tagCount());
        assertEquals(60, d.models().get("wizard-math").tagCount());
        assertEquals(45, d.models().get("wizard-vicuna-uncensored").tagCount());
        assertInstanceOf(String.class, d.models().get("magistral").tagCount());

        assertEquals("""
                {
                  "successful": 107,
                  "success": true,
                  "failed": 1,
                  "api_data_updated": "2025-08-03",
                  "processing_time": "0.00 seconds"
                }""", new String(d.tagsStatusJson(), StandardCharsets.UTF_8));
        assertEquals("""
                {
                  "total_count": 4,
                  "success": true,
                  "error": 0,
                  "api_data_updated": "2025-08-03",
                  "cap_list": [
                    "embedding",
                    "thinking",
                    "tools"
                  ],
                  "pars_list": [
                    "13b",
                    "24b",
                    "278m",
                    "30b",
                    "30m",
                    "70b",
                    "7b"
                  ],
                  "processing_time": "0.00 seconds"
                }""", new String(d.modelsStatusJson(), StandardCharsets.UTF_8));
    }

    @Test
    void anIncrementalRefreshReadsOnlyUpdatedModelsAndMergesWithThePreviousCatalog() throws IOException {
        Catalog c = catalog(Duration.ZERO);
        c.refresh(step -> {});
        CatalogDocuments first = c.documents();
        assertEquals(4, library.tagsRequests());
        assertEquals(60, first.models().get("wizard-math").tagCount());

        // a day later: wizard-math was updated, granite-embedding left the library
        clock.advance(Duration.ofDays(1));
        library.listing = FixtureLibrary.listingOf(List.of("magistral", "wizard-math", "wizard-vicuna-uncensored"),
                Map.of("wizard-math", "2 hours ago"));
        library.requests.clear();
        CatalogRefresh.Result r = c.refresh(step -> {});
        assertEquals(List.of("/library", "/library/wizard-math/tags"), library.requests);
        assertEquals(List.of("wizard-math"), r.scraped());
        CatalogDocuments d = c.documents();
        assertEquals(List.of("wizard-vicuna-uncensored", "magistral", "wizard-math"), List.copyOf(d.models().keySet()));
        assertEquals(60, d.models().get("wizard-math").tagCount());
        assertEquals("2025-08-04", d.models().get("wizard-math").updateDate());
        assertEquals("49", d.models().get("wizard-vicuna-uncensored").tagCount(), "not read again: the listing's string");
        // tags.json keeps every model in its place, the one that left too; models/<m>.json stays for it
        assertEquals(List.copyOf(first.tags().keySet()), List.copyOf(d.tags().keySet()));
        assertArrayEquals(first.modelTagsJson("granite-embedding").orElseThrow(), d.modelTagsJson("granite-embedding").orElseThrow());
        assertTrue(d.modelJson("granite-embedding").isPresent());
        assertFalse(d.models().containsKey("granite-embedding"));
        assertEquals(60, d.tagsStatus().successful());
        assertEquals("2025-08-04", d.tagsStatus().apiDataUpdated());

        // nothing updated since: the gallery then reads every page again
        clock.advance(Duration.ofDays(1));
        library.listing = FixtureLibrary.listingOf(FixtureLibrary.MODELS, Map.of());
        library.requests.clear();
        assertEquals(4, c.refresh(step -> {}).scraped().size());
    }

    @Test
    void aFailedRefreshKeepsTheLastGoodCatalogOnDiskAndInMemory() throws IOException {
        Catalog c = catalog(Duration.ZERO);
        c.refresh(step -> {});
        CatalogDocuments good = c.documents();
        byte[] onDisk = Files.readAllBytes(dir.resolve("catalog/models.json"));

        library.failing.add("/library");
        clock.advance(Duration.ofDays(1));
        IOException e = assertThrows(IOException.class, () -> c.refresh(step -> {}));
        assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
        assertSame(good, c.documents());
        assertEquals(e.getMessage(), c.lastError());
        assertArrayEquals(onDisk, Files.readAllBytes(dir.resolve("catalog/models.json")));

        // a listing without models is a failure too, not an empty catalog
        library.failing.clear();
        library.listing = "<html><body><ul></ul></body></html>";
        assertThrows(IOException.class, () -> c.refresh(step -> {}));
        assertSame(good, c.documents());
    }

    @Test
    void theCatalogSurvivesARestartAndIsADropInDataFolder() throws IOException {
        Catalog c = catalog(Duration.ZERO);
        CatalogDocuments refreshed = c.refresh(step -> {}).documents();
        Path data = dir.resolve("catalog");
        assertArrayEquals(refreshed.modelsJson(), Files.readAllBytes(data.resolve("models.json")));
        assertArrayEquals(refreshed.tagsJson(), Files.readAllBytes(data.resolve("tags.json")));
        assertArrayEquals(refreshed.modelsStatusJson(), Files.readAllBytes(data.resolve("models_status.json")));
        assertArrayEquals(refreshed.tagsStatusJson(), Files.readAllBytes(data.resolve("tags_status.json")));
        for (String m : FixtureLibrary.MODELS) {
            assertArrayEquals(refreshed.modelJson(m).orElseThrow(), Files.readAllBytes(data.resolve("models/" + m + ".json")));
            assertArrayEquals(refreshed.modelTagsJson(m).orElseThrow(), Files.readAllBytes(data.resolve("tags/" + m + ".json")));
        }
        try (var files = Files.list(data)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }

        Catalog restarted = catalog(Duration.ZERO);
        CatalogDocuments loaded = restarted.documents();
        assertArrayEquals(refreshed.modelsJson(), loaded.modelsJson());
        assertArrayEquals(refreshed.tagsJson(), loaded.tagsJson());
        assertEquals(refreshed.refreshedAt(), loaded.refreshedAt());
        assertEquals(refreshed.modelFiles().keySet(), loaded.modelFiles().keySet());

        // a damaged catalog falls back to the shipped snapshot
        Files.writeString(data.resolve("tags.json"), "{ broken");
        CatalogDocuments fallback = catalog(Duration.ZERO).documents();
        assertNull(fallback.refreshedAt());
        assertEquals(236, fallback.models().size());
    }

    @Test
    void aTagsPageThatDoesNotAnswerInTimeIsCountedFailed() throws IOException {
        library.held.add("/library/wizard-math/tags");
        Catalog c = new Catalog(new Catalog.Settings(library.url(), Duration.ZERO, dir.resolve("catalog"),
                Duration.ofMillis(300), 2), clock, null, QueuedModels.NONE);
        CatalogRefresh.Result r = c.refresh(step -> {});
        assertEquals(List.of("wizard-math"), r.failed());
        assertEquals(3, r.scraped().size());
        assertEquals(1, c.documents().tagsStatus().failed());
    }

    @Test
    void aSecondRefreshWhileOneRunsIsRefused() throws Exception {
        library.held.add("/library");
        Catalog c = catalog(Duration.ZERO);
        Thread first = Thread.ofVirtual().start(() -> {
            try {
                c.refresh(step -> {});
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(library.holding.await(10, java.util.concurrent.TimeUnit.SECONDS));
        assertThrows(Catalog.BusyException.class, () -> c.refresh(step -> {}));
        assertFalse(c.runIfDue(), "the schedule does not queue up behind a running refresh");
        library.release.countDown();
        first.join();
        assertEquals(4, c.documents().models().size());
    }

    @Test
    void queuedNamesFromTheHookAreLibraryNames() {
        Catalog c = new Catalog(new Catalog.Settings(library.url(), Duration.ZERO, dir.resolve("catalog"),
                Duration.ofSeconds(1), 1), clock, null,
                () -> java.util.Set.of("llama3.2", "registry.ollama.ai/library/qwen3:8b", "hf.co/someone/x-gguf:Q4_K_M", "Gemma3:1B"));
        assertEquals(java.util.Set.of("llama3.2:latest", "qwen3:8b", "gemma3:1b"), c.queued());
        assertEquals(java.util.Set.of(), catalog(Duration.ZERO).queued());
    }
}
