package io.jollama.server;

import io.jollama.server.store.Digest;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** A real server on 127.0.0.1, a free port and a temporary store, with a JDK HttpClient to talk to it. */
public final class TestServer implements AutoCloseable {

    public final Path models;
    public final JollamaServer server;
    public final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public TestServer(Path models) {
        this(ServerConfig.local(0, models));
    }

    public TestServer(ServerConfig config) {
        this.models = config.models();
        this.server = JollamaServer.start(offline(config));
    }

    /** Test servers never refresh the library catalog from ollama.com on their own (tests that do set the variable). */
    private static ServerConfig offline(ServerConfig config) {
        return config.env().containsKey("JOLLAMA_CATALOG_REFRESH") ? config : config.withEnv(java.util.Map.of("JOLLAMA_CATALOG_REFRESH", "0"));
    }

    /** With the clock the download queue reads. */
    public TestServer(ServerConfig config, java.time.Clock clock) {
        this.models = config.models();
        this.server = JollamaServer.start(offline(config), clock);
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    public HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public HttpResponse<String> head(String path) {
        return send(HttpRequest.newBuilder(uri(path)).method("HEAD", HttpRequest.BodyPublishers.noBody()));
    }

    public HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public HttpResponse<String> delete(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).method("DELETE", HttpRequest.BodyPublishers.ofString(body)));
    }

    /** Uploads a file as a blob; returns its {@code sha256:<hex>} digest. */
    public String upload(Path file) throws IOException {
        String d = "sha256:" + sha256Hex(file);
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/api/blobs/" + d)).POST(HttpRequest.BodyPublishers.ofFile(file)));
        if (r.statusCode() != 201 && r.statusCode() != 200) throw new IllegalStateException("upload: " + r.statusCode() + " " + r.body());
        return d;
    }

    public String upload(byte[] bytes) {
        String d = Digest.of(bytes);
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/api/blobs/" + d)).POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));
        if (r.statusCode() != 201 && r.statusCode() != 200) throw new IllegalStateException("upload: " + r.statusCode() + " " + r.body());
        return d;
    }

    public static String sha256Hex(Path file) throws IOException {
        var md = Digest.sha256();
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static JsonNode json(HttpResponse<String> r) {
        return Json.MAPPER.readTree(r.body());
    }

    /** The shared test data directory (see {@link io.jollama.engine.TestData}). */
    public static Path testdata() {
        return io.jollama.engine.TestData.dir();
    }

    /** The smallest real model of the test data (TinyStories 260K, F32). */
    public static Path storiesF32() {
        return testdata().resolve("models/stories260K-f32.gguf");
    }

    /**
     * The 68-byte GGUF of Ollama's server tests: version 3, no tensors, one key {@code general.architecture = test}.
     * Its SHA-256 starts {@code 89a2116c}.
     */
    public static byte[] tinyGguf(String arch) {
        byte[] key = "general.architecture".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] val = arch.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var b = java.nio.ByteBuffer.allocate(4 + 4 + 8 + 8 + 8 + key.length + 4 + 8 + val.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(1);
        b.putLong(key.length).put(key).putInt(8).putLong(val.length).put(val);
        return b.array();
    }

    /**
     * Closes this client's connections first: on shutdown Jetty gives a connection that is still open a second
     * (its shutdown idle timeout) before closing it, which made each test server take a second to stop.
     */
    @Override
    public void close() {
        http.shutdownNow();
        server.close();
    }
}
