package io.jollama.server.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The ed25519 key pair Ollama keeps in {@code ~/.ollama/id_ed25519} (OpenSSH format) and signs registry token
 * requests with. Reads and writes the unencrypted {@code openssh-key-v1} format itself so that a key made by
 * Ollama or {@code ssh-keygen} works here and the other way round.
 */
public final class OllamaKey implements RequestSigner {

    private static final String TYPE = "ssh-ed25519";
    private static final byte[] MAGIC = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);

    private final PrivateKey privateKey;
    private final byte[] publicRaw; // 32 bytes

    private OllamaKey(PrivateKey privateKey, byte[] publicRaw) {
        this.privateKey = privateKey;
        this.publicRaw = publicRaw;
    }

    /** Loads {@code file} (e.g. {@code ~/.ollama/id_ed25519}), creating it and its {@code .pub} when missing. */
    public static synchronized OllamaKey loadOrCreate(Path file) throws IOException {
        if (Files.exists(file)) return load(file);
        OllamaKey key = generate();
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, key.privatePem());
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(file.resolveSibling(file.getFileName() + ".pub"), key.authorizedKey() + "\n");
        return key;
    }

    public static OllamaKey generate() {
        try {
            KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            return new OllamaKey(kp.getPrivate(), rawPublic((EdECPublicKey) kp.getPublic()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static OllamaKey load(Path file) throws IOException {
        String pem = Files.readString(file);
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        ByteBuffer in;
        try {
            in = ByteBuffer.wrap(Base64.getDecoder().decode(b64));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": not an OpenSSH private key");
        }
        byte[] magic = new byte[MAGIC.length];
        if (in.remaining() < magic.length) throw new IOException(file + ": not an OpenSSH private key");
        in.get(magic);
        if (!Arrays.equals(magic, MAGIC)) throw new IOException(file + ": not an OpenSSH private key");
        String cipher = string(in);
        string(in); // kdf name
        bytes(in); // kdf options
        if (!cipher.equals("none")) throw new IOException(file + ": encrypted keys are not supported");
        if (in.getInt() != 1) throw new IOException(file + ": expected exactly one key");
        bytes(in); // public key blob, repeated in the private section
        ByteBuffer priv = ByteBuffer.wrap(bytes(in));
        if (priv.getInt() != priv.getInt()) throw new IOException(file + ": corrupt private key (check mismatch)");
        if (!string(priv).equals(TYPE)) throw new IOException(file + ": not an ed25519 key");
        byte[] pub = bytes(priv);
        byte[] secret = bytes(priv); // seed (32) || public (32)
        if (pub.length != 32 || secret.length != 64) throw new IOException(file + ": corrupt ed25519 key");
        try {
            PrivateKey pk = KeyFactory.getInstance("Ed25519").generatePrivate(
                    new EdECPrivateKeySpec(NamedParameterSpec.ED25519, Arrays.copyOf(secret, 32)));
            return new OllamaKey(pk, pub);
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The SSH wire-format public key, base64 (the part after {@code ssh-ed25519 } in the .pub file). */
    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicBlob());
    }

    public String authorizedKey() {
        return TYPE + " " + publicKeyBase64();
    }

    /** {@code <pubkey-b64>:<base64 raw signature>} over {@code data}, as Ollama's {@code auth.Sign}. */
    public String sign(byte[] data) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(data);
            return publicKeyBase64() + ":" + Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signs {@code GET,<token URL>,<base64(hex(sha256 of the empty body))>}. */
    @Override
    public String authorization(String method, URI url) {
        try {
            String emptyHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(new byte[0]));
            String data = method + "," + url + ","
                    + Base64.getEncoder().encodeToString(emptyHash.getBytes(StandardCharsets.US_ASCII));
            return sign(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Java's public key for a raw 32-byte ed25519 public key (to verify signatures). */
    public static PublicKey publicKey(byte[] raw) throws GeneralSecurityException {
        byte[] le = raw.clone();
        boolean xOdd = (le[31] & 0x80) != 0;
        le[31] &= 0x7f;
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) be[i] = le[31 - i];
        return KeyFactory.getInstance("Ed25519")
                .generatePublic(new EdECPublicKeySpec(NamedParameterSpec.ED25519, new EdECPoint(xOdd, new BigInteger(1, be))));
    }

    /** The raw public key inside an SSH wire-format blob ({@code string "ssh-ed25519", string key}). */
    public static byte[] rawFromBlob(byte[] blob) {
        ByteBuffer in = ByteBuffer.wrap(blob);
        if (!string(in).equals(TYPE)) throw new IllegalArgumentException("not an ed25519 public key");
        return bytes(in);
    }

    private byte[] publicBlob() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        putString(out, TYPE.getBytes(StandardCharsets.US_ASCII));
        putString(out, publicRaw);
        return out.toByteArray();
    }

    private String privatePem() {
        byte[] seed = seed();
        SecureRandom rnd = new SecureRandom();
        int check = rnd.nextInt();
        ByteArrayOutputStream priv = new ByteArrayOutputStream();
        putInt(priv, check);
        putInt(priv, check);
        putString(priv, TYPE.getBytes(StandardCharsets.US_ASCII));
        putString(priv, publicRaw);
        byte[] secret = new byte[64];
        System.arraycopy(seed, 0, secret, 0, 32);
        System.arraycopy(publicRaw, 0, secret, 32, 32);
        putString(priv, secret);
        putString(priv, new byte[0]); // comment
        for (int pad = 1; priv.size() % 8 != 0; pad++) priv.write(pad);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        putString(out, "none".getBytes(StandardCharsets.US_ASCII));
        putString(out, "none".getBytes(StandardCharsets.US_ASCII));
        putString(out, new byte[0]);
        putInt(out, 1);
        putString(out, publicBlob());
        putString(out, priv.toByteArray());
        String b64 = Base64.getEncoder().encodeToString(out.toByteArray());
        StringBuilder pem = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        for (int i = 0; i < b64.length(); i += 70) pem.append(b64, i, Math.min(b64.length(), i + 70)).append('\n');
        return pem.append("-----END OPENSSH PRIVATE KEY-----\n").toString();
    }

    /** The 32-byte seed of the private key, from its PKCS#8 encoding (the last 32 bytes for ed25519). */
    private byte[] seed() {
        byte[] pkcs8 = privateKey.getEncoded();
        return Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length);
    }

    private static byte[] rawPublic(EdECPublicKey key) {
        EdECPoint p = key.getPoint();
        byte[] be = p.getY().toByteArray();
        byte[] le = new byte[32];
        for (int i = 0; i < be.length && i < 32; i++) le[i] = be[be.length - 1 - i];
        if (p.isXOdd()) le[31] |= (byte) 0x80;
        return le;
    }

    private static String string(ByteBuffer in) {
        return new String(bytes(in), StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) throw new IllegalArgumentException("truncated key data");
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private static void putInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void putString(ByteArrayOutputStream out, byte[] b) {
        putInt(out, b.length);
        out.writeBytes(b);
    }
}
