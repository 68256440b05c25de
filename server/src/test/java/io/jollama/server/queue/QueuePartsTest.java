package io.jollama.server.queue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The window's arithmetic and the SQLite store's persistence, migration and claims. */
class QueuePartsTest {

    @TempDir
    Path dir;

    static ZonedDateTime at(int h, int m) {
        return ZonedDateTime.of(2026, 12, 4, h, m, 0, 0, ZoneId.of("Europe/Berlin"));
    }

    @Test
    void windowsSpanningMidnightAndNot() {
        OffPeakWindow night = OffPeakWindow.parse("22:00-06:00");
        assertTrue(night.isOpen(at(22, 0)));
        assertTrue(night.isOpen(at(3, 0)));
        assertFalse(night.isOpen(at(6, 0)));
        assertFalse(night.isOpen(at(12, 0)));
        assertEquals(Duration.ofHours(10), night.untilOpen(at(12, 0)));
        OffPeakWindow lunch = OffPeakWindow.parse(" 12:30 - 13:00 ");
        assertTrue(lunch.isOpen(at(12, 45)));
        assertFalse(lunch.isOpen(at(13, 0)));
        assertEquals(Duration.ofHours(23).plusMinutes(29), lunch.untilOpen(at(13, 1)));
        assertTrue(OffPeakWindow.parse("").isOpen(at(12, 0)));
        var e = assertThrows(IllegalArgumentException.class, () -> OffPeakWindow.parse("10pm-6am"));
        assertEquals("JOLLAMA_QUEUE_WINDOW must look like 22:00-06:00 (HH:MM-HH:MM, local time), not \"10pm-6am\"", e.getMessage());
    }

    @Test
    void startUpPruningKeepsPartialDownloadsForDaysButNotOtherLeftovers() throws Exception {
        Path blobs = java.nio.file.Files.createDirectories(dir.resolve("models/blobs"));
        Path partial = java.nio.file.Files.writeString(blobs.resolve("sha256-" + "a".repeat(64) + "-partial"), "x");
        Path state = java.nio.file.Files.writeString(blobs.resolve("sha256-" + "a".repeat(64) + "-partial-0"), "{}");
        Path old = java.nio.file.Files.writeString(blobs.resolve("sha256-" + "b".repeat(64) + "-hf-partial"), "x");
        Path junk = java.nio.file.Files.writeString(blobs.resolve("tmp-upload-123"), "x");
        var twoDays = java.nio.file.attribute.FileTime.from(Instant.now().minus(Duration.ofDays(2)));
        for (Path p : new Path[]{partial, state, junk}) java.nio.file.Files.setLastModifiedTime(p, twoDays);
        java.nio.file.Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.from(Instant.now().minus(Duration.ofDays(8))));
        new io.jollama.server.store.ModelStore(dir.resolve("models")).prune(Duration.ofHours(1));
        assertTrue(java.nio.file.Files.exists(partial));
        assertTrue(java.nio.file.Files.exists(state));
        assertFalse(java.nio.file.Files.exists(old), "a week-old partial goes");
        assertFalse(java.nio.file.Files.exists(junk));
    }

    @Test
    void storeKeepsEntriesAcrossReopeningAndMigratesOnce() throws Exception {
        Path db = dir.resolve("sub/jollama.db");
        Instant t0 = Instant.parse("2026-12-04T20:00:00Z");
        long id;
        try (SqliteQueueStore s = SqliteQueueStore.open(db)) {
            id = s.add(new QueueEntry.Request(QueueEntry.Kind.HUGGINGFACE, "hf.co/a/b:Q8_0", "a/b", "Q8_0", false, "10.0.0.1"), t0);
            s.add(new QueueEntry.Request(QueueEntry.Kind.OLLAMA, "tiny:latest", null, null, true, "10.0.0.2"), t0.plusSeconds(1));
            assertTrue(s.claim(id, t0.plusSeconds(2)));
            assertFalse(s.claim(id, t0.plusSeconds(3)), "a claimed entry cannot be claimed twice");
            s.progress(id, 100, 1000, t0.plusSeconds(4));
            s.countRequest("10.0.0.1", LocalDate.of(2026, 12, 4));
            s.countRequest("10.0.0.1", LocalDate.of(2026, 12, 4));
        }
        try (SqliteQueueStore s = SqliteQueueStore.open(db)) {
            QueueEntry e = s.get(id).orElseThrow();
            assertEquals(QueueEntry.Status.DOWNLOADING, e.status());
            assertEquals(100, e.completed());
            assertEquals(1, s.resetDownloading(t0.plusSeconds(5)));
            assertEquals(QueueEntry.Status.PENDING, s.get(id).orElseThrow().status());
            assertEquals(100, s.get(id).orElseThrow().completed(), "the partial progress stays");
            assertEquals(id, s.nextDue(t0.plusSeconds(6)).orElseThrow().id(), "oldest first");
            assertEquals(2, s.requestsOn("10.0.0.1", LocalDate.of(2026, 12, 4)));
            assertEquals(0, s.requestsOn("10.0.0.1", LocalDate.of(2026, 12, 5)));
            assertEquals(1, s.deletePending("tiny:latest"));
            assertEquals(1, s.active(10).size());
        }
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + db);
             var rs = c.createStatement().executeQuery("SELECT COUNT(*), MAX(version) FROM schema_version")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1), "migrated once");
        }
    }
}
