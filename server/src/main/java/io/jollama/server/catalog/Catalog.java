package io.jollama.server.catalog;

import io.jollama.server.ServerConfig;
import io.jollama.server.sched.KeepAlive;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.ModelStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The library catalog of a running server: the current documents (the stored catalog, else the shipped snapshot,
 * loaded on first use), refreshes (on demand and on a schedule, one at a time; a failed refresh keeps the last good
 * catalog) and the join with the store and the download queue.
 */
public final class Catalog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Catalog.class);

    public static final String DEFAULT_LIBRARY_URL = "https://ollama.com";
    public static final Duration DEFAULT_PERIOD = Duration.ofHours(24);
    /** The schedule looks every minute whether a refresh is due, the first time a while after start. */
    static final Duration TICK = Duration.ofMinutes(1), FIRST_TICK = Duration.ofMinutes(5);

    /**
     * @param libraryUrl  {@code JOLLAMA_LIBRARY_URL}
     * @param period      {@code JOLLAMA_CATALOG_REFRESH}; zero: never on a schedule
     * @param dir         where the catalog is kept: {@code catalog/} beside the database ({@code JOLLAMA_DB}), whose
     *                    default place is beside the model store
     * @param pageTimeout per page read
     * @param concurrency tags pages read at once
     */
    public record Settings(String libraryUrl, Duration period, Path dir, Duration pageTimeout, int concurrency) {

        public static Settings fromConfig(ServerConfig config) {
            Map<String, String> env = config.env();
            String url = ServerConfig.var(env, "JOLLAMA_LIBRARY_URL");
            String refresh = ServerConfig.var(env, "JOLLAMA_CATALOG_REFRESH");
            Duration period = KeepAlive.fromEnv(refresh, DEFAULT_PERIOD);
            if (period.isNegative() || KeepAlive.isForever(period)) period = Duration.ZERO;
            String db = ServerConfig.var(env, "JOLLAMA_DB");
            Path beside = !db.isEmpty() ? Path.of(db).toAbsolutePath().getParent()
                    : config.models().toAbsolutePath().getParent();
            if (beside == null) beside = config.models().toAbsolutePath();
            return new Settings(url.isEmpty() ? DEFAULT_LIBRARY_URL : url, period, beside.resolve("catalog"),
                    Duration.ofSeconds(10), 10);
        }
    }

    /** A refresh is already running. */
    public static final class BusyException extends RuntimeException {
        BusyException() {
            super("a catalog refresh is already running", null, false, false);
        }
    }

    private final Settings settings;
    private final Clock clock;
    private final ModelStore store;
    private final QueuedModels queued;
    private final ReentrantLock refreshing = new ReentrantLock();
    private final Object loadLock = new Object();
    private volatile CatalogDocuments current;
    private volatile Instant lastAttempt;
    private volatile String lastError;
    private ScheduledExecutorService timer;

    public Catalog(Settings settings, Clock clock, ModelStore store, QueuedModels queued) {
        this.settings = settings;
        this.clock = clock;
        this.store = store;
        this.queued = queued;
    }

    /** The server's catalog, with the schedule running unless the period is zero. */
    public static Catalog forServer(ServerConfig config, ModelStore store, QueuedModels queued) {
        Catalog c = new Catalog(Settings.fromConfig(config), Clock.systemDefaultZone(), store, queued);
        c.startSchedule();
        return c;
    }

    public Settings settings() {
        return settings;
    }

    /** The current documents: the last good refresh, else the stored catalog, else the snapshot. */
    public CatalogDocuments documents() {
        CatalogDocuments d = current;
        if (d != null) return d;
        synchronized (loadLock) {
            if (current == null) current = CatalogFiles.read(settings.dir()).orElseGet(CatalogFiles::snapshot);
            return current;
        }
    }

    /** The last refresh's error, null after a success. */
    public String lastError() {
        return lastError;
    }

    /**
     * Refreshes now. The new catalog is stored before it replaces the current one.
     * @throws BusyException when a refresh is running
     * @throws IOException   when the listing cannot be read or the catalog cannot be stored; the old catalog stays
     */
    public CatalogRefresh.Result refresh(Consumer<CatalogRefresh.Step> progress) throws IOException {
        if (!refreshing.tryLock()) throw new BusyException();
        try {
            lastAttempt = clock.instant();
            CatalogRefresh.Result r;
            try {
                r = new CatalogRefresh(new LibraryReader(settings.libraryUrl(), settings.pageTimeout()), clock,
                        settings.concurrency()).run(documents(), progress);
                progress.accept(new CatalogRefresh.Step("writing the catalog", 0, 0));
                CatalogFiles.write(settings.dir(), r.documents(), java.util.Set.copyOf(r.scraped()));
            } catch (IOException | RuntimeException e) {
                lastError = e.getMessage();
                log.warn("catalog refresh failed, keeping the last good catalog: {}", e.getMessage());
                throw e;
            }
            current = r.documents();
            lastError = null;
            return r;
        } finally {
            refreshing.unlock();
        }
    }

    /**
     * The schedule's step: refreshes when the period has passed since the last good refresh (the snapshot counts as
     * never refreshed) and, after a failure, not again within min(period, 1 hour).
     * @return whether a refresh ran
     */
    public boolean runIfDue() {
        Duration period = settings.period();
        if (period.isZero()) return false;
        Instant now = clock.instant();
        Instant attempt = lastAttempt;
        Duration retry = period.compareTo(Duration.ofHours(1)) < 0 ? period : Duration.ofHours(1);
        if (attempt != null && now.isBefore(attempt.plus(retry))) return false;
        Instant refreshed = documents().refreshedAt();
        if (refreshed != null && now.isBefore(refreshed.plus(period))) return false;
        try {
            refresh(step -> {});
        } catch (BusyException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            // logged by refresh; the next try comes after the retry interval
        }
        return true;
    }

    private void startSchedule() {
        if (settings.period().isZero()) return;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "catalog-refresh");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::runIfDue, FIRST_TICK.toSeconds(), TICK.toSeconds(), TimeUnit.SECONDS);
    }

    /** The library names ({@code model:tag}) installed in the store, and the 12-hex ids of their manifests. */
    public record Installed(Set<String> names, Set<String> ids) {}

    public Installed installed() {
        Set<String> names = new HashSet<>(), ids = new HashSet<>();
        if (store == null) return new Installed(names, ids);
        for (io.jollama.server.store.Manifests.Entry e : store.list()) {
            String n = libraryName(e.name());
            if (n == null || e.model() == null) continue;
            names.add(n);
            String digest = e.model().digest();
            if (digest != null && digest.length() >= 12) ids.add(digest.substring(0, 12));
        }
        return new Installed(names, ids);
    }

    /** The queued library names ({@code model:tag}; a name queued without tag counts as {@code :latest}). */
    public Set<String> queued() {
        Set<String> out = new HashSet<>();
        for (String q : queued.names()) {
            String n = libraryName(ModelName.parse(q));
            if (n != null) out.add(n);
        }
        return out;
    }

    /** {@code model:tag} for a name of the Ollama library (default host and namespace), else null. */
    static String libraryName(ModelName n) {
        if (n == null || !n.isValid()) return null;
        if (!n.host().equalsIgnoreCase(ModelName.DEFAULT_HOST) || !n.namespace().equalsIgnoreCase(ModelName.DEFAULT_NAMESPACE)) return null;
        return (n.model() + ":" + n.tag()).toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() {
        if (timer != null) timer.shutdownNow();
    }
}
