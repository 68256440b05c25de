package io.jollama.server.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** The key file, the key ring's comparison, the request-rate limit's bucket, scope lists: without HTTP. */
class KeysTest {

    @TempDir
    Path dir;

    @Test
    void keyFileAddsListsAndRemovesKeysAndRefusesBadInput() {
        KeyFile f = KeyFile.of(Map.of(), dir.resolve("models"));
        assertEquals(dir.resolve("jollama-keys.json"), f.path());
        assertEquals(Set.of(), Set.copyOf(f.read()));
        String k = f.add("alice", EnumSet.of(Scope.INFERENCE, Scope.READ), Instant.parse("2026-12-05T00:00:00Z"));
        assertTrue(k.matches("jk_[A-Za-z0-9_-]{43}"), k);
        ApiKey a = f.read().getFirst();
        assertEquals("alice", a.name());
        assertEquals(EnumSet.of(Scope.INFERENCE, Scope.READ), a.scopes());
        assertEquals(Instant.parse("2026-12-05T00:00:00Z"), a.createdAt());
        assertNotEquals(k, f.add("bob", Set.of(Scope.PULL), Instant.now()), "every key is new");

        assertThrows(IllegalArgumentException.class, () -> f.add("alice", Set.of(Scope.READ), Instant.now()), "name in use");
        assertThrows(IllegalArgumentException.class, () -> f.add("no spaces", Set.of(Scope.READ), Instant.now()));
        assertThrows(IllegalArgumentException.class, () -> f.add("x", Set.of(), Instant.now()));
        assertEquals(2, f.read().size());
        assertTrue(f.remove("alice"));
        assertFalse(f.remove("alice"));
        assertEquals("bob", f.read().getFirst().name());
        assertEquals(dir.resolve("elsewhere.json"), KeyFile.of(Map.of("JOLLAMA_KEYS_FILE", dir.resolve("elsewhere.json").toString()),
                dir.resolve("models")).path());
    }

    @Test
    void scopeListsParseAndUnknownScopesAreNamed() {
        assertEquals(EnumSet.of(Scope.INFERENCE, Scope.READ), Scope.parseList("inference, READ"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scope.parseList("inference,admin"));
        assertTrue(e.getMessage().contains("\"admin\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Scope.parseList(" , "));
    }

    @Test
    void bearerTokensAreReadFromTheHeader() {
        assertEquals("abc", AuthGuard.bearer("Bearer abc").orElseThrow());
        assertEquals("abc", AuthGuard.bearer("  bearer   abc ").orElseThrow());
        assertTrue(AuthGuard.bearer(null).isEmpty());
        assertTrue(AuthGuard.bearer("Basic abc").isEmpty());
        assertTrue(AuthGuard.bearer("Bearer ").isEmpty());
        assertTrue(AuthGuard.bearer("Bearerabc").isEmpty());
    }

    /**
     * The comparison is constant-time by construction: the ring holds only digests (it never sees a key), hashes the
     * presented text and compares digests with {@code MessageDigest.isEqual}, every configured digest each time.
     * A text sharing a long prefix with a key hashes to a digest sharing nothing with the key's, so there is no
     * prefix for an early exit to leak. Shown here: prefixes and near misses never match, and their digests share no
     * prefix with the key's. (No wall-clock measurement: one comparing near misses with unrelated text failed under
     * the full suite's load, and a String.equals leak of a few nanoseconds beside a SHA-256 of several hundred would
     * stay below any bound that such a test could hold without failing at random.)
     */
    @Test
    void matchingComparesDigestsSoAMatchingPrefixGainsNothing() {
        KeyFile f = KeyFile.of(Map.of(), dir.resolve("models"));
        String key = f.add("alice", Set.of(Scope.READ), Instant.now());
        for (int i = 0; i < 5; i++) f.add("k" + i, Set.of(Scope.READ), Instant.now());
        KeyRing ring = new KeyRing(f);
        assertEquals("alice", ring.match(key).orElseThrow().name());
        String longPrefix = key.substring(0, key.length() - 1) + (key.endsWith("A") ? "B" : "A");
        String none = "x".repeat(key.length());
        for (String wrong : new String[] {longPrefix, none, key.substring(0, key.length() - 1), key + "A", ""}) {
            assertTrue(ring.match(wrong).isEmpty(), wrong);
        }
        // the digest of the near miss shares no more with the key's digest than chance does
        byte[] real = KeyFile.sha256(key), near = KeyFile.sha256(longPrefix);
        int samePrefix = 0;
        while (samePrefix < real.length && real[samePrefix] == near[samePrefix]) samePrefix++;
        assertTrue(samePrefix < 4, "digest prefix shared: " + samePrefix);
    }

    @Test
    void theRateLimitIsABucketThatRefillsOverAMinute() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RequestRateLimit limit = new RequestRateLimit(3, now::get);
        for (int i = 0; i < 3; i++) assertEquals(0, limit.take("a"));
        assertEquals(20, limit.take("a"), "one request every 20 s at 3 a minute");
        assertEquals(0, limit.take("b"), "each caller has its own bucket");
        now.addAndGet(19_000_000_000L);
        assertEquals(1, limit.take("a"));
        now.addAndGet(1_000_000_000L);
        assertEquals(0, limit.take("a"));
        assertEquals(20, limit.take("a"));
        now.addAndGet(600_000_000_000L);
        for (int i = 0; i < 3; i++) assertEquals(0, limit.take("a"), "a long pause refills the bucket, not beyond");
        assertTrue(limit.take("a") > 0);

        assertNull(RequestRateLimit.fromSetting("", now::get));
        assertNull(RequestRateLimit.fromSetting("0", now::get));
        assertEquals(60, RequestRateLimit.fromSetting("60", now::get).perMinute());
        assertThrows(IllegalArgumentException.class, () -> RequestRateLimit.fromSetting("lots", now::get));
    }

    @Test
    void theFileIsWrittenWholeOrNotAtAll() throws Exception {
        KeyFile f = KeyFile.of(Map.of(), dir.resolve("models"));
        f.add("a", Set.of(Scope.READ), Instant.now());
        try (var files = Files.list(dir)) {
            assertEquals(Set.of("jollama-keys.json", "jollama-keys.json.lock"),
                    Set.copyOf(files.map(p -> p.getFileName().toString()).toList()), "no temporary file left");
        }
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f.path())));
        }
    }
}
