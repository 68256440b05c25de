package io.jollama.server.catalog;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ref.SoftReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * The catalog on disk, laid out as the gallery's {@code data/} folder ({@code models.json}, {@code tags.json}, the two
 * status files, {@code models/<m>.json}, {@code tags/<m>.json}), so the directory is itself a drop-in copy; plus
 * {@code refreshed_at}, the time of the refresh that wrote it. And the snapshot that ships in the jar.
 */
public final class CatalogFiles {

    private static final Logger log = LoggerFactory.getLogger(CatalogFiles.class);

    /** Names safe as one file name; a model named otherwise is kept in the big documents only. */
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,199}");
    private static final String REFRESHED_AT = "refreshed_at";
    private static final String SNAPSHOT = "/io/jollama/server/catalog/snapshot/";

    private CatalogFiles() {}

    public static boolean isFileName(String model) {
        return FILE_NAME.matcher(model).matches() && !model.contains("..");
    }

    /**
     * Writes the six documents (per-model files first, {@code models_status.json} last), each to a temporary name
     * and renamed into place, so a crash leaves every file either old or new. Of the {@code tags/<m>.json} files
     * only those of {@code changedTags} and missing ones are written (null: all); with the refresh time.
     */
    public static void write(Path dir, CatalogDocuments docs, java.util.Set<String> changedTags) throws IOException {
        Files.createDirectories(dir.resolve("models"));
        Files.createDirectories(dir.resolve("tags"));
        for (var e : docs.modelFiles().entrySet()) {
            if (isFileName(e.getKey())) atomicWrite(dir.resolve("models").resolve(e.getKey() + ".json"), GalleryJson.write(e.getValue()));
        }
        for (var e : docs.tags().entrySet()) {
            if (!isFileName(e.getKey())) continue;
            Path file = dir.resolve("tags").resolve(e.getKey() + ".json");
            if (changedTags == null || changedTags.contains(e.getKey()) || !Files.exists(file)) {
                atomicWrite(file, GalleryJson.write(e.getValue()));
            }
        }
        atomicWrite(dir.resolve("tags.json"), docs.tagsJson());
        atomicWrite(dir.resolve("models.json"), docs.modelsJson());
        atomicWrite(dir.resolve("tags_status.json"), docs.tagsStatusJson());
        if (docs.refreshedAt() != null) {
            atomicWrite(dir.resolve(REFRESHED_AT), docs.refreshedAt().toString().getBytes(StandardCharsets.UTF_8));
        }
        atomicWrite(dir.resolve("models_status.json"), docs.modelsStatusJson());
    }

    /** The catalog stored in {@code dir}; empty when there is none or it cannot be read (the reason is logged). */
    public static Optional<CatalogDocuments> read(Path dir) {
        if (!Files.isRegularFile(dir.resolve("models_status.json"))) return Optional.empty();
        try {
            LinkedHashMap<String, LibraryModel> models = GalleryJson.read(Files.readAllBytes(dir.resolve("models.json")), GalleryJson.MODELS);
            var tags = GalleryJson.read(Files.readAllBytes(dir.resolve("tags.json")), GalleryJson.TAGS);
            ModelsStatus ms = GalleryJson.read(Files.readAllBytes(dir.resolve("models_status.json")), ModelsStatus.class);
            TagsStatus ts = GalleryJson.read(Files.readAllBytes(dir.resolve("tags_status.json")), TagsStatus.class);
            Map<String, LibraryModel> files = new HashMap<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.resolve("models"), "*.json")) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    files.put(name.substring(0, name.length() - 5), GalleryJson.read(Files.readAllBytes(p), LibraryModel.class));
                }
            } catch (NoSuchFileException none) {
                // a catalog without per-model files (copied by hand): models.json has them all
            }
            files.putAll(models);
            Instant refreshed = null;
            Path r = dir.resolve(REFRESHED_AT);
            if (Files.isRegularFile(r)) refreshed = Instant.parse(Files.readString(r).strip());
            if (models == null || tags == null || ms == null || ts == null) throw new IOException("an empty document");
            return Optional.of(new CatalogDocuments(models, files, tags, ms, ts, refreshed));
        } catch (IOException | RuntimeException e) {
            log.warn("the catalog in {} cannot be read ({}); using the shipped snapshot", dir, e.getMessage());
            return Optional.empty();
        }
    }

    /** The parsed snapshot, kept while memory allows (it is immutable; servers and tests share it). */
    private static volatile SoftReference<CatalogDocuments> snapshot = new SoftReference<>(null);

    /** The published gallery documents that ship with Jollama, for a catalog without network. */
    public static CatalogDocuments snapshot() {
        CatalogDocuments d = snapshot.get();
        if (d == null) {
            synchronized (CatalogFiles.class) {
                d = snapshot.get();
                if (d == null) {
                    d = readSnapshot();
                    snapshot = new SoftReference<>(d);
                }
            }
        }
        return d;
    }

    private static CatalogDocuments readSnapshot() {
        var models = GalleryJson.read(resource("models.json.gz"), GalleryJson.MODELS);
        var tags = GalleryJson.read(resource("tags.json.gz"), GalleryJson.TAGS);
        return new CatalogDocuments(models, models, tags,
                GalleryJson.read(resource("models_status.json.gz"), ModelsStatus.class),
                GalleryJson.read(resource("tags_status.json.gz"), TagsStatus.class), null);
    }

    private static byte[] resource(String name) {
        try (InputStream in = CatalogFiles.class.getResourceAsStream(SNAPSHOT + name)) {
            if (in == null) throw new IllegalStateException("the catalog snapshot " + name + " is missing from the jar");
            try (GZIPInputStream gz = new GZIPInputStream(in)) {
                return gz.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code bytes} to a temporary name beside {@code target}, then renames it into place. */
    public static void atomicWrite(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
