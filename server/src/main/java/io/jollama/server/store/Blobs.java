package io.jollama.server.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

/**
 * The {@code blobs/} directory: content-addressed files {@code sha256-<hex>}, written to a temporary file, hashed and
 * renamed into place only when the digest is right. Thread-safe: a blob appears whole or not at all. Which blobs may
 * be removed is {@link BlobCollector}'s business.
 */
public final class Blobs {

    private static final Logger log = LoggerFactory.getLogger(Blobs.class);

    private final Path dir;

    Blobs(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** {@code blobs/sha256-<hex>} of a digest in either spelling. */
    public Path path(String digest) {
        return dir.resolve(Digest.fileName(digest));
    }

    public boolean has(String digest) {
        return Digest.isValid(digest) && Files.isRegularFile(path(digest));
    }

    /** Thrown by {@link #write(InputStream, String)} when the content does not hash to the expected digest. */
    public static final class DigestMismatchException extends StoreException {
        public final String actual;

        public DigestMismatchException(String expected, String actual) {
            super("digest mismatch, expected \"" + expected + "\", got \"" + actual + "\"");
            this.actual = actual;
        }
    }

    /**
     * Streams {@code in} to a temporary file in {@code blobs/}, hashing it on the way, and renames it to its blob name.
     * @param expectedDigest {@code sha256:<hex>}, or null to accept whatever it hashes to
     * @return the {@code sha256:<hex>} digest of what was written
     * @throws DigestMismatchException when the content does not match {@code expectedDigest} (nothing is kept)
     */
    public String write(InputStream in, String expectedDigest) throws IOException {
        Path tmp = Files.createTempFile(dir, "tmp-", ".part");
        try {
            MessageDigest md = Digest.sha256();
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), md)) {
                in.transferTo(out);
            }
            String actual = "sha256:" + HexFormat.of().formatHex(md.digest());
            if (expectedDigest != null && !expectedDigest.equals(actual)) throw new DigestMismatchException(expectedDigest, actual);
            moveInto(tmp, path(actual));
            return actual;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Stores bytes as a blob (if not present) and returns its layer. */
    public Layer write(String mediaType, byte[] data) {
        String digest = Digest.of(data);
        Path p = path(digest);
        try {
            if (!Files.isRegularFile(p) || Files.size(p) != data.length) {
                Path tmp = Files.createTempFile(dir, "tmp-", ".part");
                try {
                    Files.write(tmp, data);
                    moveInto(tmp, p);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot write blob " + digest + ": " + e.getMessage(), e);
        }
        return new Layer(mediaType, digest, data.length);
    }

    /** Renames a finished file that hashes to {@code digest} (on the same file system) to its blob name. */
    void adopt(Path file, String digest) throws IOException {
        moveInto(file, path(digest));
    }

    static String hash(Path file) throws IOException {
        MessageDigest md = Digest.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    /** Sets a blob's mtime to now, so the start-up prune's grace period protects it. */
    public void touch(String digest) {
        try {
            Files.setLastModifiedTime(path(digest), FileTime.from(Instant.now()));
        } catch (IOException e) {
            // a missing blob is reported by commitManifest
        }
    }

    /** Renames {@code blobs/sha256:<x>} (old spelling) to {@code sha256-<x>}, as Ollama does at start-up. */
    void fixNames() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "sha256:*")) {
            for (Path p : ds) {
                Path to = p.resolveSibling(p.getFileName().toString().replace(':', '-'));
                Files.move(p, to, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("cannot rename old blob names: {}", e.getMessage());
        }
    }

    private static final Set<PosixFilePermission> READABLE = PosixFilePermissions.fromString("rw-r--r--");

    /** Renames a finished temporary file into place, readable by all as Ollama leaves blobs and manifests (0644). */
    static void moveInto(Path tmp, Path target) throws IOException {
        try {
            Files.setPosixFilePermissions(tmp, READABLE);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
