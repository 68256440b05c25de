package io.jollama.server.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code manifests/<host>/<namespace>/<model>/<tag>} tree: names resolved case-insensitively to the spelling on
 * disk, manifests read and listed, written atomically. Reading never locks (a reader sees a manifest whole or not at
 * all); {@link ModelStore} serialises the changes.
 */
public final class Manifests {

    private static final Logger log = LoggerFactory.getLogger(Manifests.class);

    private final Path dir;

    Manifests(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /**
     * The spelling under which {@code name} is (or would be) stored: each of host, namespace, model and tag is replaced
     * by an existing directory/file name that equals it ignoring case, so re-cased names never create a second copy.
     */
    public ModelName resolve(ModelName name) {
        if (!name.isValid()) return name;
        String host = match(dir, name.host());
        Path h = dir.resolve(host);
        String ns = match(h, name.namespace());
        Path n = h.resolve(ns);
        String model = match(n, name.model());
        String tag = match(n.resolve(model), name.tag());
        return new ModelName(name.scheme(), host, ns, model, tag);
    }

    private static String match(Path dir, String part) {
        if (!Files.isDirectory(dir)) return part;
        if (Files.exists(dir.resolve(part))) return part;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                if (f.equalsIgnoreCase(part)) return f;
            }
        } catch (IOException e) {
            // unreadable directory: keep the requested spelling
        }
        return part;
    }

    /** The manifest file of a (valid) name, after case resolution. */
    public Path path(ModelName name) {
        return dir.resolve(resolve(name).filepath());
    }

    /**
     * The model stored under {@code name} (resolved case-insensitively), or empty when there is none.
     * @throws StoreException when the manifest exists but cannot be read or parsed
     */
    public Optional<StoredModel> find(ModelName name) {
        if (!name.isValid()) return Optional.empty();
        ModelName resolved = resolve(name);
        Path p = dir.resolve(resolved.filepath());
        try {
            byte[] bytes = Files.readAllBytes(p);
            FileTime mtime = Files.getLastModifiedTime(p);
            return Optional.of(new StoredModel(resolved, p, Manifest.parse(bytes), Digest.hex(bytes), mtime.toInstant()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (Files.isDirectory(p)) return Optional.empty();
            throw new StoreException("cannot read manifest of " + resolved.displayShortest() + ": " + e.getMessage(), e);
        } catch (StoreException e) {
            throw new StoreException(resolved.displayShortest() + ": " + e.getMessage(), e);
        }
    }

    /** The raw bytes of a manifest, or empty. */
    public Optional<byte[]> readBytes(ModelName name) {
        if (!name.isValid()) return Optional.empty();
        try {
            return Optional.of(Files.readAllBytes(path(name)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("cannot read manifest of " + name.displayShortest() + ": " + e.getMessage(), e);
        }
    }

    /** One entry of {@link #list()}: a readable model, or the name and the reason it cannot be read. */
    public record Entry(ModelName name, StoredModel model, String error) {}

    /**
     * Every manifest in the store, newest first (second resolution, ties in path order). A manifest that cannot be read
     * is listed with its error instead of failing the whole listing. Entries whose path is not a valid name are skipped.
     */
    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        for (Path p : files()) {
            Path rel = dir.relativize(p);
            ModelName name = new ModelName("", rel.getName(0).toString(), rel.getName(1).toString(),
                    rel.getName(2).toString(), rel.getName(3).toString());
            if (!name.isValid()) continue;
            try {
                byte[] bytes = Files.readAllBytes(p);
                Instant mtime = Files.getLastModifiedTime(p).toInstant();
                out.add(new Entry(name, new StoredModel(name, p, Manifest.parse(bytes), Digest.hex(bytes), mtime), null));
            } catch (NoSuchFileException gone) {
                // deleted while listing
            } catch (IOException | StoreException e) {
                out.add(new Entry(name, null, e.getMessage()));
            }
        }
        out.sort(Comparator.comparing((Entry e) -> e.model() == null ? Instant.EPOCH
                : e.model().modified().truncatedTo(ChronoUnit.SECONDS)).reversed());
        return out;
    }

    /** Canonical digests referenced by all manifests, or null if some manifest cannot be read. */
    Set<String> referencedDigests() {
        Set<String> refs = new HashSet<>();
        for (Path p : files()) {
            try {
                for (String d : Manifest.parse(Files.readAllBytes(p)).digests()) refs.add(Digest.canonical(d));
            } catch (NoSuchFileException gone) {
                // removed meanwhile
            } catch (IOException | StoreException e) {
                return null;
            }
        }
        return refs;
    }

    /** Manifest files exactly four levels below {@code manifests/}, skipping components that start with a dot. */
    private List<Path> files() {
        List<Path> files = new ArrayList<>();
        collect(dir, 0, files);
        files.sort(Comparator.naturalOrder());
        return files;
    }

    private static void collect(Path dir, int depth, List<Path> out) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (p.getFileName().toString().startsWith(".")) continue;
                if (depth == 3) {
                    if (Files.isRegularFile(p)) out.add(p);
                } else if (Files.isDirectory(p)) {
                    collect(p, depth + 1, out);
                }
            }
        } catch (NoSuchFileException e) {
            // removed meanwhile
        } catch (IOException e) {
            log.warn("cannot read {}: {}", dir, e.getMessage());
        }
    }

    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".tmp-", ".manifest");
        try {
            Files.write(tmp, bytes);
            Blobs.moveInto(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Deletes a manifest file and the directories it leaves empty. */
    void remove(Path p) throws IOException {
        Files.delete(p);
        Path d = p.getParent();
        while (d != null && d.startsWith(dir) && !d.equals(dir)) {
            try {
                Files.delete(d);
            } catch (IOException notEmpty) {
                return;
            }
            d = d.getParent();
        }
    }

    /** Removes the empty directories below {@code manifests/} (start-up maintenance). */
    void removeEmptyDirs() throws IOException {
        removeEmptyDirs(dir);
    }

    private void removeEmptyDirs(Path d) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path p : ds) if (Files.isDirectory(p)) removeEmptyDirs(p);
        }
        if (!d.equals(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
                if (ds.iterator().hasNext()) return;
            }
            Files.deleteIfExists(d);
        }
    }
}
