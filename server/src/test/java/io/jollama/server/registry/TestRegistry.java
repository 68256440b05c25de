package io.jollama.server.registry;

import io.jollama.server.store.Layer;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small in-process registry speaking the parts of the Docker/Ollama registry protocol that pull and push use:
 * manifests, blobs behind a redirect to a second host name ({@code localhost} instead of {@code 127.0.0.1}, the
 * way ollama.com redirects to its CDN), ranged GETs, the bearer challenge with a token endpoint, and upload
 * sessions (POST, chunked PATCH with {@code Content-Range}, optional 307 to a storage URL, final PUT).
 *
 * <p>Switches let tests make it misbehave: drop connections after a byte budget, serve a corrupt byte, serve
 * slowly; counters say what it served. Public for the web page's browser tests, which pull from it.
 */
public final class TestRegistry implements AutoCloseable {

    private static final Pattern V2 = Pattern.compile("/v2/([^/]+)/([^/]+)/(manifests|blobs)/(.*)");

    private final HttpServer server;
    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    private final Map<String, ByteArrayOutputStream> uploads = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> tokens = new ConcurrentHashMap<>(); // token → granted "ns/model:action"

    // switches
    volatile boolean requireAuth;
    volatile Set<String> pushableNamespaces = Set.of();
    volatile boolean redirectBlobs = true;
    volatile boolean redirectUploads;
    volatile boolean redirectManifests; // answer manifest GETs with a redirect to the other host spelling
    volatile long failAfterBytes = -1; // data bytes served before every blob transfer starts dropping
    volatile boolean corrupt;
    volatile boolean ignoreRange; // a server without range support: always the whole blob with 200
    volatile int manifestPadding; // spaces appended to every manifest served (a hostile, huge manifest)
    public volatile int slowMillisPer8k;
    final AtomicInteger urlGeneration = new AtomicInteger(); // signed CDN URLs name their generation
    volatile long expireUrlsAtBytes = -1; // once this much was served, the CDN URLs handed out so far expire
    final AtomicInteger stallsLeft = new AtomicInteger(); // transfers that go silent half way (until the client leaves)

    // counters
    final AtomicLong bytesServed = new AtomicLong();
    final AtomicInteger tokenRequests = new AtomicInteger();
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    final List<String> rangeHeaders = Collections.synchronizedList(new ArrayList<>());
    final List<String> contentRanges = Collections.synchronizedList(new ArrayList<>());
    final List<String> etags = Collections.synchronizedList(new ArrayList<>());
    volatile String lastAccept;
    volatile String lastTokenAuthorization;
    volatile boolean tokenSignatureValid;
    volatile String lastUserAgent;

    public TestRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The host part of model names served here: {@code 127.0.0.1:<port>}. */
    public String host() {
        return "127.0.0.1:" + port();
    }

    void putBlob(byte[] data) {
        blobs.put(digest(data), data);
    }

    void putManifest(String repository, String tag, byte[] manifest) {
        manifests.put(repository + ":" + tag, manifest);
    }

    /** Publishes a model (its blobs and manifest) under {@code repository:tag}; returns the manifest bytes. */
    public byte[] publish(String repository, String tag, byte[] config, byte[]... layers) {
        putBlob(config);
        for (byte[] l : layers) putBlob(l);
        byte[] manifest = DirectoryStorage.manifestJson(config, layers);
        putManifest(repository, tag, manifest);
        return manifest;
    }

    void resetCounters() {
        bytesServed.set(0);
        tokenRequests.set(0);
        requests.clear();
        rangeHeaders.clear();
        contentRanges.clear();
        etags.clear();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            requests.add(ex.getRequestMethod() + " " + ex.getRequestURI());
            lastUserAgent = ex.getRequestHeaders().getFirst("User-Agent");
            if (path.equals("/token")) {
                token(ex);
            } else if (path.startsWith("/data/")) {
                String gen = first(query(ex), "gen");
                if (gen != null && !gen.equals(Integer.toString(urlGeneration.get()))) {
                    send(ex, 403, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
                    return;
                }
                serveBytes(ex, blobs.get(path.substring("/data/".length())));
            } else if (path.startsWith("/upload-data/")) {
                uploadData(ex, path.substring("/upload-data/".length()));
            } else {
                Matcher m = V2.matcher(path);
                if (!m.matches()) {
                    send(ex, 404, "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}");
                    return;
                }
                String repo = m.group(1) + "/" + m.group(2);
                boolean write = !ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD");
                if (requireAuth && !authorized(ex, repo, write)) {
                    ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"http://" + host()
                            + "/token\",service=\"test-registry\",scope=\"repository:" + repo + ":"
                            + (write ? "pull,push" : "pull") + "\"");
                    send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
                    return;
                }
                if (m.group(3).equals("manifests")) manifest(ex, repo, m.group(4));
                else if (m.group(4).startsWith("uploads/")) upload(ex, repo, m.group(4).substring("uploads/".length()));
                else blob(ex, m.group(4));
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            throw e;
        }
    }

    private boolean authorized(HttpExchange ex, String repo, boolean write) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ")) return false;
        Set<String> granted = tokens.get(auth.substring(7));
        return granted != null && granted.contains(repo + ":" + (write ? "push" : "pull"));
    }

    private void token(HttpExchange ex) throws IOException {
        tokenRequests.incrementAndGet();
        lastTokenAuthorization = ex.getRequestHeaders().getFirst("Authorization");
        if (lastTokenAuthorization != null) {
            String url = "http://" + host() + ex.getRequestURI();
            String data = "GET," + url + ",ZTNiMGM0NDI5OGZjMWMxNDlhZmJmNGM4OTk2ZmI5MjQyN2FlNDFlNDY0OWI5MzRjYTQ5NTk5MWI3ODUyYjg1NQ==";
            try {
                tokenSignatureValid = OllamaKeyTest.verifies(lastTokenAuthorization, data.getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                tokenSignatureValid = false;
            }
        }
        Map<String, List<String>> q = query(ex);
        Set<String> granted = ConcurrentHashMap.newKeySet();
        for (String scope : q.getOrDefault("scope", List.of())) {
            String[] p = scope.split(":"); // repository:<ns>/<model>:<actions>
            if (p.length != 3) continue;
            for (String action : p[2].split(",")) {
                if (action.equals("push") && !pushableNamespaces.contains(p[1].split("/")[0])) continue;
                granted.add(p[1] + ":" + action);
            }
        }
        if (q.get("ts") == null || q.get("nonce") == null) {
            send(ex, 400, "{\"error\":\"missing ts or nonce\"}");
            return;
        }
        String token = UUID.randomUUID().toString();
        tokens.put(token, granted);
        send(ex, 200, "{\"token\":\"" + token + "\"}");
    }

    private void manifest(HttpExchange ex, String repo, String tag) throws IOException {
        String key = repo + ":" + tag;
        switch (ex.getRequestMethod()) {
            case "GET", "HEAD" -> {
                lastAccept = ex.getRequestHeaders().getFirst("Accept");
                if (redirectManifests && ex.getRequestHeaders().getFirst("Host").startsWith("127.0.0.1")) {
                    ex.getResponseHeaders().set("Location", "http://localhost:" + port() + ex.getRequestURI());
                    send(ex, 307, "");
                    return;
                }
                byte[] body = manifests.get(key);
                if (body == null) {
                    send(ex, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}");
                    return;
                }
                if (manifestPadding > 0) {
                    byte[] padded = java.util.Arrays.copyOf(body, body.length + manifestPadding);
                    java.util.Arrays.fill(padded, body.length, padded.length, (byte) ' ');
                    body = padded;
                }
                ex.getResponseHeaders().set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json");
                ex.getResponseHeaders().set("Docker-Content-Digest", digest(body));
                sendBytes(ex, 200, body);
            }
            case "PUT" -> {
                byte[] body = ex.getRequestBody().readAllBytes();
                var tree = ManifestReader.read(body);
                for (Layer l : tree.blobs()) {
                    if (!blobs.containsKey(l.digest())) {
                        send(ex, 400, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"detail\":\"" + l.digest() + "\"}]}");
                        return;
                    }
                }
                manifests.put(key, body);
                ex.getResponseHeaders().set("Docker-Content-Digest", digest(body));
                send(ex, 201, "");
            }
            default -> send(ex, 405, "");
        }
    }

    private void blob(HttpExchange ex, String digest) throws IOException {
        byte[] data = blobs.get(digest);
        if (data == null) {
            send(ex, 404, ex.getRequestMethod().equals("HEAD") ? "" : "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}");
            return;
        }
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(data.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        if (redirectBlobs) {
            // same path on the other spelling of the loopback host: a cross-host redirect, like a CDN
            ex.getResponseHeaders().set("Location", "http://localhost:" + port() + "/data/" + digest
                    + "?gen=" + urlGeneration.get());
            send(ex, 307, "");
            return;
        }
        serveBytes(ex, data);
    }

    /** Serves a blob (or a {@code Range} of it), honouring the failure/corruption/slowness switches. */
    private void serveBytes(HttpExchange ex, byte[] data) throws IOException {
        if (data == null) {
            send(ex, 404, "not found");
            return;
        }
        long start = 0, end = data.length - 1;
        int code = 200;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && !ignoreRange) {
            rangeHeaders.add(range);
            Matcher m = Pattern.compile("bytes=(\\d+)-(\\d*)").matcher(range);
            if (!m.matches()) {
                send(ex, 416, "bad range");
                return;
            }
            start = Long.parseLong(m.group(1));
            if (!m.group(2).isEmpty()) end = Math.min(end, Long.parseLong(m.group(2)));
            if (start > end) {
                send(ex, 416, "bad range");
                return;
            }
            code = 206;
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + end + "/" + data.length);
        }
        long length = end - start + 1;
        ex.sendResponseHeaders(code, length);
        OutputStream out = ex.getResponseBody();
        for (long pos = start; pos <= end; ) {
            int n = (int) Math.min(8192, end - pos + 1);
            long budget = failAfterBytes;
            if (budget >= 0) {
                long left = budget - bytesServed.get();
                if (left <= 0) throw new IOException("test registry: dropping the connection");
                n = (int) Math.min(n, left);
            }
            if (pos > start && stallsLeft.getAndUpdate(v -> Math.max(0, v - 1)) > 0) {
                sleep(60_000); // silent, connection open: only the client's stall watchdog gets it going again
                throw new IOException("test registry: stalled transfer ends");
            }
            byte[] chunk = java.util.Arrays.copyOfRange(data, (int) pos, (int) pos + n);
            if (corrupt && pos == 0) chunk[0] ^= 0x5a;
            out.write(chunk);
            out.flush();
            long served = bytesServed.addAndGet(n);
            pos += n;
            long expireAt = expireUrlsAtBytes;
            if (expireAt >= 0 && served >= expireAt) {
                expireUrlsAtBytes = -1;
                urlGeneration.incrementAndGet();
                throw new IOException("test registry: dropping the connection as the URL expires");
            }
            if (slowMillisPer8k > 0) sleep(slowMillisPer8k);
        }
    }

    private void upload(HttpExchange ex, String repo, String rest) throws IOException {
        Map<String, List<String>> q = query(ex);
        switch (ex.getRequestMethod()) {
            case "POST" -> {
                String mount = first(q, "mount");
                if (mount != null && first(q, "from") != null && blobs.containsKey(mount)) {
                    ex.getResponseHeaders().set("Location", "/v2/" + repo + "/blobs/" + mount);
                    send(ex, 201, "");
                    return;
                }
                String id = UUID.randomUUID().toString();
                uploads.put(id, new ByteArrayOutputStream());
                ex.getResponseHeaders().set("Location", "/v2/" + repo + "/blobs/uploads/" + id + "?_state=0");
                ex.getResponseHeaders().set("Docker-Upload-UUID", id);
                send(ex, 202, "");
            }
            case "PATCH" -> {
                ByteArrayOutputStream buf = uploads.get(rest);
                if (buf == null) {
                    send(ex, 404, "{\"errors\":[{\"code\":\"BLOB_UPLOAD_UNKNOWN\"}]}");
                    return;
                }
                String cr = ex.getRequestHeaders().getFirst("Content-Range");
                contentRanges.add(cr);
                long start = cr == null ? buf.size() : Long.parseLong(cr.split("-")[0]);
                String state = first(q, "_state");
                if (start != buf.size() || !Long.toString(start).equals(state)) {
                    send(ex, 416, "{\"errors\":[{\"code\":\"BLOB_UPLOAD_INVALID\",\"detail\":\"out of order\"}]}");
                    return;
                }
                String next = "/v2/" + repo + "/blobs/uploads/" + rest + "?_state=";
                if (redirectUploads && "1".equals(ex.getRequestHeaders().getFirst("X-Redirect-Uploads"))) {
                    ex.getRequestBody().readAllBytes();
                    long len = Long.parseLong(cr.split("-")[1]) - start + 1;
                    ex.getResponseHeaders().set("Location", "http://localhost:" + port() + "/upload-data/" + rest);
                    ex.getResponseHeaders().set("Docker-Upload-Location", next + (start + len));
                    send(ex, 307, "");
                    return;
                }
                byte[] body = ex.getRequestBody().readAllBytes();
                synchronized (buf) {
                    buf.writeBytes(body);
                }
                ex.getResponseHeaders().set("Location", next + buf.size());
                ex.getResponseHeaders().set("Range", "0-" + (buf.size() - 1));
                send(ex, 202, "");
            }
            case "PUT" -> {
                ByteArrayOutputStream buf = uploads.remove(rest);
                String digest = first(q, "digest");
                if (buf == null || digest == null) {
                    send(ex, 404, "{\"errors\":[{\"code\":\"BLOB_UPLOAD_UNKNOWN\"}]}");
                    return;
                }
                buf.writeBytes(ex.getRequestBody().readAllBytes());
                etags.add(first(q, "etag"));
                byte[] data = buf.toByteArray();
                if (!digest(data).equals(digest)) {
                    send(ex, 400, "{\"errors\":[{\"code\":\"DIGEST_INVALID\"}]}");
                    return;
                }
                blobs.put(digest, data);
                ex.getResponseHeaders().set("Location", "/v2/" + repo + "/blobs/" + digest);
                send(ex, 201, "");
            }
            default -> send(ex, 405, "");
        }
    }

    /** The "storage" end of a redirected upload part: the bytes are appended to the session. */
    private void uploadData(HttpExchange ex, String id) throws IOException {
        ByteArrayOutputStream buf = uploads.get(id);
        if (buf == null || !ex.getRequestMethod().equals("PUT")) {
            send(ex, 404, "");
            return;
        }
        if (ex.getRequestHeaders().getFirst("Authorization") != null) {
            send(ex, 400, "storage URLs must not get the registry token");
            return;
        }
        byte[] body = ex.getRequestBody().readAllBytes();
        synchronized (buf) {
            buf.writeBytes(body);
        }
        send(ex, 200, "");
    }

    private static String first(Map<String, List<String>> q, String key) {
        List<String> v = q.get(key);
        return v == null || v.isEmpty() ? null : v.getFirst();
    }

    private static Map<String, List<String>> query(HttpExchange ex) {
        Map<String, List<String>> q = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null) return q;
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            q.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return q;
    }

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        if (!body.isEmpty()) ex.getResponseHeaders().set("Content-Type", "application/json");
        sendBytes(ex, code, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void sendBytes(HttpExchange ex, int code, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(body.length));
            ex.sendResponseHeaders(code, -1);
            return;
        }
        ex.sendResponseHeaders(code, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String digest(byte[] data) {
        try {
            return Digests.of(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
