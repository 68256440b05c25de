package io.jollama.server.auth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The server's view of the key file: re-read when the file changes (its modification time, size or identity: the
 * CLI replaces it by a rename). {@link #current()} looks at the file's attributes on every call, which costs one
 * {@code stat}, so a key added or revoked counts from the next request. A file that stops being valid keeps the last
 * good keys (and is logged); one that is invalid at start stops the start.
 */
public final class KeyRing {

    private static final Logger log = LoggerFactory.getLogger(KeyRing.class);

    /** The keys and the file version they came from. */
    private record Snapshot(List<Entry> keys, FileTime modified, long size, Object fileKey) {}

    /** A key with its digest decoded once. */
    private record Entry(ApiKey key, byte[] sha256) {}

    private final KeyFile file;
    private volatile Snapshot snapshot;

    /** @throws KeyFile.KeyFileException when the file exists but cannot be read */
    public KeyRing(KeyFile file) {
        this.file = file;
        this.snapshot = load(attributes());
    }

    public KeyFile file() {
        return file;
    }

    /** Whether access control is on: at least one key is configured. */
    public boolean enabled() {
        return !current().keys().isEmpty();
    }

    /**
     * The key whose digest equals the digest of {@code presented}. Every configured digest is compared, each with
     * {@link MessageDigest#isEqual} (constant time), so the time taken does not depend on which key, or how much of
     * one, the presented text matches; and since digests are compared, a presented key sharing a prefix with a real
     * one gives a digest sharing nothing predictable with it.
     */
    public Optional<ApiKey> match(String presented) {
        byte[] digest = KeyFile.sha256(presented);
        ApiKey found = null;
        for (Entry e : current().keys()) {
            if (MessageDigest.isEqual(e.sha256(), digest) && found == null) found = e.key();
        }
        return Optional.ofNullable(found);
    }

    /** The configured keys (names, scopes, digests). */
    public List<ApiKey> keys() {
        return current().keys().stream().map(Entry::key).toList();
    }

    private Snapshot current() {
        Snapshot s = snapshot;
        BasicFileAttributes a = attributes();
        boolean same = a == null ? s.modified() == null
                : Objects.equals(a.lastModifiedTime(), s.modified()) && a.size() == s.size() && Objects.equals(a.fileKey(), s.fileKey());
        if (same) return s;
        synchronized (this) {
            if (snapshot != s) return snapshot;
            try {
                Snapshot next = load(a);
                log.info("API keys reloaded from {}: {} key(s){}", file.path(), next.keys().size(),
                        next.keys().isEmpty() ? " (access control is off)" : "");
                snapshot = next;
            } catch (KeyFile.KeyFileException e) {
                log.warn("{}; keeping the {} key(s) read before", e.getMessage(), s.keys().size());
                // remember this version so that the warning is not repeated on every request
                snapshot = new Snapshot(s.keys(), a == null ? null : a.lastModifiedTime(), a == null ? -1 : a.size(),
                        a == null ? null : a.fileKey());
            }
            return snapshot;
        }
    }

    private Snapshot load(BasicFileAttributes a) {
        List<Entry> keys = file.read().stream().map(k -> new Entry(k, k.sha256())).toList();
        return new Snapshot(keys, a == null ? null : a.lastModifiedTime(), a == null ? -1 : a.size(), a == null ? null : a.fileKey());
    }

    private BasicFileAttributes attributes() {
        try {
            return Files.readAttributes(file.path(), BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
