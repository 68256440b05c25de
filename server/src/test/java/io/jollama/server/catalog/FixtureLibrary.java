package io.jollama.server.catalog;

import com.sun.net.httpserver.HttpServer;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for ollama.com on a free local port (the JDK's HTTP server): {@code /library} serves a listing page and
 * {@code /library/<m>/tags} the saved tags pages; pages can be made to fail; every request is recorded.
 */
final class FixtureLibrary implements AutoCloseable {

    /** The models whose tags pages are saved in the test data. */
    static final List<String> MODELS = List.of("granite-embedding", "magistral", "wizard-math", "wizard-vicuna-uncensored");

    private final HttpServer server;
    volatile String listing;
    final Set<String> failing = ConcurrentHashMap.newKeySet();
    /** Paths that answer only once {@link #release} is counted down (at most after 10 s). */
    final Set<String> held = ConcurrentHashMap.newKeySet();
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
    final List<String> requests = new CopyOnWriteArrayList<>();

    FixtureLibrary() {
        listing = listingOf(MODELS, Map.of());
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()); // a held page blocks no other
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            requests.add(path);
            if (held.contains(path)) {
                holding.countDown();
                try {
                    release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body;
            int status = 200;
            if (failing.contains(path)) {
                status = 500;
                body = "internal error".getBytes(StandardCharsets.UTF_8);
            } else if (path.equals("/library")) {
                body = listing.getBytes(StandardCharsets.UTF_8);
            } else if (path.startsWith("/library/") && path.endsWith("/tags")
                    && Files.isRegularFile(tagsPage(path.substring(9, path.length() - 5)))) {
                body = Files.readAllBytes(tagsPage(path.substring(9, path.length() - 5)));
            } else {
                status = 404;
                body = "not found".getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    private static Path tagsPage(String model) {
        if (!MODELS.contains(model)) return Path.of("/nonexistent");
        return GalleryFixtures.page("models/" + model + "/tags.html");
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    long tagsRequests() {
        return requests.stream().filter(p -> p.endsWith("/tags")).count();
    }

    /**
     * The saved popular listing cut down to {@code models} (in its order), with the "updated" text of some
     * replaced ({@code updated}: model → new text).
     */
    static String listingOf(List<String> models, Map<String, String> updated) {
        Document doc = Jsoup.parse(GalleryFixtures.html("library/listing-popular.html"));
        for (Element li : doc.select("li[x-test-model]")) {
            String name = li.selectFirst("div[x-test-model-title]").attr("title");
            if (!models.contains(name)) li.remove();
            else if (updated.containsKey(name)) li.selectFirst("span[x-test-updated]").text(updated.get(name));
        }
        return doc.outerHtml();
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }
}
