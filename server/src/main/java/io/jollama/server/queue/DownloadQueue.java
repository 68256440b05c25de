package io.jollama.server.queue;

import io.jollama.server.api.ApiException;
import io.jollama.server.Progress;
import io.jollama.server.hf.HfException;
import io.jollama.server.hf.HfImporter;
import io.jollama.server.api.RegistryApi;
import io.jollama.server.registry.RegistryException;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.ModelStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The persistent download queue and its one worker. Entries run oldest first, one at a time, through the registry's
 * pull or the Hugging Face importer (both resumable and verified, nothing visible before it is complete), only inside
 * the off-peak window unless "process now" was asked. A download still running when the window closes (or the server
 * stops) is paused: the entry goes back to {@code pending} with its partial data, and resumes later. Failures are
 * retried with backoff up to {@link QueueSettings#ATTEMPTS} attempts; a request that cannot succeed (no such model,
 * repository or quant) fails at once.
 *
 * <p>The database is opened when first needed, or at start when it exists already (then entries left
 * {@code downloading} by a crash become {@code pending}). Times come from the injected {@link Clock}; tests move it
 * and call {@link #wake()}.
 */
public final class DownloadQueue implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DownloadQueue.class);
    private static final Duration MAX_SLEEP = Duration.ofSeconds(30);
    private static final Duration KEEP_FINISHED = Duration.ofDays(30);

    private final QueueSettings settings;
    private final Clock clock;
    private final ModelStore models;
    private final RegistryApi registry;
    private final HfImporter hf;
    private final Object signal = new Object();
    private final Thread worker;
    private QueueStore store;
    private boolean poked;
    private volatile boolean forced;
    private volatile boolean closing;
    private volatile QueueEntry current;

    /** Thrown out of a progress callback to pause the running download. */
    private static final class Paused extends RuntimeException {
        Paused() {
            super("paused", null, false, false);
        }
    }

    public DownloadQueue(QueueSettings settings, Clock clock, ModelStore models, RegistryApi registry, HfImporter hf) {
        this.settings = settings;
        this.clock = clock;
        this.models = models;
        this.registry = registry;
        this.hf = hf;
        if (Files.exists(settings.db())) store();
        this.worker = Thread.ofPlatform().daemon().name("jollama-queue").unstarted(this::loop);
        worker.start();
    }

    public QueueSettings settings() {
        return settings;
    }

    public Clock clock() {
        return clock;
    }

    public HfImporter hf() {
        return hf;
    }

    /** The database, opened (created, migrated, crash-recovered) on first use. */
    public synchronized QueueStore store() {
        if (store == null) {
            store = SqliteQueueStore.open(settings.db());
            int reset = store.resetDownloading(clock.instant());
            if (reset > 0) log.info("queue: {} interrupted download(s) will resume", reset);
            store.deleteFinishedBefore(clock.instant().minus(KEEP_FINISHED)); // ohhhllama's CLEANUP_DAYS
            wake();
        }
        return store;
    }

    private synchronized QueueStore storeIfOpen() {
        return store;
    }

    /** Whether the database exists yet (health reports a queue nobody used as fine). */
    public synchronized boolean opened() {
        return store != null;
    }

    /** The names of the models waiting or downloading (the catalog marks them queued); none before first use. */
    public java.util.Set<String> queuedNames() {
        QueueStore st = storeIfOpen();
        if (st == null) return java.util.Set.of();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (QueueEntry e : st.active(10_000)) names.add(e.model());
        return names;
    }

    public boolean windowOpen() {
        return settings.window().isOpen(ZonedDateTime.now(clock));
    }

    /** The entry being downloaded now, if any. */
    public QueueEntry current() {
        return current;
    }

    /** "Process now": run the due entries even outside the window, until the queue is empty. */
    public void runNow() {
        forced = true;
        wake();
    }

    /** Makes the worker look at the queue (and the clock) again. */
    public void wake() {
        synchronized (signal) {
            poked = true;
            signal.notifyAll();
        }
    }

    private void loop() {
        while (!closing) {
            QueueEntry next = null;
            Duration sleep = MAX_SLEEP;
            QueueStore st = storeIfOpen();
            if (st != null) {
                try {
                    ZonedDateTime now = ZonedDateTime.now(clock);
                    if (forced || settings.window().isOpen(now)) {
                        next = st.nextDue(now.toInstant()).orElse(null);
                        if (next == null) forced = false;
                    } else {
                        Duration until = settings.window().untilOpen(now);
                        if (until.compareTo(sleep) < 0) sleep = until;
                    }
                } catch (RuntimeException e) {
                    log.warn("queue: {}", e.getMessage());
                }
            }
            if (next != null) {
                process(st, next);
                continue;
            }
            synchronized (signal) {
                try {
                    if (!poked && !closing) signal.wait(Math.max(10, sleep.toMillis()));
                } catch (InterruptedException e) {
                    return;
                }
                poked = false;
            }
        }
    }

    private boolean shouldPause() {
        return closing || (!forced && !settings.window().isOpen(ZonedDateTime.now(clock)));
    }

    private void process(QueueStore st, QueueEntry e) {
        if (!st.claim(e.id(), clock.instant())) return;
        current = e;
        Bytes bytes = new Bytes(st, e);
        try {
            DiskCheck disk = DiskCheck.of(models.root(), settings.diskThreshold());
            if (disk.critical()) {
                throw new HfException(507, "insufficient storage", "disk usage at " + disk.usedPercent()
                        + "% (threshold: " + settings.diskThreshold() + "%)", true);
            }
            log.info("queue: downloading {} (entry {}, attempt {})", e.model(), e.id(), e.attempts() + 1);
            Consumer<Progress> progress = p -> {
                if (shouldPause()) throw new Paused();
                if (p.digest() != null && p.total() > 0) bytes.layer(p.digest(), p.completed(), p.total());
            };
            if (e.kind() == QueueEntry.Kind.OLLAMA) {
                ModelName name = ModelName.parse(e.model());
                try {
                    registry.pull(name, e.insecure(), progress);
                } catch (RegistryException re) {
                    if (!isHuggingFace(name)) throw re;
                    // hf.co/<user>/<repo>:<quant> without Hugging Face's registry endpoint: the same files by the tree API
                    log.info("queue: {}: registry pull failed ({}); importing the GGUF files instead", e.model(), re.getMessage());
                    String quant = name.tag().equalsIgnoreCase("latest") ? io.jollama.server.hf.GgufChoice.DEFAULT_QUANT : name.tag();
                    hf.importModel(name.namespace() + "/" + name.model(), quant, e.model(), progress, bytes::all, () -> {
                        if (shouldPause()) throw new Paused();
                    });
                }
            } else {
                hf.importModel(e.repo(), e.quant(), e.model(), progress, bytes::all, () -> {
                    if (shouldPause()) throw new Paused();
                });
            }
            bytes.flush();
            long total = Math.max(bytes.total, bytes.completed);
            st.update(e.with(QueueEntry.Status.COMPLETED, null, e.attempts(), total, total, null, clock.instant()));
            log.info("queue: {} is ready", e.model());
        } catch (Paused p) {
            bytes.flush();
            st.update(e.with(QueueEntry.Status.PENDING, e.error(), e.attempts(), bytes.completed, bytes.total, null, clock.instant()));
            log.info("queue: {} paused at {} of {} bytes ({})", e.model(), bytes.completed, bytes.total,
                    closing ? "server stopping" : "window closed");
        } catch (Exception ex) {
            bytes.flush();
            Instant now = clock.instant();
            if (closing) {
                st.update(e.with(QueueEntry.Status.PENDING, e.error(), e.attempts(), bytes.completed, bytes.total, null, now));
                return;
            }
            String reason = describe(ex);
            int tries = e.attempts() + 1;
            if (permanent(ex) || tries >= QueueSettings.ATTEMPTS) {
                String msg = permanent(ex) ? reason : "download failed after " + tries + " attempts: " + reason;
                st.update(e.with(QueueEntry.Status.FAILED, msg, tries, bytes.completed, bytes.total, null, now));
                log.warn("queue: {} failed: {}", e.model(), msg);
            } else {
                Instant next = now.plus(settings.retryDelay().multipliedBy(1L << (tries - 1)));
                st.update(e.with(QueueEntry.Status.PENDING, reason, tries, bytes.completed, bytes.total, next, now));
                log.warn("queue: {} attempt {} failed ({}); next try after {}", e.model(), tries, reason, next);
            }
        } finally {
            current = null;
        }
    }

    static boolean isHuggingFace(ModelName n) {
        return n.host().equalsIgnoreCase("hf.co") || n.host().equalsIgnoreCase("huggingface.co");
    }

    private static boolean permanent(Exception e) {
        return switch (e) {
            case HfException h -> h.permanent();
            case RegistryException r -> r.status() == 404 || r.status() == 401 || r.status() == 403 || r.status() == 507;
            case ApiException a -> a.status() < 500;
            case io.jollama.server.create.CreateException c -> true;
            default -> false;
        };
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** Byte counts of a running entry, saved at most every 250 ms. */
    private final class Bytes {
        final QueueStore st;
        final QueueEntry e;
        final Map<String, long[]> layers = new HashMap<>();
        long completed, total;
        long savedAt;

        Bytes(QueueStore st, QueueEntry e) {
            this.st = st;
            this.e = e;
            this.completed = e.completed();
            this.total = e.total();
        }

        void layer(String digest, long done, long size) {
            layers.put(digest, new long[]{done, size});
            long c = 0, t = 0;
            for (long[] l : layers.values()) {
                c += l[0];
                t += l[1];
            }
            all(c, Math.max(t, total));
        }

        void all(long c, long t) {
            completed = c;
            total = t;
            long now = System.nanoTime();
            if (now - savedAt > 250_000_000L) flush();
        }

        void flush() {
            savedAt = System.nanoTime();
            try {
                st.progress(e.id(), completed, total, clock.instant());
            } catch (RuntimeException ex) {
                log.warn("queue: cannot save progress: {}", ex.getMessage());
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        wake();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (store != null) store.close();
        }
    }
}
