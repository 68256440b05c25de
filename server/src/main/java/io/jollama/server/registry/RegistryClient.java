package io.jollama.server.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/**
 * The HTTP side of Ollama's registry protocol for one repository and one operation (pull or push): it keeps the
 * bearer token it obtained so later requests of the same operation reuse it.
 *
 * <p>Every request goes through {@link #send}: a 401 answer with a {@code WWW-Authenticate: Bearer} challenge
 * makes it fetch a token from the challenge's realm (signed with the Ollama key when there is one) and retry
 * once; a 404 becomes "file does not exist"; any other status ≥ 400 becomes {@code <code>: <body>}.
 */
public final class RegistryClient {

    public static final String MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final HttpClient http;
    private final RegistryName name;
    private final boolean insecure;
    private final RequestSigner signer;
    private final String userAgent;
    private volatile String token;

    public RegistryClient(HttpClient http, RegistryName name, boolean insecure, RequestSigner signer, String userAgent) {
        this.http = http;
        this.name = name;
        this.insecure = insecure;
        this.signer = signer;
        this.userAgent = userAgent;
    }

    public RegistryName name() {
        return name;
    }

    /** A blob location the bytes can be fetched from with ranged GETs; {@code authorized} = send our token. */
    public record BlobSource(URI uri, boolean authorized) {}

    /** An upload session: either the registry mounted the blob already or bytes go to {@code uploadUri}. */
    public record UploadSession(boolean mounted, URI uploadUri) {}

    // ---- pull ------------------------------------------------------------------------------------------------

    /** The manifest bytes exactly as the registry sent them (redirects followed, as Go's client does). */
    public byte[] manifest() {
        URI uri = name.apiUri(insecure, "manifests", name.tag());
        String host = uri.getHost();
        for (int hop = 0; hop <= 10; hop++) {
            HttpRequest req = request(uri).header("Accept", MANIFEST_V2).GET().build();
            // our token only goes to the registry's own host
            HttpResponse<byte[]> resp = host.equalsIgnoreCase(uri.getHost())
                    ? send(req, BodyHandlers.ofByteArray(), true) : sendOnce(req, BodyHandlers.ofByteArray());
            int code = resp.statusCode();
            Optional<String> location = resp.headers().firstValue("Location");
            if (code >= 300 && code < 400 && location.isPresent()) {
                uri = uri.resolve(location.get());
                continue;
            }
            if (code == 404) throw new RegistryException(404, "file does not exist");
            if (code >= 300) {
                throw new RegistryException(500, code + ": " + new String(resp.body(), StandardCharsets.UTF_8).strip());
            }
            return resp.body();
        }
        throw new RegistryException(500, "stopped after 10 redirects");
    }

    /** The blob's size from a HEAD request's {@code Content-Length}, or -1 when the registry does not say. */
    public long blobSize(String digest) {
        URI uri = name.apiUri(insecure, "blobs", digest);
        HttpRequest req = request(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<Void> resp = send(req, BodyHandlers.discarding(), true);
        return resp.headers().firstValueAsLong("Content-Length").orElse(-1);
    }

    /**
     * Where to fetch a blob's bytes. Like Ollama it follows redirects on the registry's own host name (at most 10)
     * and takes the first redirect to another host (a CDN, signed URL) as the direct URL, fetched without our
     * token. A registry that answers 200 itself (a plain Docker registry, small Hugging Face files) is read from
     * the blob URL with the token; a 200 carrying a {@code Location} points at the direct URL like Ollama expects.
     */
    public BlobSource blobSource(String digest) {
        URI uri = name.apiUri(insecure, "blobs", digest);
        String host = uri.getHost();
        for (int hop = 0; hop <= 10; hop++) {
            HttpRequest req = request(uri).GET().build();
            HttpResponse<InputStream> resp = send(req, BodyHandlers.ofInputStream(), true);
            closeQuietly(resp.body());
            Optional<String> location = resp.headers().firstValue("Location");
            int code = resp.statusCode();
            if (code >= 300 && code < 400) {
                if (location.isEmpty()) throw new RegistryException(500, "blob redirect " + code + " without Location");
                URI next = uri.resolve(location.get());
                if (next.getHost() != null && next.getHost().equalsIgnoreCase(host)) {
                    uri = next;
                    continue;
                }
                return new BlobSource(next, false);
            }
            if (location.isPresent()) return new BlobSource(uri.resolve(location.get()), false);
            return new BlobSource(uri, true);
        }
        throw new RegistryException(500, "stopped after 10 redirects");
    }

    /** GET {@code Range: bytes=start-end} (end inclusive). The caller reads and closes the body. */
    public HttpResponse<InputStream> openRange(BlobSource source, long start, long endInclusive) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(source.uri())
                .timeout(Duration.ofSeconds(60)) // until the headers arrive; a silent body is the stall watchdog's
                .header("User-Agent", userAgent)
                .header("Range", "bytes=" + start + "-" + endInclusive)
                .GET();
        HttpRequest req = b.build();
        HttpResponse<InputStream> resp = source.authorized()
                ? send(req, BodyHandlers.ofInputStream(), true)
                : sendOnce(req, BodyHandlers.ofInputStream());
        int code = resp.statusCode();
        if (code == 206 || (code == 200 && start == 0)) return resp;
        String body = readError(resp.body());
        throw new RegistryException(code >= 400 && code < 500 ? code : 500, code + ": " + body);
    }

    // ---- push ------------------------------------------------------------------------------------------------

    public boolean blobExists(String digest) {
        URI uri = name.apiUri(insecure, "blobs", digest);
        HttpRequest req = request(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<Void> resp = send(req, BodyHandlers.discarding(), false);
        return resp.statusCode() == 200;
    }

    /** POST {@code /blobs/uploads/}, asking to mount the blob from {@code fromRepository} when given. */
    public UploadSession startUpload(String digest, String fromRepository) {
        String query = fromRepository == null || fromRepository.isEmpty() ? ""
                : "?mount=" + enc(digest) + "&from=" + enc(fromRepository);
        URI uri = URI.create(name.baseUri(insecure) + "/v2/" + name.repository() + "/blobs/uploads/" + query);
        HttpRequest req = request(uri).POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> resp = send(req, BodyHandlers.ofString(), true);
        if (resp.statusCode() == 201) return new UploadSession(true, null);
        return new UploadSession(false, nextUploadUri(uri, resp).orElseThrow(
                () -> new RegistryException(500, "registry gave no upload location")));
    }

    /**
     * Sends one part with PATCH ({@code Content-Range: <start>-<end>}, no {@code bytes } prefix, as Ollama does).
     * A 307 answer means "PUT the bytes to the Location instead" (storage upload without our token). Returns the
     * upload URL for the next request.
     */
    public URI uploadPart(URI uploadUri, Path file, long start, long length, java.util.function.LongConsumer sent)
            throws IOException {
        long end = start + length - 1;
        HttpRequest req = request(uploadUri)
                .header("Content-Type", "application/octet-stream")
                .header("X-Redirect-Uploads", "1")
                .header("Content-Range", start + "-" + end)
                .method("PATCH", slice(file, start, length, sent))
                .build();
        HttpResponse<String> resp = send(req, BodyHandlers.ofString(), true);
        if (resp.statusCode() == 307) {
            URI target = uploadUri.resolve(resp.headers().firstValue("Location").orElseThrow(
                    () -> new RegistryException(500, "upload redirect without Location")));
            HttpRequest put = HttpRequest.newBuilder(target)
                    .header("User-Agent", userAgent)
                    .header("Content-Type", "application/octet-stream")
                    .PUT(slice(file, start, length, sent))
                    .build();
            HttpResponse<String> putResp = sendOnce(put, BodyHandlers.ofString());
            if (putResp.statusCode() >= 400) {
                throw new RegistryException(500, putResp.statusCode() + ": " + putResp.body());
            }
            return resp.headers().firstValue("Docker-Upload-Location").map(uploadUri::resolve).orElse(uploadUri);
        }
        return nextUploadUri(uploadUri, resp).orElse(uploadUri);
    }

    /** PUT {@code <upload URL>?digest=…&etag=…} with an empty body: the registry checks and commits the blob. */
    public void finishUpload(URI uploadUri, String digest, String etag) {
        String sep = uploadUri.getRawQuery() == null ? "?" : "&";
        URI uri = URI.create(uploadUri + sep + "digest=" + enc(digest) + (etag == null ? "" : "&etag=" + enc(etag)));
        HttpRequest req = request(uri).PUT(HttpRequest.BodyPublishers.noBody()).build();
        send(req, BodyHandlers.ofString(), true);
    }

    public void putManifest(byte[] manifest) {
        URI uri = name.apiUri(insecure, "manifests", name.tag());
        HttpRequest req = request(uri)
                .header("Content-Type", MANIFEST_V2)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest))
                .build();
        send(req, BodyHandlers.ofString(), true);
    }

    /** A re-readable body of {@code length} bytes of {@code file} from {@code start}, streamed from disk. */
    private static HttpRequest.BodyPublisher slice(Path file, long start, long length,
                                                   java.util.function.LongConsumer sent) {
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
                InputStream in = Files.newInputStream(file);
                in.skipNBytes(start);
                return new BoundedInputStream(in, length, sent);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }), length);
    }

    private static final class BoundedInputStream extends java.io.FilterInputStream {
        private final java.util.function.LongConsumer sent;
        private long left;

        BoundedInputStream(InputStream in, long left, java.util.function.LongConsumer sent) {
            super(in);
            this.left = left;
            this.sent = sent;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) return -1;
            int b = in.read();
            if (b >= 0) {
                left--;
                sent.accept(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
                sent.accept(n);
            }
            return n;
        }
    }

    // ---- plumbing --------------------------------------------------------------------------------------------

    private HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).header("User-Agent", userAgent).timeout(Duration.ofMinutes(5));
    }

    private static Optional<URI> nextUploadUri(URI base, HttpResponse<?> resp) {
        return resp.headers().firstValue("Docker-Upload-Location")
                .or(() -> resp.headers().firstValue("Location"))
                .map(base::resolve);
    }

    /**
     * Sends with the current token; on 401 obtains a token from the challenge and retries once. With
     * {@code errors}, 404 and other statuses ≥ 400 become {@link RegistryException}s; without, only auth and
     * server errors do (a HEAD 404 is an answer, not a failure).
     */
    <T> HttpResponse<T> send(HttpRequest req, BodyHandler<T> handler, boolean errors) {
        HttpResponse<T> resp = sendOnce(withToken(req), handler);
        if (resp.statusCode() == 401) {
            String challenge = resp.headers().firstValue("WWW-Authenticate").orElse("");
            discard(resp);
            token = fetchToken(Challenge.parse(challenge), req.uri());
            resp = sendOnce(withToken(req), handler);
            if (resp.statusCode() == 401) {
                discard(resp);
                throw new RegistryException(401, "unauthorized: access denied");
            }
        }
        int code = resp.statusCode();
        if (code == 404 && errors) {
            discard(resp);
            throw new RegistryException(404, "file does not exist");
        }
        if (code >= 400 && (errors || code != 404)) {
            String body = bodyText(resp);
            throw new RegistryException(code == 403 ? 403 : 500, code + ": " + body.strip());
        }
        return resp;
    }

    <T> HttpResponse<T> sendOnce(HttpRequest req, BodyHandler<T> handler) {
        try {
            return http.send(req, handler);
        } catch (IOException e) {
            throw new RegistryException(500, req.method().charAt(0) + req.method().substring(1).toLowerCase()
                    + " \"" + req.uri() + "\": " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(499, "request canceled", e);
        }
    }

    private HttpRequest withToken(HttpRequest req) {
        String t = token;
        if (t == null) return req;
        return HttpRequest.newBuilder(req, (k, v) -> !k.equalsIgnoreCase("Authorization"))
                .header("Authorization", "Bearer " + t)
                .build();
    }

    private String fetchToken(Challenge c, URI requestUri) {
        if (c.realm().isEmpty()) throw new RegistryException(401, "unauthorized: access denied");
        c.requireRealmOn(requestUri);
        StringBuilder q = new StringBuilder();
        q.append("service=").append(enc(c.service()));
        for (String scope : c.scope().split(" ")) {
            if (!scope.isEmpty()) q.append("&scope=").append(enc(scope));
        }
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        q.append("&ts=").append(System.currentTimeMillis() / 1000);
        q.append("&nonce=").append(Base64.getUrlEncoder().encodeToString(nonce));
        URI tokenUri = URI.create(c.realm() + (c.realm().contains("?") ? "&" : "?") + q);
        HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).header("User-Agent", userAgent)
                .timeout(Duration.ofMinutes(1)).GET();
        String auth = signer.authorization("GET", tokenUri);
        if (auth != null) b.header("Authorization", auth);
        HttpResponse<byte[]> resp = sendOnce(b.build(), BodyHandlers.ofByteArray());
        if (resp.statusCode() >= 400) {
            throw new RegistryException(resp.statusCode() == 401 ? 401 : 500,
                    resp.statusCode() + ": " + new String(resp.body(), StandardCharsets.UTF_8).strip());
        }
        try {
            var node = ManifestReader.JSON.readTree(resp.body());
            String t = node.path("token").asString("");
            if (t.isEmpty()) t = node.path("access_token").asString("");
            if (t.isEmpty()) throw new RegistryException(500, "token endpoint returned no token");
            return t;
        } catch (tools.jackson.core.JacksonException e) {
            throw new RegistryException(500, "invalid token response: " + e.getOriginalMessage());
        }
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.net.ConnectException) return "connection refused";
        if (e instanceof java.net.http.HttpTimeoutException) return "timeout";
        if (e instanceof javax.net.ssl.SSLException && m != null && m.contains("nrecognized SSL message")) {
            return "server gave HTTP response to HTTPS client (a plain-http registry needs \"insecure\": true)";
        }
        if (e instanceof java.nio.channels.UnresolvedAddressException
                || e instanceof java.net.UnknownHostException) return "no such host";
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String bodyText(HttpResponse<?> resp) {
        Object body = resp.body();
        if (body instanceof String s) return s;
        if (body instanceof byte[] b) return new String(b, StandardCharsets.UTF_8);
        if (body instanceof InputStream in) return readError(in);
        return "";
    }

    private static String readError(InputStream in) {
        try (in) {
            return new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static void discard(HttpResponse<?> resp) {
        if (resp.body() instanceof InputStream in) closeQuietly(in);
    }

    private static void closeQuietly(InputStream in) {
        try {
            if (in != null) in.close();
        } catch (IOException ignored) {
            // closing a response body we do not need
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
