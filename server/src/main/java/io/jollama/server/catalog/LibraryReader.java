package io.jollama.server.catalog;

import io.jollama.engine.Version;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Reads the two kinds of library pages from ollama.com (or the {@code JOLLAMA_LIBRARY_URL} stand-in). */
public final class LibraryReader {

    private final String base;
    private final HttpClient http;
    private final Duration timeout;

    public LibraryReader(String base, Duration timeout) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** The base URL links are made absolute against. */
    public String base() {
        return base;
    }

    /** {@code /library}: the whole library, most popular first. */
    public String listing() throws IOException {
        return get("/library");
    }

    /** {@code /library/<model>/tags}. */
    public String tagsPage(String model) throws IOException {
        return get("/library/" + URLEncoder.encode(model, StandardCharsets.UTF_8) + "/tags");
    }

    private String get(String path) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("User-Agent", "jollama/" + Version.VERSION + " (library catalog)")
                .header("Accept", "text/html").GET().build();
        try {
            HttpResponse<String> r = http.send(req, io.jollama.server.registry.BoundedBody.string("library page", 8L << 20));
            if (r.statusCode() != 200) throw new IOException("GET " + base + path + ": HTTP " + r.statusCode());
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (IllegalArgumentException e) {
            throw new IOException("GET " + base + path + ": " + e.getMessage(), e);
        }
    }
}
