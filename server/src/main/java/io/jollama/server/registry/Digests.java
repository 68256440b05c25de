package io.jollama.server.registry;

import java.util.HexFormat;
import java.util.regex.Pattern;

/** Checks and converts layer digests ({@code sha256:<64 hex>}) so that a registry cannot name arbitrary files. */
public final class Digests {

    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    private Digests() {}

    public static String requireValid(String digest) {
        if (digest == null || !DIGEST.matcher(digest).matches()) {
            throw new RegistryException(500, "invalid digest in manifest: \"" + digest + "\"");
        }
        return digest;
    }

    /** {@code sha256:<hex>} → {@code sha256-<hex>}. */
    public static String fileName(String digest) {
        return requireValid(digest).replace(':', '-');
    }

    public static String hex(String digest) {
        return requireValid(digest).substring("sha256:".length());
    }

    /** The first 12 hex digits, as in {@code pulling <hex12>}. */
    public static String shortHex(String digest) {
        return hex(digest).substring(0, 12);
    }

    public static String of(byte[] sha256) {
        return "sha256:" + HexFormat.of().formatHex(sha256);
    }
}
