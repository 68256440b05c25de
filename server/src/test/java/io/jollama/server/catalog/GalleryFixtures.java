package io.jollama.server.catalog;

import io.jollama.engine.TestData;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/** The gallery's test data in shared/testdata/gallery: published documents, saved library pages, expected JSON. */
final class GalleryFixtures {

    private GalleryFixtures() {}

    static Path dir() {
        return TestData.path("gallery");
    }

    static Path page(String relative) {
        return dir().resolve("pages/html").resolve(relative);
    }

    static String html(String relative) {
        return read(page(relative));
    }

    static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** When the saved page was fetched (the "now" of its relative dates), in UTC. */
    static ZonedDateTime fetchedAt(String relative) {
        JsonNode meta = GalleryJson.MAPPER.readTree(read(dir().resolve("pages/metadata/fixtures.json")));
        return Instant.parse(meta.get("fixtures").get(relative).get("fetchedAt").asString()).atZone(ZoneOffset.UTC);
    }
}
