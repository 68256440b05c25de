package io.jollama.server.auth;

import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

/**
 * A configured API key as the key file holds it: never the key itself, only its SHA-256.
 *
 * @param name      who or what holds the key (shown by {@code /api/ps}, the logs, the queue)
 * @param scopes    what it may do
 * @param sha256Hex the SHA-256 of the key's UTF-8 bytes, lower-case hex
 * @param createdAt when it was added
 */
public record ApiKey(String name, Set<Scope> scopes, String sha256Hex, Instant createdAt) {

    public ApiKey {
        scopes = Set.copyOf(scopes);
    }

    /** The digest as bytes (what {@link KeyRing} compares). */
    byte[] sha256() {
        return HexFormat.of().parseHex(sha256Hex);
    }

    /** Key names: letters, digits, dot, underscore, hyphen; 1 to 64 characters. */
    public static boolean validName(String name) {
        return name != null && name.matches("[A-Za-z0-9._-]{1,64}");
    }
}
