package io.jollama.server.hf;

import io.jollama.server.Json;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face's HTTP API, as its own tools use it: the tree API for a repository's files (paginated through the
 * {@code Link: <…>; rel="next"} header), {@code /resolve/main/<path>} for the bytes (redirects followed by hand so
 * that the token never leaves the Hugging Face host), and ranged GETs to resume a partial file.
 */
public final class HfClient {

    /** A transfer silent this long is broken off (and retried by the queue). */
    private static final Duration STALL = Duration.ofSeconds(60);
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    private final URI endpoint;
    private final String token;
    private final HttpClient http;
    private final String userAgent;

    /**
     * @param endpoint the base URL ({@code HF_ENDPOINT}, default {@code https://huggingface.co})
     * @param token    {@code HF_TOKEN}, or empty
     */
    public HfClient(String endpoint, String token, String userAgent) {
        String e = endpoint == null || endpoint.isBlank() ? "https://huggingface.co" : endpoint.strip();
        while (e.endsWith("/")) e = e.substring(0, e.length() - 1);
        this.endpoint = URI.create(e);
        this.token = token == null ? "" : token.strip();
        this.userAgent = userAgent;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Every file of the repository's main revision (recursive). */
    public List<HfFile> listFiles(String repo) throws IOException {
        List<HfFile> out = new ArrayList<>();
        URI next = URI.create(endpoint + "/api/models/" + repo + "/tree/main?recursive=true&expand=false");
        for (int page = 0; next != null; page++) {
            if (page > 10_000) throw new IOException("the tree API of " + repo + " does not stop paginating");
            HttpResponse<byte[]> r = send(request(next).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            check(repo, r.statusCode(), null);
            JsonNode arr;
            try {
                arr = Json.MAPPER.readTree(r.body());
            } catch (RuntimeException e) {
                throw new HfException(502, "bad answer from Hugging Face", "the tree API of " + repo + " did not return JSON", false, e);
            }
            if (!arr.isArray()) throw new HfException(502, "bad answer from Hugging Face", "the tree API of " + repo + " did not return a list", false);
            for (JsonNode n : arr) {
                if (!"file".equals(n.path("type").asString(""))) continue;
                JsonNode lfs = n.path("lfs");
                String oid = lfs.isObject() ? lfs.path("oid").asString(null) : null;
                long size = lfs.isObject() && lfs.has("size") ? lfs.path("size").asLong() : n.path("size").asLong();
                out.add(new HfFile(n.path("path").asString(), size, oid));
            }
            next = r.headers().allValues("Link").stream().map(NEXT::matcher).filter(Matcher::find)
                    .map(m -> next(m.group(1))).findFirst().orElse(null);
        }
        return out;
    }

    private URI next(String link) {
        return endpoint.resolve(link);
    }

    /** Asks for the first byte of a file (following redirects): refuses a gated or private file before it is queued. */
    public void probe(String repo, HfFile file) throws IOException {
        HttpResponse<InputStream> r = open(repo, file, "bytes=0-0");
        try (InputStream in = r.body()) {
            check(repo, r.statusCode(), file.path());
        }
    }

    /** GET of a file's resolve URL with redirects followed by hand (the token only goes to the Hugging Face host). */
    private HttpResponse<InputStream> open(String repo, HfFile file, String range) throws IOException {
        URI uri = URI.create(endpoint + "/" + repo + "/resolve/main/" + encodePath(file.path()));
        for (int hop = 0; hop <= 10; hop++) {
            HttpRequest.Builder b = request(uri, uri.getHost().equalsIgnoreCase(endpoint.getHost())).GET();
            if (range != null) b.header("Range", range);
            HttpResponse<InputStream> r = send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            Optional<String> location = r.headers().firstValue("Location");
            if (r.statusCode() >= 300 && r.statusCode() < 400 && location.isPresent()) {
                r.body().close();
                uri = uri.resolve(location.get());
                continue;
            }
            return r;
        }
        throw new IOException("stopped after 10 redirects downloading " + file.path());
    }

    /**
     * Downloads {@code file} into {@code partial}, continuing after the bytes already there. {@code checkpoint} runs
     * between chunks and may throw to stop (the partial file stays for the next attempt); {@code progress} gets the
     * byte count so far.
     */
    public void download(String repo, HfFile file, Path partial, LongConsumer progress, Runnable checkpoint) throws IOException {
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        if (file.size() > 0 && have > file.size()) {
            Files.delete(partial);
            have = 0;
        }
        progress.accept(have);
        if (file.size() > 0 && have == file.size()) return;
        HttpResponse<InputStream> r = open(repo, file, have > 0 ? "bytes=" + have + "-" : null);
        try (InputStream in = r.body()) {
            int code = r.statusCode();
            if (code == 416 && file.size() > 0 && have == file.size()) return;
            check(repo, code, file.path());
            boolean append = code == 206;
            if (append && !r.headers().firstValue("Content-Range").orElse("").startsWith("bytes " + have + "-")) {
                throw new IOException("Hugging Face answered a range request for " + file.path() + " with "
                        + r.headers().firstValue("Content-Range").orElse("no Content-Range"));
            }
            long pos = append ? have : 0;
            java.util.concurrent.atomic.AtomicLong lastRead = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
            Thread watchdog = Thread.ofVirtual().name("hf-watchdog").start(() -> watch(in, lastRead, checkpoint));
            try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                if (!append) out.truncate(0);
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    lastRead.set(System.nanoTime());
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) pos += out.write(bb, pos);
                    progress.accept(pos);
                    checkpoint.run();
                }
            } catch (IOException e) {
                checkpoint.run(); // a stream closed to pause is a pause, not a failure
                throw e;
            } finally {
                watchdog.interrupt();
            }
        }
    }

    /** A silent transfer blocks in read() without end: a stall (or a pause asked meanwhile) closes the stream. */
    private static void watch(InputStream in, java.util.concurrent.atomic.AtomicLong lastRead, Runnable checkpoint) {
        while (true) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
            boolean stop = System.nanoTime() - lastRead.get() > STALL.toNanos();
            try {
                checkpoint.run();
            } catch (RuntimeException pause) {
                stop = true;
            }
            if (stop) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // unblocking the reader is all we want
                }
                return;
            }
        }
    }

    /** Maps Hugging Face's refusals to the user's words. */
    private void check(String repo, int code, String path) {
        if (code < 400) return;
        String what = path == null ? "repository " + repo : path + " of " + repo;
        switch (code) {
            case 401 -> throw new HfException(401, "unauthorized", token.isEmpty()
                    ? what + " needs a Hugging Face token (private or gated repository, or no such repository): set HF_TOKEN"
                    : "HF_TOKEN was refused for " + what, true);
            case 403 -> throw new HfException(403, "gated repository", "access to " + what + " is gated: accept its "
                    + "conditions on Hugging Face with the account of HF_TOKEN", true);
            case 404 -> throw new HfException(404, path == null ? "repository not found" : "file not found",
                    what + " was not found on " + endpoint, true);
            default -> throw new HfException(502, "Hugging Face error", "Hugging Face answered " + code + " for " + what, code < 500);
        }
    }

    private HttpRequest.Builder request(URI uri) {
        return request(uri, true);
    }

    private HttpRequest.Builder request(URI uri, boolean withToken) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("User-Agent", userAgent).timeout(Duration.ofMinutes(2));
        if (withToken && !token.isEmpty()) b.header("Authorization", "Bearer " + token);
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String encodePath(String path) {
        List<String> parts = new ArrayList<>();
        for (String s : path.split("/")) parts.add(URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"));
        return String.join("/", parts);
    }
}
