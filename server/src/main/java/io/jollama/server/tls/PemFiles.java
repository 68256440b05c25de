package io.jollama.server.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A certificate chain and its private key from PEM files, as a JDK {@link KeyStore}. Keys: PKCS#8
 * ({@code BEGIN PRIVATE KEY}, any algorithm the JDK has), and the traditional OpenSSL forms {@code BEGIN RSA PRIVATE
 * KEY} (PKCS#1) and {@code BEGIN EC PRIVATE KEY} (SEC 1), which are wrapped into PKCS#8 here. Encrypted keys are
 * refused with a hint.
 */
public final class PemFiles {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    /** rsaEncryption, id-ecPublicKey */
    private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private static final String[] ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"};

    private PemFiles() {}

    /** A key store holding the key under {@code alias} with the chain, protected by {@code password}. */
    public static KeyStore keyStore(Path certFile, Path keyFile, String alias, char[] password) throws IOException {
        List<X509Certificate> chain = certificates(certFile);
        if (chain.isEmpty()) throw new IOException(certFile + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        PrivateKey key = privateKey(keyFile);
        if (!matches(key, chain.getFirst())) {
            throw new IOException("the key in " + keyFile + " does not go with the first certificate in " + certFile);
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(alias, key, password, chain.toArray(Certificate[]::new));
            return ks;
        } catch (GeneralSecurityException e) {
            throw new IOException("the key in " + keyFile + " does not go with the certificate in " + certFile + ": " + e.getMessage(), e);
        }
    }

    /** Whether the key signs what the certificate's public key verifies (a key of another certificate does not). */
    private static boolean matches(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "RSASSA-PSS" -> null;
            default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA
        };
        if (algorithm == null) return true;
        try {
            byte[] probe = "jollama".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Every certificate of a PEM file, in order (the server's first, then its issuers). */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IOException(file + " is not a PEM certificate file: " + e.getMessage(), e);
        }
    }

    /** The first private key of a PEM file. */
    public static PrivateKey privateKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": the " + type + " block is not valid base64");
            }
            byte[] pkcs8 = switch (type) {
                case "PRIVATE KEY" -> der;
                case "RSA PRIVATE KEY" -> pkcs8(RSA_OID, new byte[] {0x05, 0x00}, der);
                case "EC PRIVATE KEY" -> pkcs8(EC_OID, curveOf(der, file), der);
                case "ENCRYPTED PRIVATE KEY" -> throw new IOException(file + " holds an encrypted key; decrypt it first "
                        + "(openssl pkey -in " + file.getFileName() + " -out key.pem)");
                default -> null; // EC PARAMETERS, certificates: not a key
            };
            if (pkcs8 == null) continue;
            String failure = "";
            for (String algorithm : ALGORITHMS) { // the JDK's key factories each recognise their own PKCS#8 keys
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
                } catch (GeneralSecurityException | IllegalArgumentException e) {
                    if (failure.isEmpty()) failure = String.valueOf(e.getMessage());
                }
            }
            throw new IOException(file + ": the " + type + " cannot be read (RSA, EC, EdDSA, RSASSA-PSS, DSA): " + failure);
        }
        throw new IOException(file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }

    /** PrivateKeyInfo: SEQUENCE { INTEGER 0, SEQUENCE { algorithm, parameters }, OCTET STRING key }. */
    private static byte[] pkcs8(byte[] algorithmOid, byte[] parameters, byte[] key) {
        byte[] algorithm = der(0x30, concat(algorithmOid, parameters));
        return der(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algorithm, der(0x04, key)));
    }

    /**
     * The named curve of a SEC 1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING, [0] OID, [1] BIT STRING }. PKCS#8
     * wants it in the algorithm's parameters.
     */
    private static byte[] curveOf(byte[] sec1, Path file) throws IOException {
        try {
            int[] seq = header(sec1, 0);
            int p = seq[0];
            int end = p + seq[1];
            while (p < end) {
                int tag = sec1[p] & 0xff;
                int[] h = header(sec1, p);
                if (tag == 0xa0) return Arrays.copyOfRange(sec1, h[0], h[0] + h[1]); // the OID inside [0]
                p = h[0] + h[1];
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            // falls through to the error below
        }
        throw new IOException(file + ": the EC PRIVATE KEY names no curve");
    }

    /** The start and length of the content of the DER element at {@code at}. */
    private static int[] header(byte[] der, int at) {
        int len = der[at + 1] & 0xff;
        int start = at + 2;
        if (len >= 0x80) {
            int n = len & 0x7f;
            len = 0;
            for (int i = 0; i < n; i++) len = (len << 8) | (der[start + i] & 0xff);
            start += n;
        }
        return new int[] {start, len};
    }

    private static byte[] der(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) out.write(n >>> (8 * i));
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }
}
