package io.jollama.server.catalog;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One refresh of the catalog from the library pages, as the gallery's daily run (spec 1.1, 1.6): read the listing,
 * pick the models to re-read (incremental: those updated since the day before the previous run; all when none or
 * when there was no previous run), read their tags pages concurrently (bounded; a failed page is counted, not fatal),
 * and merge into the previous catalog.
 */
public final class CatalogRefresh {

    private static final Logger log = LoggerFactory.getLogger(CatalogRefresh.class);

    /** What a refresh reports while it runs: a pull-like progress line. */
    public record Step(String status, int total, int completed) {}

    /** A refresh's outcome: the new documents, and which models' tags pages were read and which failed. */
    public record Result(CatalogDocuments documents, List<String> scraped, List<String> failed) {}

    private final LibraryReader reader;
    private final Clock clock;
    private final int concurrency;

    public CatalogRefresh(LibraryReader reader, Clock clock, int concurrency) {
        this.reader = reader;
        this.clock = clock;
        this.concurrency = concurrency;
    }

    /** @throws IOException when the listing cannot be read or has no models (the previous catalog stays) */
    public Result run(CatalogDocuments previous, Consumer<Step> progress) throws IOException {
        Instant start = clock.instant();
        ZonedDateTime now = start.atZone(clock.getZone());
        progress.accept(new Step("reading the library listing", 0, 0));
        LibraryParser.Listing listing = LibraryParser.parseListing(reader.listing(), reader.base(), now);
        if (listing.models().isEmpty()) throw new IOException("the library listing has no models");
        Instant listed = clock.instant();

        List<String> selected = select(listing, previous.modelsStatus());
        Map<String, LinkedHashMap<String, TagInfo>> read = readTagsPages(selected, now, progress);
        Instant done = clock.instant();

        LinkedHashMap<String, LibraryModel> models = new LinkedHashMap<>();
        for (var e : listing.models().entrySet()) {
            LinkedHashMap<String, TagInfo> t = read.get(e.getKey());
            models.put(e.getKey(), t == null ? e.getValue() : e.getValue().withTagCount(t.size()));
        }
        LinkedHashMap<String, LinkedHashMap<String, TagInfo>> tags = previous.tagsCopy();
        List<String> scraped = new ArrayList<>(), failed = new ArrayList<>();
        int entries = 0;
        for (String m : selected) {
            LinkedHashMap<String, TagInfo> t = read.get(m);
            if (t == null) {
                failed.add(m);
                continue;
            }
            scraped.add(m);
            entries += t.size();
            tags.put(m, t);
        }
        Map<String, LibraryModel> files = new HashMap<>(previous.modelFiles());
        files.putAll(models);
        String date = now.toLocalDate().toString();
        ModelsStatus ms = listing.status(date, seconds(Duration.between(start, listed)));
        TagsStatus ts = new TagsStatus(entries, true, failed.size(), date, seconds(Duration.between(listed, done)));
        log.info("catalog refreshed: {} models, {} tags pages read ({} tags), {} failed", models.size(), scraped.size(),
                entries, failed.size());
        return new Result(new CatalogDocuments(models, files, tags, ms, ts, done), scraped, failed);
    }

    /** The models whose tags pages are read this time (listing order). */
    static List<String> select(LibraryParser.Listing listing, ModelsStatus previous) {
        List<String> all = List.copyOf(listing.models().keySet());
        if (previous == null || !previous.success() || previous.apiDataUpdated() == null) return all;
        String since;
        try {
            since = LocalDate.parse(previous.apiDataUpdated()).minusDays(1).toString();
        } catch (DateTimeParseException e) {
            return all;
        }
        List<String> out = new ArrayList<>();
        for (var e : listing.models().entrySet()) {
            String d = e.getValue().updateDate();
            // an unknown date is read again rather than trusted
            if (d == null || d.compareTo(since) >= 0) out.add(e.getKey());
        }
        return out.isEmpty() ? all : out;
    }

    private Map<String, LinkedHashMap<String, TagInfo>> readTagsPages(List<String> models, ZonedDateTime now,
                                                                      Consumer<Step> progress) {
        Map<String, LinkedHashMap<String, TagInfo>> out = new ConcurrentHashMap<>();
        Semaphore slots = new Semaphore(concurrency);
        AtomicInteger completed = new AtomicInteger();
        progress.accept(new Step("reading tags pages", models.size(), 0));
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> jobs = new ArrayList<>();
            for (String m : models) {
                jobs.add(pool.submit(() -> {
                    slots.acquireUninterruptibly();
                    try {
                        LinkedHashMap<String, TagInfo> t = LibraryParser.parseTags(reader.tagsPage(m), reader.base(), now);
                        if (t.isEmpty()) log.warn("tags page of {} has no tags", m);
                        else out.put(m, t);
                    } catch (IOException | RuntimeException e) {
                        log.warn("tags page of {} failed: {}", m, e.getMessage());
                    } finally {
                        slots.release();
                    }
                    synchronized (progress) { // counts reach the consumer in order
                        progress.accept(new Step("reading tags pages", models.size(), completed.incrementAndGet()));
                    }
                }));
            }
        }
        return out;
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.2f seconds", d.toNanos() / 1e9);
    }
}
