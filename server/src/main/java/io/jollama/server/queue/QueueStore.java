package io.jollama.server.queue;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the download queue and the per-client daily counters live. The embedded default is SQLite
 * ({@link SqliteQueueStore}); the statements are plain SQL so that a shared server database can take its place.
 * Every method is atomic on its own; {@link #claim} is the one step several workers could race for.
 */
public interface QueueStore extends AutoCloseable {

    /** Adds a pending entry; returns its id. */
    long add(QueueEntry.Request request, Instant now);

    Optional<QueueEntry> get(long id);

    /** The pending or downloading entry for this model name, if any. */
    Optional<QueueEntry> findActive(String model);

    /** Pending and downloading entries, oldest first. */
    List<QueueEntry> active(int limit);

    /** Completed and failed entries, newest first. */
    List<QueueEntry> recent(int limit);

    Map<QueueEntry.Status, Integer> counts();

    /** The oldest pending entry whose backoff has passed. */
    Optional<QueueEntry> nextDue(Instant now);

    /** pending → downloading, only if it is still pending (another worker may have taken it). */
    boolean claim(long id, Instant now);

    /** Writes status, error, attempts, byte counts, backoff and update time of an entry. */
    void update(QueueEntry e);

    /** Saves download progress only. */
    void progress(long id, long completed, long total, Instant now);

    /** Deletes the pending entries of a model; returns how many. */
    int deletePending(String model);

    /** After a crash or restart: downloading entries become pending again (their partial data resumes). */
    int resetDownloading(Instant now);

    /** Forgets completed and failed entries last updated before {@code cutoff} (and daily counters of older days). */
    int deleteFinishedBefore(Instant cutoff);

    int requestsOn(String client, LocalDate day);

    void countRequest(String client, LocalDate day);

    /** A trivial query, for the health check; throws when the database does not answer. */
    void ping();

    /** Where the data lives, for the health check. */
    String location();

    @Override
    void close();
}
