package io.jollama.server.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Garbage collection of blobs: a blob goes when no manifest references it and nobody has pinned it. A blob a
 * collection spares only because it is pinned is remembered and collected when its last pin is released (unless a
 * manifest references it by then), so a pin delays a removal but never turns it into a leak. Not thread-safe on its
 * own: every method runs under {@link ModelStore}'s lock, so no manifest changes between a check and a removal.
 */
final class BlobCollector {

    private static final Logger log = LoggerFactory.getLogger(BlobCollector.class);

    private final Manifests manifests;
    private final Blobs blobs;
    /** Canonical digest → number of open pins. */
    private final Map<String, Integer> pins = new HashMap<>();
    /** Canonical digests a collection found unreferenced but spared because they were pinned. */
    private final Set<String> sparedWhilePinned = new HashSet<>();

    BlobCollector(Manifests manifests, Blobs blobs) {
        this.manifests = manifests;
        this.blobs = blobs;
    }

    void pin(String canonicalDigest) {
        pins.merge(canonicalDigest, 1, Integer::sum);
    }

    /** Drops one pin of {@code digest}; adds it to {@code released} when that was its last pin and a GC spared it. */
    void unpin(String digest, List<String> released) {
        Integer left = pins.computeIfPresent(digest, (k, v) -> v == 1 ? null : v - 1);
        if (left == null && sparedWhilePinned.remove(digest)) released.add(digest);
    }

    /**
     * Deletes those of {@code candidates} that no manifest references and nobody has pinned; those spared only by a pin
     * are remembered so the release of the last pin collects them. Does nothing when any manifest is unreadable (its
     * references are unknown).
     */
    void collect(Collection<String> candidates) {
        if (candidates.isEmpty()) return;
        Set<String> referenced = manifests.referencedDigests();
        if (referenced == null) {
            log.warn("a manifest is unreadable; not removing unused blobs");
            return;
        }
        for (String d : new HashSet<>(candidates)) {
            if (!Digest.isValid(d)) continue;
            String c = Digest.canonical(d);
            if (referenced.contains(c)) continue;
            if (pins.containsKey(c)) {
                sparedWhilePinned.add(c);
                continue;
            }
            try {
                Files.deleteIfExists(blobs.path(d));
            } catch (IOException e) {
                log.warn("cannot remove unused blob {}: {}", d, e.getMessage());
            }
        }
    }

    /** How long start-up pruning keeps partial downloads ({@code sha256-<hex>-partial...}). */
    static final Duration PARTIAL_GRACE = Duration.ofDays(7);

    /**
     * Start-up pruning: of the files in {@code blobs/} older than {@code grace}, deletes those whose name is not a
     * blob name (stale temporary files, and partial downloads older than {@link #PARTIAL_GRACE}) and blobs no manifest
     * references; then removes empty manifest directories. Skipped entirely when some manifest is unreadable.
     * @return the number of files removed
     */
    int prune(Duration grace) {
        try {
            Set<String> referenced = manifests.referencedDigests();
            if (referenced == null) {
                log.warn("not pruning blobs: a manifest is unreadable");
                return 0;
            }
            Instant cutoff = Instant.now().minus(grace);
            int removed = 0;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobs.dir())) {
                for (Path p : ds) {
                    if (!Files.isRegularFile(p)) continue;
                    if (Files.getLastModifiedTime(p).toInstant().isAfter(cutoff)) continue;
                    String f = p.getFileName().toString();
                    // a partial download resumes: one paused by the download queue's window may wait days for it
                    if (f.contains("-partial") && Files.getLastModifiedTime(p).toInstant().isAfter(Instant.now().minus(PARTIAL_GRACE))) continue;
                    boolean valid = Digest.isValid(f);
                    if (valid && referenced.contains(Digest.canonical(f))) continue;
                    if (valid && pins.containsKey(Digest.canonical(f))) {
                        sparedWhilePinned.add(Digest.canonical(f));
                        continue;
                    }
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
            manifests.removeEmptyDirs();
            if (removed > 0) log.info("pruned {} unused blob file(s)", removed);
            return removed;
        } catch (IOException e) {
            log.warn("pruning failed: {}", e.getMessage());
            return 0;
        }
    }
}
