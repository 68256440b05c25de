package io.jollama.server.catalog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The parser against every saved library page: its JSON equals the expected gallery JSON byte for byte. */
class LibraryParserTest {

    static final String BASE = "https://ollama.com";

    @ParameterizedTest
    @ValueSource(strings = {"listing-popular", "listing-newest", "listing-search-wizard", "listing-search-no-results"})
    void listingPagesGiveTheExpectedModelsAndStatus(String page) {
        String fixture = "library/" + page + ".html";
        LibraryParser.Listing listing = LibraryParser.parseListing(GalleryFixtures.html(fixture), BASE,
                GalleryFixtures.fetchedAt(fixture));
        assertGolden("expected-from-fixtures/" + page + ".models.json", GalleryJson.write(listing.models()));
        ModelsStatus status = listing.status(GalleryFixtures.fetchedAt(fixture).toLocalDate().toString(), "n/a");
        assertGolden("expected-from-fixtures/" + page + ".models_status.json", GalleryJson.write(status));
    }

    @ParameterizedTest
    @ValueSource(strings = {"granite-embedding", "magistral", "wizard-math", "wizard-vicuna-uncensored"})
    void tagsPagesGiveTheExpectedTags(String model) {
        String fixture = "models/" + model + "/tags.html";
        LinkedHashMap<String, TagInfo> tags = LibraryParser.parseTags(GalleryFixtures.html(fixture), BASE,
                GalleryFixtures.fetchedAt(fixture));
        assertGolden("expected-from-fixtures/tags/" + model + ".json", GalleryJson.write(tags));
    }

    @Test
    void aliasesSharingADigestKeepOnlyTheFirstName() {
        String fixture = "models/granite-embedding/tags.html";
        LinkedHashMap<String, TagInfo> tags = LibraryParser.parseTags(GalleryFixtures.html(fixture), BASE,
                GalleryFixtures.fetchedAt(fixture));
        // the page lists latest, 30m (= latest) and 278m
        assertEquals(List.of("granite-embedding:latest", "granite-embedding:278m"),
                tags.values().stream().map(TagInfo::name).toList());
        assertTrue(GalleryFixtures.html(fixture).contains("granite-embedding:30m"));
    }

    @Test
    void pagesThatAreNotTagsPagesHaveNoRows() {
        String details = "models/magistral/details.html";
        assertTrue(LibraryParser.parseTags(GalleryFixtures.html(details), BASE, GalleryFixtures.fetchedAt(details)).isEmpty());
        assertTrue(LibraryParser.parseTags("<html><body><p>oops</p></body></html>", BASE, GalleryFixtures.fetchedAt(details)).isEmpty());
    }

    @Test
    void aListingEntryMissingARequiredFieldIsCountedNotFatal() {
        String html = """
                <ul>
                <li x-test-model><a href="/library/good"><h2><span class="group-hover:underline truncate">good</span></h2>
                  <p class="max-w-lg break-words text-neutral-800 text-md">A model</p>
                  <span x-test-capability>tools</span><span x-test-size>7b</span>
                  <span x-test-pull-count>1.2K</span><span x-test-tag-count>3</span><span x-test-updated>2 days ago</span></a></li>
                <li x-test-model><a href="/library/broken"><h2><span class="group-hover:underline truncate">broken</span></h2></a></li>
                </ul>""";
        LibraryParser.Listing l = LibraryParser.parseListing(html, "http://127.0.0.1:9", GalleryFixtures.fetchedAt("library/listing-popular.html"));
        assertEquals(1, l.errors());
        assertEquals(List.of("good"), List.copyOf(l.models().keySet()));
        LibraryModel m = l.models().get("good");
        assertEquals(1200, m.pull());
        assertEquals("3", m.tagCount());
        assertEquals("2025-08-01", m.updateDate());
        assertEquals("http://127.0.0.1:9/library/good", m.link());
        assertEquals(List.of("tools"), m.capabilities());
    }

    static void assertGolden(String expectedPath, byte[] actual) {
        String expected = GalleryFixtures.read(GalleryFixtures.dir().resolve(expectedPath));
        assertEquals(expected, new String(actual, StandardCharsets.UTF_8), expectedPath);
    }
}
