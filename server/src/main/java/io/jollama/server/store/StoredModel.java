package io.jollama.server.store;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A manifest found in the store: its name (as spelled on disk), file, parsed content, the hex SHA-256 of the file
 * bytes (the digest {@code /api/tags} shows) and the file's modification time.
 */
public record StoredModel(ModelName name, Path path, Manifest manifest, String digest, Instant modified) {
}
