package io.jollama.server.tls;

import io.jollama.server.ServerConfig;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;

/**
 * HTTPS: {@code JOLLAMA_TLS_CERT} (PEM certificate chain, the server's first) and {@code JOLLAMA_TLS_KEY} (its PEM
 * private key). Both or neither; read once at start. TLS 1.2 and 1.3 only; HTTP/1.1.
 */
public record TlsSettings(Path certificate, Path privateKey, KeyStore keyStore) {

    private static final String ALIAS = "jollama";
    /** The in-memory key store's password: it never leaves the process, so it protects nothing and can be fixed. */
    private static final char[] PASSWORD = "jollama".toCharArray();

    /** The settings, or null when neither variable is set. */
    public static TlsSettings fromEnv(Map<String, String> env) {
        String cert = ServerConfig.var(env, "JOLLAMA_TLS_CERT");
        String key = ServerConfig.var(env, "JOLLAMA_TLS_KEY");
        if (cert.isEmpty() && key.isEmpty()) return null;
        if (cert.isEmpty() || key.isEmpty()) {
            throw new IllegalArgumentException("HTTPS needs both JOLLAMA_TLS_CERT (the PEM certificate chain) and "
                    + "JOLLAMA_TLS_KEY (its PEM private key); only " + (cert.isEmpty() ? "JOLLAMA_TLS_KEY" : "JOLLAMA_TLS_CERT") + " is set");
        }
        try {
            return new TlsSettings(Path.of(cert), Path.of(key), PemFiles.keyStore(Path.of(cert), Path.of(key), ALIAS, PASSWORD));
        } catch (IOException e) {
            throw new UncheckedIOException("HTTPS: " + e.getMessage(), e);
        }
    }

    /** A Jetty connector speaking TLS on {@code host:port} (Javalin's HTTP configuration, with the TLS customizer). */
    public Connector connector(Server server, HttpConfiguration http, String host, int port) {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(keyStore);
        ssl.setKeyStorePassword(new String(PASSWORD));
        ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        // clients name the server by the address they dial (127.0.0.1, a LAN address); verifying the certificate's
        // names is the client's part, as with any HTTPS server
        secure.setSniHostCheck(false);
        https.addCustomizer(secure);
        ServerConnector c = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
        c.setHost(host);
        c.setPort(port);
        return c;
    }
}
