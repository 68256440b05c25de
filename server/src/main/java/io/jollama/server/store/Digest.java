package io.jollama.server.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Blob digests: {@code sha256:<64 hex>} in manifests and the API, {@code sha256-<hex>} as file names. */
public final class Digest {

    private static final Pattern VALID = Pattern.compile("^sha256[:-][0-9a-fA-F]{64}$");

    private Digest() {}

    /** Whether {@code s} is a digest in either spelling ({@code sha256:} or {@code sha256-}, any hex case). */
    public static boolean isValid(String s) {
        return s != null && VALID.matcher(s).matches();
    }

    /** The canonical {@code sha256:<lowercase hex>} form of a valid digest in either spelling. */
    public static String canonical(String s) {
        if (!isValid(s)) throw new IllegalArgumentException("invalid digest format");
        return "sha256:" + s.substring(7).toLowerCase(java.util.Locale.ROOT);
    }

    /** The blob file name {@code sha256-<hex>} of a valid digest (hex case kept as given, as Ollama does). */
    public static String fileName(String s) {
        if (!isValid(s)) throw new IllegalArgumentException("invalid digest format");
        return "sha256-" + s.substring(7);
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code sha256:<hex>} of the bytes. */
    public static String of(byte[] bytes) {
        return "sha256:" + hex(bytes);
    }

    /** Lowercase hex SHA-256 of the bytes (no prefix). */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }
}
