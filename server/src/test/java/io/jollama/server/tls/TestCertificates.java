package io.jollama.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for {@code localhost} and {@code 127.0.0.1} made by the JDK's {@code keytool} (no
 * network), written as PEM files: {@code cert.pem} (the certificate, also the CA file clients trust) and
 * {@code key.pem} (its PKCS#8 private key).
 */
public record TestCertificates(Path certificate, Path privateKey) {

    private static final char[] PASSWORD = "changeit".toCharArray();

    /** @param keyAlgorithm {@code RSA} or {@code EC} */
    public static TestCertificates create(Path dir, String keyAlgorithm) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path store = dir.resolve("server.p12");
        Files.deleteIfExists(store);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", keyAlgorithm,
                keyAlgorithm.equals("EC") ? "-groupname" : "-keysize", keyAlgorithm.equals("EC") ? "secp256r1" : "2048", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("keytool failed: " + out);
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASSWORD);
            Key key = ks.getKey("server", PASSWORD);
            Path cert = dir.resolve("cert.pem"), pem = dir.resolve("key.pem");
            Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("server").getEncoded()));
            Files.writeString(pem, pem("PRIVATE KEY", key.getEncoded()));
            return new TestCertificates(cert, pem);
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** The environment that makes a server speak HTTPS with this certificate. */
    public java.util.Map<String, String> serverEnv() {
        return java.util.Map.of("JOLLAMA_TLS_CERT", certificate.toString(), "JOLLAMA_TLS_KEY", privateKey.toString());
    }

    /**
     * The key converted by {@code openssl} to its traditional form ({@code BEGIN RSA PRIVATE KEY} with
     * {@code rsa}, {@code BEGIN EC PRIVATE KEY} with {@code ec}); null when openssl is not installed.
     */
    public Path traditionalKey(String opensslCommand) throws IOException, InterruptedException {
        Path out = privateKey.resolveSibling("key-" + opensslCommand + ".pem");
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", opensslCommand, "-in", privateKey.toString(),
                "-out", out.toString()));
        if (opensslCommand.equals("rsa")) cmd.add("-traditional"); // OpenSSL 3 writes PKCS#8 otherwise; 'ec' writes SEC 1
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException noOpenssl) {
            return null;
        }
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("openssl failed: " + text);
        return out;
    }
}
