package io.jollama.cli;

import com.sun.net.httpserver.HttpServer;
import io.jollama.engine.TestData;
import io.jollama.server.JollamaServer;
import io.jollama.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code jollama search} and {@code jollama catalog refresh|export} against a live server whose library is a local
 * stand-in of ollama.com serving the saved pages (in the test JVM; the first search as a process).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CatalogCommandsTest {

    @TempDir
    static Path tmp;
    static HttpServer library;
    static volatile boolean listingFails;
    static JollamaServer server;
    static Cli cli;
    static final Path GALLERY = TestData.path("gallery");

    @BeforeAll
    static void start() throws IOException {
        Path pages = GALLERY.resolve("pages/html");
        // the "wizard" listing, its dates made fresh so that every model is read whatever today is
        String listing = Files.readString(pages.resolve("library/listing-search-wizard.html"))
                .replaceAll("x-test-updated>[^<]*<", "x-test-updated>2 hours ago<");
        library = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        library.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            byte[] body = null;
            if (path.equals("/library") && !listingFails) body = listing.getBytes(StandardCharsets.UTF_8);
            else if (path.matches("/library/[a-z0-9.-]+/tags")) {
                Path page = pages.resolve("models/" + path.split("/")[2] + "/tags.html");
                if (Files.isRegularFile(page)) body = Files.readAllBytes(page);
            }
            ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                if (body != null) out.write(body);
            }
        });
        library.start();
        server = JollamaServer.start(ServerConfig.local(0, tmp.resolve("models")).withEnv(Map.of(
                "JOLLAMA_LIBRARY_URL", "http://127.0.0.1:" + library.getAddress().getPort(), "JOLLAMA_CATALOG_REFRESH", "0")));
        Files.createDirectories(tmp.resolve("home"));
        cli = new Cli("127.0.0.1:" + server.port(), tmp.resolve("home"));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (library != null) library.stop(0);
    }

    @Test
    @Order(1)
    void searchPrintsATableOfTheShippedCatalog() {
        Cli.Result r = cli.runProcess("search");
        assertEquals(0, r.code(), r.toString());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].matches("NAME\\s{4,}SIZES\\s{4,}CONTEXT\\s{4,}CAPABILITIES\\s{4,}INSTALLED"), r.out());
        assertTrue(lines[1].matches("llama3\\.1\\s{4,}\\S+–\\S+\\s{4,}128K\\s{4,}tools\\s{4,}-"), r.out());
        assertEquals("(20 of 236 models; --page 2 for more)", lines[lines.length - 1]);
        assertEquals(22, lines.length);

        Cli.Result embed = cli.run("search", "embed", "--capability", "embedding", "--max-size", "300MB");
        assertEquals(0, embed.code(), embed.toString());
        assertTrue(embed.out().lines().anyMatch(l -> l.matches("nomic-embed-text\\s{4,}274MB\\s{4,}2K\\s{4,}embedding\\s{4,}-")), embed.out());
        assertTrue(embed.out().lines().skip(1).allMatch(l -> l.contains("embedding")), embed.out());

        Cli.Result tags = cli.run("search", "all-minilm", "--tags");
        assertEquals(0, tags.code(), tags.toString());
        assertTrue(tags.out().startsWith("NAME"), tags.out());
        assertTrue(tags.out().lines().anyMatch(l -> l.matches("all-minilm:latest\\s{4,}46MB\\s{4,}512\\s{4,}Text\\s{4,}.+ago\\s{4,}-")), tags.out());
        assertTrue(tags.out().lines().anyMatch(l -> l.startsWith("all-minilm:l12 ")), tags.out());
    }

    @Test
    @Order(2)
    void badSearchInputIsOneLineError() {
        Cli.Result r = cli.run("search", "--sort", "bogus");
        assertEquals(1, r.code(), r.toString());
        assertEquals("Error: invalid sort: sort must be popular, newest or size, not 'bogus'\n", r.err());
    }

    @Test
    @Order(3)
    void exportWritesTheGalleryDataFolderByteForByte() throws IOException {
        Path out = tmp.resolve("export/data");
        Cli.Result r = cli.run("catalog", "export", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("exported the catalog of 2026-07-15 to " + out + ": 6 documents (236 model files, 241 tags files)\n", r.out());
        for (String doc : List.of("models.json", "tags.json", "models_status.json", "tags_status.json")) {
            assertArrayEquals(Files.readAllBytes(GALLERY.resolve(doc)), Files.readAllBytes(out.resolve(doc)), doc);
        }
        for (String sub : List.of("models", "tags")) {
            try (Stream<Path> files = Files.list(GALLERY.resolve(sub))) {
                for (Path f : files.toList()) {
                    assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(out.resolve(sub).resolve(f.getFileName())), f.toString());
                }
            }
        }
        try (Stream<Path> files = Files.list(out.resolve("tags"))) {
            assertEquals(241, files.count());
        }
    }

    @Test
    @Order(4)
    void refreshReadsTheLibraryAndSearchShowsIt() {
        Cli.Result r = cli.run("catalog", "refresh");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("reading the library listing\n"), r.out());
        assertTrue(r.out().endsWith("catalog refreshed: 7 models, 2 tags pages read (105 tags), 5 failed\n"), r.out());

        Cli.Result s = cli.run("search", "--limit", "100");
        assertEquals(0, s.code(), s.toString());
        List<String> names = s.out().lines().skip(1).map(l -> l.split("\\s+")[0]).toList();
        assertEquals(List.of("wizardlm2", "wizard-vicuna-uncensored", "wizardcoder", "wizard-math", "wizardlm",
                "wizardlm-uncensored", "wizard-vicuna"), names);
        Cli.Result t = cli.run("search", "wizard-math", "--tags", "--limit", "1");
        assertEquals(61, t.out().lines().count(), t.out());
    }

    /** The catalog's size as the server answers it (the failed refresh must not have changed it). */
    static int searchTotal() {
        var client = new io.jollama.client.OllamaClient(java.net.URI.create("http://127.0.0.1:" + server.port()));
        return client.gallerySearch(List.of()).total();
    }

    @Test
    @Order(5)
    void aFailedRefreshIsAClearErrorAndKeepsTheCatalog() {
        listingFails = true;
        try {
            Cli.Result r = cli.run("catalog", "refresh");
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().matches("Error: refresh failed: GET http://127\\.0\\.0\\.1:\\d+/library: HTTP 404\n"), r.err());
            assertEquals(7, searchTotal(), "the catalog of the last good refresh stays");
        } finally {
            listingFails = false;
        }
    }
}
