package io.jollama.server.web;

import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The page's routes over plain HTTP: who gets the page and who gets "Ollama is running", the assets, the guard. */
class WebRoutesTest {

    static final String BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer(dir.resolve("models"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> get(String path, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).GET();
        if (accept != null) b.header("Accept", accept);
        return server.send(b);
    }

    @Test
    void clientsGetOllamasAnswerAndBrowsersThePage() {
        for (String accept : new String[] {null, "*/*", "application/json", "text/html;q=0", "text/plain, text/html;q=0.0"}) {
            HttpResponse<String> r = get("/", accept);
            assertEquals(200, r.statusCode());
            assertEquals("Ollama is running", r.body(), "Accept: " + accept);
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        }
        HttpResponse<String> head = server.head("/");
        assertEquals(200, head.statusCode());
        assertTrue(head.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        for (String accept : new String[] {BROWSER_ACCEPT, "text/html", "TEXT/HTML; q=0.5"}) {
            HttpResponse<String> r = get("/", accept);
            assertEquals(200, r.statusCode());
            assertTrue(r.body().startsWith("<!doctype html>"), r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            assertEquals(WebPage.CSP, r.headers().firstValue("Content-Security-Policy").orElse(""));
            assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
            assertEquals("Accept", r.headers().firstValue("Vary").orElse(""));
        }
    }

    /** Every file the page names is served from the jar with its type; nothing comes from another site. */
    @Test
    void everyAssetIsServedFromTheJarAndNothingIsFetchedElsewhere() {
        String page = get("/", BROWSER_ACCEPT).body();
        Set<String> files = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?:src|href)=\"/web/([^\"]+)\"").matcher(page);
        while (m.find()) files.add(m.group(1));
        assertTrue(files.containsAll(Set.of("app.js", "app.css", "theme.js", "icon.svg")), files.toString());
        // and every module the scripts import
        Set<String> seen = new LinkedHashSet<>();
        while (!files.isEmpty()) {
            String f = files.iterator().next();
            files.remove(f);
            if (!seen.add(f)) continue;
            HttpResponse<String> r = get("/web/" + f, null);
            assertEquals(200, r.statusCode(), f);
            String type = r.headers().firstValue("Content-Type").orElse("");
            String expected = f.endsWith(".js") ? "text/javascript" : f.endsWith(".css") ? "text/css" : "image/svg+xml";
            assertTrue(type.startsWith(expected), f + ": " + type);
            assertFalse(r.body().matches("(?s).*(?:src|href|url)\\s*[=(]\\s*[\"']?(?:https?:)?//.*"), f + " loads something from another site");
            assertFalse(r.body().contains("innerHTML") || r.body().contains("outerHTML") || r.body().contains("insertAdjacentHTML")
                    || r.body().contains("document.write") || r.body().contains("eval("), f + " builds markup from strings");
            Matcher imp = Pattern.compile("from '\\./([a-z-]+\\.js)'").matcher(r.body());
            while (imp.find()) files.add(imp.group(1));
        }
        assertTrue(seen.containsAll(Set.of("chat.js", "models.js", "downloads.js", "library.js", "markdown.js", "highlight.js", "api.js", "dom.js")), seen.toString());
    }

    @Test
    void unknownOrOddAssetNamesAre404() {
        for (String path : new String[] {"/web/nothing.js", "/web/App.js", "/web/..%2Fapi%2Fversion", "/web/%2e%2e%2fRoutes.class",
                "/web/index.html.bak", "/web/", "/web/a/b.js"}) {
            assertEquals(404, get(path, BROWSER_ACCEPT).statusCode(), path);
        }
    }

    static String raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The API's guard: a page fetched through a foreign host name (DNS rebinding) or for a foreign origin is refused. */
    @Test
    void theHostAndOriginGuardCoversThePage() throws Exception {
        for (String path : new String[] {"/", "/web/app.js"}) {
            String foreignHost = raw("GET " + path + " HTTP/1.1\r\nHost: evil.example.com\r\nAccept: text/html\r\nConnection: close\r\n\r\n");
            assertTrue(foreignHost.startsWith("HTTP/1.1 403"), foreignHost);
            String foreignOrigin = raw("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example.com\r\nAccept: text/html\r\nConnection: close\r\n\r\n");
            assertTrue(foreignOrigin.startsWith("HTTP/1.1 403"), foreignOrigin);
            String local = raw("GET " + path + " HTTP/1.1\r\nHost: localhost:11434\r\nAccept: text/html\r\nConnection: close\r\n\r\n");
            assertTrue(local.startsWith("HTTP/1.1 200"), local);
        }
    }

    @Test
    void acceptHeaders() {
        assertTrue(WebPage.wantsHtml(BROWSER_ACCEPT));
        assertTrue(WebPage.wantsHtml("text/html;level=1"));
        assertFalse(WebPage.wantsHtml(null));
        assertFalse(WebPage.wantsHtml("*/*"));
        assertFalse(WebPage.wantsHtml("text/*"));
        assertFalse(WebPage.wantsHtml("application/x-ndjson"));
        assertFalse(WebPage.wantsHtml("text/html; q=0"));
        assertFalse(WebPage.wantsHtml("text/htmlx"));
    }
}
