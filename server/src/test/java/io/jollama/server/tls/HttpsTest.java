package io.jollama.server.tls;

import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import io.jollama.server.auth.KeyFile;
import io.jollama.server.auth.Scope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** HTTPS from PEM files with a self-signed certificate made by keytool: TLS 1.2 and 1.3, keys over TLS, key formats. */
class HttpsTest {

    @TempDir
    static Path dir;
    static TestCertificates rsa, ec;

    @BeforeAll
    static void certificates() throws Exception {
        // two keytool processes at once: each is mostly a JVM start
        var rsaLater = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return TestCertificates.create(dir.resolve("rsa"), "RSA");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        ec = TestCertificates.create(dir.resolve("ec"), "EC");
        rsa = rsaLater.join();
    }

    static SSLContext trusting(Path certificate) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", PemFiles.certificates(certificate).getFirst());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static TestServer server(String name, Map<String, String> env) {
        return new TestServer(ServerConfig.local(0, dir.resolve(name).resolve("models")).withEnv(env));
    }

    static HttpResponse<String> get(HttpClient client, String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesHttpsWithTheCertificateAndKeysWorkOverIt() throws Exception {
        try (TestServer s = server("https", rsa.serverEnv())) {
            assertEquals("https", s.server.scheme());
            HttpClient client = HttpClient.newBuilder().sslContext(trusting(rsa.certificate())).build();
            String base = "https://127.0.0.1:" + s.server.port();
            HttpResponse<String> root = get(client, base + "/", null);
            assertEquals(200, root.statusCode());
            assertEquals("Ollama is running", root.body());
            assertEquals(200, get(client, "https://localhost:" + s.server.port() + "/api/version", null).statusCode());

            String key = KeyFile.of(s.server.context().config()).add("tls", Set.of(Scope.READ), Instant.now());
            assertEquals(401, get(client, base + "/api/tags", null).statusCode());
            assertEquals(200, get(client, base + "/api/tags", key).statusCode());

            // a client that does not trust the certificate stops at the handshake
            HttpClient untrusting = HttpClient.newHttpClient();
            assertThrows(SSLHandshakeException.class, () -> get(untrusting, base + "/", null));
            // plain HTTP on the HTTPS port gets no answer from a route
            HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            try {
                HttpResponse<String> r = get(plain, "http://127.0.0.1:" + s.server.port() + "/", null);
                assertNotEquals("Ollama is running", r.body());
            } catch (IOException expected) {
                // Jetty closes the connection
            }
        }
    }

    @Test
    void onlyTls12AndTls13AreSpoken() throws Exception {
        try (TestServer s = server("protocols", ec.serverEnv())) {
            SSLContext ctx = trusting(ec.certificate());
            for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
                try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", s.server.port())) {
                    socket.setEnabledProtocols(new String[] {protocol});
                    socket.startHandshake();
                    assertEquals(protocol, socket.getSession().getProtocol());
                }
            }
        }
        // the server's side: what its connector offers at all (the JDK's client refuses TLS 1.1 by itself)
        org.eclipse.jetty.server.Server jetty = new org.eclipse.jetty.server.Server();
        TlsSettings tls = TlsSettings.fromEnv(ec.serverEnv());
        var connector = (org.eclipse.jetty.server.ServerConnector) tls.connector(jetty, new org.eclipse.jetty.server.HttpConfiguration(), "127.0.0.1", 0);
        jetty.addConnector(connector);
        jetty.start();
        try {
            var ssl = connector.getConnectionFactory(org.eclipse.jetty.server.SslConnectionFactory.class).getSslContextFactory();
            assertEquals(Set.of("TLSv1.2", "TLSv1.3"), Set.of(ssl.getSelectedProtocols()));
        } finally {
            jetty.stop();
        }
    }

    @Test
    void traditionalRsaAndEcKeysAreReadToo() throws Exception {
        Path rsaKey = rsa.traditionalKey("rsa"), ecKey = ec.traditionalKey("ec");
        assumeTrue(rsaKey != null && ecKey != null, "openssl is not installed");
        assertTrue(Files.readString(rsaKey).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        assertTrue(Files.readString(ecKey).contains("-----BEGIN EC PRIVATE KEY-----"));
        assertEquals(PemFiles.privateKey(rsa.privateKey()), PemFiles.privateKey(rsaKey));
        assertEquals(PemFiles.privateKey(ec.privateKey()).getEncoded().length > 0, true);
        assertArrayEquals(((java.security.interfaces.ECPrivateKey) PemFiles.privateKey(ec.privateKey())).getS().toByteArray(),
                ((java.security.interfaces.ECPrivateKey) PemFiles.privateKey(ecKey)).getS().toByteArray());
        try (TestServer s = server("traditional", Map.of("JOLLAMA_TLS_CERT", ec.certificate().toString(), "JOLLAMA_TLS_KEY", ecKey.toString()))) {
            HttpClient client = HttpClient.newBuilder().sslContext(trusting(ec.certificate())).build();
            assertEquals(200, get(client, "https://127.0.0.1:" + s.server.port() + "/", null).statusCode());
        }
    }

    @Test
    void badTlsSettingsStopTheStartWithAReason() throws Exception {
        IllegalArgumentException half = assertThrows(IllegalArgumentException.class,
                () -> server("half", Map.of("JOLLAMA_TLS_CERT", rsa.certificate().toString())).close());
        assertTrue(half.getMessage().contains("JOLLAMA_TLS_KEY"), half.getMessage());

        Path encrypted = dir.resolve("encrypted.pem");
        Files.writeString(encrypted, TestCertificates.pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}));
        Map<String, String> env = new HashMap<>(Map.of("JOLLAMA_TLS_CERT", rsa.certificate().toString(), "JOLLAMA_TLS_KEY", encrypted.toString()));
        Exception e = assertThrows(RuntimeException.class, () -> server("encrypted", env).close());
        assertTrue(e.getMessage().contains("encrypted") && e.getMessage().contains("openssl pkey"), e.getMessage());

        env.put("JOLLAMA_TLS_KEY", rsa.certificate().toString()); // a certificate where the key should be
        e = assertThrows(RuntimeException.class, () -> server("nokey", env).close());
        assertTrue(e.getMessage().contains("no PEM private key"), e.getMessage());

        env.put("JOLLAMA_TLS_KEY", ec.privateKey().toString()); // a key that does not go with the certificate
        env.put("JOLLAMA_TLS_CERT", rsa.certificate().toString());
        e = assertThrows(RuntimeException.class, () -> server("mismatch", env).close());
        assertTrue(e.getMessage().contains("does not go with"), e.getMessage());
    }
}
