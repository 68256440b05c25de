package io.jollama.server.auth;

import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The API keys file ({@code jollama-keys.json} beside the model store, or {@code JOLLAMA_KEYS_FILE}): names, scopes
 * and SHA-256 digests of the keys, never the keys themselves. {@code jollama keys} writes it (to a temporary file,
 * then renamed, under a lock so two writers do not lose each other's change); the server only reads it
 * ({@link KeyRing}). No file, or a file with no keys, means access control is off.
 * <pre>{@code {"keys": [{"name": "alice", "scopes": ["inference", "read"], "sha256": "…", "created_at": "…"}]}}</pre>
 */
public final class KeyFile {

    public static final String FILE_NAME = "jollama-keys.json";
    /** Keys start with this, so that a leaked one is recognisable (secret scanners, logs). */
    public static final String KEY_PREFIX = "jk_";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path path;

    public KeyFile(Path path) {
        this.path = path;
    }

    /** The file a server with this config reads: {@code JOLLAMA_KEYS_FILE}, else beside the model store. */
    public static KeyFile of(ServerConfig config) {
        return of(config.env(), config.models());
    }

    public static KeyFile of(Map<String, String> env, Path models) {
        String set = ServerConfig.var(env, "JOLLAMA_KEYS_FILE");
        if (!set.isEmpty()) return new KeyFile(Path.of(set));
        Path store = models.toAbsolutePath();
        return new KeyFile((store.getParent() == null ? store : store.getParent()).resolve(FILE_NAME));
    }

    public Path path() {
        return path;
    }

    /** The keys, by name; none when the file does not exist. Throws {@link KeyFileException} when it cannot be read. */
    public List<ApiKey> read() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new KeyFileException("cannot read the API keys file " + path + ": " + e.getMessage());
        }
        return parse(bytes);
    }

    private List<ApiKey> parse(byte[] bytes) {
        List<ApiKey> out = new ArrayList<>();
        try {
            JsonNode root = Json.MAPPER.readTree(bytes);
            JsonNode keys = root == null ? null : root.get("keys");
            if (keys == null || !keys.isArray()) throw new KeyFileException("the API keys file " + path + " has no \"keys\" list");
            for (JsonNode k : keys) {
                String name = k.path("name").asString("");
                String hash = k.path("sha256").asString("");
                if (!ApiKey.validName(name) || !hash.matches("[0-9a-f]{64}")) {
                    throw new KeyFileException("the API keys file " + path + " has an entry without a valid name and sha256");
                }
                Set<Scope> scopes = new TreeSet<>();
                for (JsonNode s : k.path("scopes")) scopes.add(Scope.parse(s.asString("")));
                String created = k.path("created_at").asString("");
                out.add(new ApiKey(name, scopes, hash, created.isEmpty() ? Instant.EPOCH : Instant.parse(created)));
            }
        } catch (JacksonException | IllegalArgumentException | java.time.DateTimeException e) {
            throw new KeyFileException("the API keys file " + path + " is not valid: " + e.getMessage());
        }
        return List.copyOf(out);
    }

    /**
     * Adds a key; returns the key itself, which exists nowhere else afterwards (the file keeps its digest).
     *
     * @throws IllegalArgumentException for a bad name, or a name already in use
     */
    public String add(String name, Set<Scope> scopes, Instant now) {
        if (!ApiKey.validName(name)) {
            throw new IllegalArgumentException("invalid key name \"" + name + "\": use letters, digits, '.', '_' or '-' (at most 64)");
        }
        if (scopes.isEmpty()) throw new IllegalArgumentException("at least one scope is needed (inference, read, pull, manage)");
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String key = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        update(keys -> {
            if (keys.stream().anyMatch(k -> k.name().equals(name))) {
                throw new IllegalArgumentException("a key named \"" + name + "\" exists; remove it first (jollama keys rm " + name + ")");
            }
            keys.add(new ApiKey(name, scopes, HexFormat.of().formatHex(sha256(key)), now));
        });
        return key;
    }

    /** Removes the key {@code name}; false when there is none. */
    public boolean remove(String name) {
        boolean[] found = {false};
        update(keys -> found[0] = keys.removeIf(k -> k.name().equals(name)));
        return found[0];
    }

    /** The SHA-256 of a key's UTF-8 bytes: what the file keeps and what a presented key is compared by. */
    public static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Change {
        void apply(List<ApiKey> keys);
    }

    /** Read, change, write to a temporary file and rename over the old one, holding a lock file meanwhile. */
    private void update(Change change) {
        Path dir = path.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            try (FileChannel lockChannel = FileChannel.open(dir.resolve(path.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockChannel.lock()) {
                List<ApiKey> keys = new ArrayList<>(read());
                change.apply(keys);
                keys.sort(Comparator.comparing(ApiKey::name));
                write(dir, keys);
            }
        } catch (IOException e) {
            throw new KeyFileException("cannot write the API keys file " + path + ": " + e.getMessage());
        }
    }

    private void write(Path dir, List<ApiKey> keys) throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode list = root.putArray("keys");
        for (ApiKey k : keys) {
            ObjectNode o = list.addObject();
            o.put("name", k.name());
            ArrayNode scopes = o.putArray("scopes");
            k.scopes().stream().sorted().forEach(s -> scopes.add(s.wire()));
            o.put("sha256", k.sha256Hex());
            o.put("created_at", k.createdAt().toString());
        }
        byte[] bytes = (Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        Path tmp = Files.createTempFile(dir, "." + path.getFileName() + "-", ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // the digests are not secrets, the restriction is only tidiness
            }
            Files.write(tmp, bytes);
            if (parse(Files.readAllBytes(tmp)).size() != keys.size()) throw new IOException("the written file does not read back");
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The key file cannot be read or written. */
    public static final class KeyFileException extends RuntimeException {
        public KeyFileException(String message) {
            super(message);
        }
    }
}
