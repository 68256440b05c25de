package io.jollama.server.catalog;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The refresh schedule, driven by an injected clock (no waiting): daily by default, configurable, off, retry after failure. */
class CatalogScheduleTest {

    @TempDir
    Path dir;
    FixtureLibrary library;
    MutableClock clock;

    @BeforeEach
    void start() {
        library = new FixtureLibrary();
        clock = new MutableClock(Instant.parse("2025-08-03T09:47:00Z"));
    }

    @AfterEach
    void stop() {
        library.close();
    }

    Catalog catalog(Duration period) {
        return new Catalog(new Catalog.Settings(library.url(), period, dir.resolve("catalog"), Duration.ofSeconds(5), 3),
                clock, null, QueuedModels.NONE);
    }

    long listings() {
        return library.requests.stream().filter("/library"::equals).count();
    }

    @Test
    void dailyRefreshRunsWhenThePeriodHasPassedSinceTheLastGoodOne() {
        Catalog c = catalog(Duration.ofHours(24));
        assertTrue(c.runIfDue(), "the shipped snapshot counts as never refreshed");
        assertEquals(1, listings());
        assertEquals(4, c.documents().models().size());

        clock.advance(Duration.ofHours(1));
        assertFalse(c.runIfDue());
        clock.advance(Duration.ofHours(22).plusMinutes(59));
        assertFalse(c.runIfDue());
        clock.advance(Duration.ofMinutes(1));
        assertTrue(c.runIfDue());
        assertEquals(2, listings());

        // after a restart the stored refresh time counts
        Catalog restarted = catalog(Duration.ofHours(24));
        clock.advance(Duration.ofHours(12));
        assertFalse(restarted.runIfDue());
        clock.advance(Duration.ofHours(12));
        assertTrue(restarted.runIfDue());
        assertEquals(3, listings());
    }

    @Test
    void aFailedScheduledRefreshIsRetriedAfterAnHourNotAtEveryTick() {
        library.failing.add("/library");
        Catalog c = catalog(Duration.ofHours(24));
        assertTrue(c.runIfDue());
        assertNotNull(c.lastError());
        assertEquals(236, c.documents().models().size(), "the snapshot stays");
        clock.advance(Duration.ofMinutes(59));
        assertFalse(c.runIfDue());
        assertEquals(1, listings());
        library.failing.clear();
        clock.advance(Duration.ofMinutes(1));
        assertTrue(c.runIfDue());
        assertNull(c.lastError());
        assertEquals(4, c.documents().models().size());
    }

    @Test
    void aShortPeriodAndOff() {
        Catalog every2h = catalog(Duration.ofHours(2));
        assertTrue(every2h.runIfDue());
        clock.advance(Duration.ofMinutes(119));
        assertFalse(every2h.runIfDue());
        clock.advance(Duration.ofMinutes(1));
        assertTrue(every2h.runIfDue());

        Catalog off = catalog(Duration.ZERO);
        clock.advance(Duration.ofDays(365));
        assertFalse(off.runIfDue());
        assertEquals(2, listings());
    }

    @Test
    void settingsFromTheEnvironment() {
        var store = dir.resolve("store/models");
        var base = io.jollama.server.ServerConfig.local(0, store);
        Catalog.Settings d = Catalog.Settings.fromConfig(base);
        assertEquals("https://ollama.com", d.libraryUrl());
        assertEquals(Duration.ofHours(24), d.period());
        assertEquals(dir.resolve("store/catalog").toAbsolutePath(), d.dir());

        Catalog.Settings s = Catalog.Settings.fromConfig(base.withEnv(Map.of("JOLLAMA_LIBRARY_URL", "http://127.0.0.1:9",
                "JOLLAMA_CATALOG_REFRESH", "6h", "JOLLAMA_DB", dir.resolve("db/jollama.db").toString())));
        assertEquals("http://127.0.0.1:9", s.libraryUrl());
        assertEquals(Duration.ofHours(6), s.period());
        assertEquals(dir.resolve("db/catalog").toAbsolutePath(), s.dir());
        assertEquals(Duration.ZERO, Catalog.Settings.fromConfig(base.withEnv(Map.of("JOLLAMA_CATALOG_REFRESH", "0"))).period());
        assertEquals(Duration.ofMinutes(90), Catalog.Settings.fromConfig(base.withEnv(Map.of("JOLLAMA_CATALOG_REFRESH", "1h30m"))).period());
        assertEquals(Duration.ofHours(24), Catalog.Settings.fromConfig(base.withEnv(Map.of("JOLLAMA_CATALOG_REFRESH", "daily?"))).period(),
                "an unreadable period keeps the default");
    }
}
