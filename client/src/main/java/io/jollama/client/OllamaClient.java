package io.jollama.client;

import io.jollama.client.Api.*;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A typed client of the Ollama HTTP API (spec §1). Thread-safe. Every method throws {@link OllamaException} with
 * the server's status and message when the server refuses, and {@link ServerUnreachableException} when nothing
 * answers. Streaming endpoints come in two forms: a {@code ResponseStream} to iterate (and close to cancel), and a
 * method taking a callback per object that returns the last one.
 */
public final class OllamaClient {

    public static final int DEFAULT_PORT = 11434;

    private final URI base;
    private final HttpClient http;
    private final JsonMapper json;
    private final String apiKey;

    public OllamaClient(URI base) {
        this(base, null, null);
    }

    /**
     * @param apiKey sent as {@code Authorization: Bearer <apiKey>} on every request (null: none)
     * @param tls    the TLS context for {@code https://} servers (null: the JDK's default trust store); see
     *               {@link #trusting(Path)} for a server with a self-signed certificate
     */
    public OllamaClient(URI base, String apiKey, SSLContext tls) {
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10));
        if (tls != null) builder.sslContext(tls);
        this.http = builder.build();
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        this.json = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .build();
    }

    /**
     * A client of the server named by {@code OLLAMA_HOST} (default {@code 127.0.0.1:11434}; {@code https://...} for a
     * server with TLS), with the API key {@code JOLLAMA_API_KEY} and, for a certificate the JDK does not trust
     * (self-signed), the PEM CA certificate file {@code JOLLAMA_CA_CERT}.
     */
    public static OllamaClient fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    public static OllamaClient fromEnvironment(Map<String, String> env) {
        String ca = env.getOrDefault("JOLLAMA_CA_CERT", "").strip();
        return new OllamaClient(hostUri(env.get("OLLAMA_HOST")), env.get("JOLLAMA_API_KEY"),
                ca.isEmpty() ? null : trusting(Path.of(ca)));
    }

    /** A TLS context that trusts the certificates of a PEM file (a private CA, or a self-signed server certificate). */
    public static SSLContext trusting(Path caFile) {
        try (InputStream in = java.nio.file.Files.newInputStream(caFile)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca" + i++, c);
            }
            if (i == 0) throw new IllegalArgumentException("JOLLAMA_CA_CERT: " + caFile + " holds no PEM certificate");
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new IllegalArgumentException("JOLLAMA_CA_CERT: cannot read " + caFile + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("JOLLAMA_CA_CERT: " + caFile + " is not a PEM certificate file: " + e.getMessage(), e);
        }
    }

    public URI base() {
        return base;
    }

    /**
     * {@code OLLAMA_HOST} as Ollama reads it (spec §10), made connectable: unspecified bind addresses become
     * loopback ({@code 0.0.0.0} → {@code 127.0.0.1}, {@code ::} → {@code ::1}).
     */
    public static URI hostUri(String value) {
        String s = value == null ? "" : value.strip();
        while (!s.isEmpty() && (s.charAt(0) == '"' || s.charAt(0) == '\'')) s = s.substring(1);
        while (!s.isEmpty() && (s.endsWith("\"") || s.endsWith("'"))) s = s.substring(0, s.length() - 1);
        s = s.strip();
        String scheme = "http";
        String port = String.valueOf(DEFAULT_PORT);
        int sep = s.indexOf("://");
        if (sep >= 0) {
            scheme = s.substring(0, sep);
            s = s.substring(sep + 3);
            port = scheme.equals("https") ? "443" : "80";
        }
        String path = "";
        int slash = s.indexOf('/');
        if (slash >= 0) {
            path = s.substring(slash);
            s = s.substring(0, slash);
        }
        String host = s;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            host = end > 0 ? s.substring(1, end) : s.substring(1);
            String rest = end > 0 ? s.substring(end + 1) : "";
            if (rest.startsWith(":")) port = rest.substring(1);
        } else if (s.chars().filter(c -> c == ':').count() == 1) {
            int c = s.indexOf(':');
            host = s.substring(0, c);
            port = s.substring(c + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
            if (p < 0 || p > 65535) p = DEFAULT_PORT;
        } catch (NumberFormatException e) {
            p = DEFAULT_PORT;
        }
        if (host.isEmpty() || host.equals("0.0.0.0")) host = "127.0.0.1";
        if (host.equals("::")) host = "::1";
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create(scheme + "://" + host + ":" + p + path);
    }

    // ---- simple endpoints -------------------------------------------------------------------------------------

    /** {@code HEAD /}: throws {@link ServerUnreachableException} if no server answers. */
    public void heartbeat() {
        send(request("/").method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    }

    public String version() {
        return get("/api/version", VersionResponse.class).version();
    }

    public ListResponse list() {
        return get("/api/tags", ListResponse.class);
    }

    public ProcessResponse ps() {
        return get("/api/ps", ProcessResponse.class);
    }

    public ShowResponse show(ShowRequest request) {
        return post("/api/show", request, ShowResponse.class);
    }

    public EmbedResponse embed(EmbedRequest request) {
        return post("/api/embed", request, EmbedResponse.class);
    }

    public void copy(String source, String destination) {
        send(jsonRequest("/api/copy", "POST", new CopyRequest(source, destination)));
    }

    public void delete(String model) {
        send(jsonRequest("/api/delete", "DELETE", new DeleteRequest(model)));
    }

    // ---- download queue (Jollama's extension endpoints) ---------------------------------------------------------

    /** {@code GET /api/queue}. */
    public Api.QueueResponse queue() {
        return get("/api/queue", Api.QueueResponse.class);
    }

    /** {@code DELETE /api/queue}: removes a pending entry (404 when it is not pending). */
    public void queueRemove(String name) {
        send(jsonRequest("/api/queue", "DELETE", new Api.QueueRemoveRequest(name)));
    }

    /** {@code POST /api/queue/run}: process the queue now, whatever the window says. */
    public Api.QueuedResponse queueRun() {
        return json.readValue(send(request("/api/queue/run").POST(HttpRequest.BodyPublishers.noBody()).build()),
                Api.QueuedResponse.class);
    }

    /** {@code POST /api/hf/queue}: queues a Hugging Face GGUF import. */
    public Api.QueuedResponse hfQueue(Api.HfQueueRequest request) {
        return post("/api/hf/queue", request, Api.QueuedResponse.class);
    }

    /** {@code POST /api/pull} with {@code "queue": true}: queues the pull instead of downloading now. */
    public Api.QueuedResponse pullQueued(String model, boolean insecure) {
        return post("/api/pull", new Api.QueuedPullRequest(model, insecure ? true : null, false, true), Api.QueuedResponse.class);
    }

    // ---- blobs ------------------------------------------------------------------------------------------------

    /** The {@code sha256:<hex>} digest of a file, as the blob endpoints name it. */
    public static String digest(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = java.nio.file.Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    public boolean blobExists(String digest) {
        HttpResponse<InputStream> r = exchange(request("/api/blobs/" + digest)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        closeQuietly(r.body());
        if (r.statusCode() == 200) return true;
        if (r.statusCode() == 404) return false;
        throw new OllamaException(r.statusCode(), "blob check failed with status " + r.statusCode());
    }

    /** Uploads a file as the blob {@code digest} (which the server checks). */
    public void createBlob(String digest, Path file) throws IOException {
        send(request("/api/blobs/" + digest).POST(HttpRequest.BodyPublishers.ofFile(file)).build());
    }

    // ---- streaming endpoints ----------------------------------------------------------------------------------

    public ResponseStream<GenerateResponse> generateStream(GenerateRequest request) {
        return stream("/api/generate", request, GenerateResponse.class);
    }

    /** Streams a generation to {@code onChunk}; returns the final chunk (with the metrics). */
    public GenerateResponse generate(GenerateRequest request, Consumer<GenerateResponse> onChunk) {
        return drain(generateStream(request), onChunk);
    }

    public ResponseStream<ChatResponse> chatStream(ChatRequest request) {
        return stream("/api/chat", request, ChatResponse.class);
    }

    public ChatResponse chat(ChatRequest request, Consumer<ChatResponse> onChunk) {
        return drain(chatStream(request), onChunk);
    }

    public ProgressResponse create(CreateRequest request, Consumer<ProgressResponse> onProgress) {
        return drain(stream("/api/create", request, ProgressResponse.class), onProgress);
    }

    public ProgressResponse pull(PullRequest request, Consumer<ProgressResponse> onProgress) {
        return drain(stream("/api/pull", request, ProgressResponse.class), onProgress);
    }

    public ProgressResponse push(PushRequest request, Consumer<ProgressResponse> onProgress) {
        return drain(stream("/api/push", request, ProgressResponse.class), onProgress);
    }

    private static <T> T drain(ResponseStream<T> stream, Consumer<T> each) {
        try (stream) {
            T last = null;
            for (T t : stream) {
                each.accept(t);
                last = t;
            }
            return last;
        }
    }

    // ---- library catalog (Jollama's extension) ----------------------------------------------------------------

    /**
     * A document of the catalog as the server publishes it, byte for byte: {@code models.json}, {@code tags.json},
     * {@code models_status.json}, {@code tags_status.json}, {@code models/<m>.json}, {@code tags/<m>.json}.
     */
    public byte[] galleryDocument(String name) {
        return send(request("/api/gallery/" + name).GET().build());
    }

    /** {@code GET /api/gallery/search} with these query parameters (repeat a key for several values). */
    public Gallery.SearchResult gallerySearch(List<Map.Entry<String, String>> query) {
        StringBuilder q = new StringBuilder();
        for (Map.Entry<String, String> e : query) {
            q.append(q.isEmpty() ? '?' : '&').append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
                    .append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        return get("/api/gallery/search" + q, Gallery.SearchResult.class);
    }

    /** Refreshes the catalog from the library now; returns the last line (the counts). */
    public Gallery.RefreshProgress galleryRefresh(Consumer<Gallery.RefreshProgress> onProgress) {
        return drain(stream("/api/gallery/refresh", Map.of("stream", true), Gallery.RefreshProgress.class), onProgress);
    }

    // ---- plumbing ---------------------------------------------------------------------------------------------

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header("User-Agent", "jollama-client/0.1 (java)")
                .header("Accept", "application/json, application/x-ndjson");
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        return b;
    }

    private HttpRequest jsonRequest(String path, String method, Object body) {
        byte[] bytes = json.writeValueAsBytes(body);
        return request(path).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
    }

    private <T> T get(String path, Class<T> type) {
        return json.readValue(send(request(path).GET().build()), type);
    }

    private <T> T post(String path, Object body, Class<T> type) {
        return json.readValue(send(jsonRequest(path, "POST", body)), type);
    }

    private <T> ResponseStream<T> stream(String path, Object body, Class<T> type) {
        HttpResponse<InputStream> r = exchange(jsonRequest(path, "POST", body));
        if (r.statusCode() >= 400) throw error(r.statusCode(), readAll(r.body()));
        return new ResponseStream<>(r.body(), json, type, r.statusCode());
    }

    /** Sends a request and returns its body; a status of 400 or more becomes an {@link OllamaException}. */
    private byte[] send(HttpRequest request) {
        HttpResponse<InputStream> r = exchange(request);
        byte[] body = readAll(r.body());
        if (r.statusCode() >= 400) throw error(r.statusCode(), body);
        return body;
    }

    private HttpResponse<InputStream> exchange(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new ServerUnreachableException(base.toString(), e);
        } catch (SSLHandshakeException e) {
            throw new UncheckedIOException("TLS with " + base + " failed: " + e.getMessage()
                    + " (a self-signed certificate needs JOLLAMA_CA_CERT=<its PEM file>)", e);
        } catch (IOException e) {
            if (e.getCause() instanceof UnresolvedAddressException || e.getCause() instanceof ConnectException)
                throw new ServerUnreachableException(base.toString(), e);
            throw new UncheckedIOException(request.method() + " " + request.uri().getPath() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OllamaException(0, "interrupted");
        }
    }

    private OllamaException error(int status, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        try {
            JsonNode node = json.readTree(text);
            if (node != null && node.get("error") != null) text = withMessage(node);
        } catch (RuntimeException notJson) {
            // plain-text bodies (404 page not found) are reported as they are
        }
        if (text.isEmpty()) text = "server answered with status " + status;
        return new OllamaException(status, text);
    }

    /** The {@code error} text, followed by the {@code message} detail that Jollama's extension endpoints add. */
    static String withMessage(JsonNode node) {
        String error = node.get("error").asString();
        JsonNode message = node.get("message");
        return message != null && message.isString() && !message.asString().isEmpty() ? error + ": " + message.asString() : error;
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the server's answer: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
