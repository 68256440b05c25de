package io.jollama.server.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Temporary files in the store, named after the process that writes them ({@code tmp-<pid>-<random>.part}), so that a
 * server starting on a store can remove what an interrupted create or upload left behind without touching the files
 * another server on the same store is writing at that moment: a file is an orphan when its process is gone, or when
 * the process with that id started after the file was last written (the id was reused).
 */
public final class TempFiles {

    private static final Logger log = LoggerFactory.getLogger(TempFiles.class);
    private static final Pattern NAME = Pattern.compile("\\.?tmp-(?:[a-z]+-)?(\\d+)-[^/]*\\.(?:part|manifest)");
    private static final long PID = ProcessHandle.current().pid();

    private TempFiles() {}

    /** A new temporary file in {@code dir}: {@code <prefix><pid>-<random><suffix>}. */
    public static Path create(Path dir, String prefix, String suffix) throws IOException {
        return Files.createTempFile(dir, prefix + PID + "-", suffix);
    }

    /** Removes the orphaned temporary files under {@code dir} (recursively); returns how many. */
    static int removeOrphans(Path dir) {
        if (!Files.isDirectory(dir)) return 0;
        int removed = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(p)) continue;
                try {
                    if (isOrphan(Long.parseLong(m.group(1)), Files.getLastModifiedTime(p).toInstant())) {
                        Files.deleteIfExists(p);
                        removed++;
                    }
                } catch (IOException | NumberFormatException e) {
                    log.debug("leaving {}: {}", p, e.getMessage());
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            log.warn("cannot look for leftover temporary files in {}: {}", dir, e.getMessage());
        }
        if (removed > 0) log.info("removed {} temporary file(s) left by an interrupted create or upload", removed);
        return removed;
    }

    private static boolean isOrphan(long pid, Instant modified) {
        Optional<ProcessHandle> owner = ProcessHandle.of(pid);
        if (owner.isEmpty() || !owner.get().isAlive()) return true;
        Optional<Instant> started = owner.get().info().startInstant();
        return started.isPresent() && started.get().isAfter(modified.plusSeconds(1));
    }
}
