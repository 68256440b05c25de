package io.jollama.server.web;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The built-in web page: {@code GET /} answers a browser (a request that accepts {@code text/html}) with the page and
 * every other client with Ollama's {@code "Ollama is running"}; {@code GET /web/{file}} serves the page's scripts and
 * styles from the jar. The page is a client of the public HTTP API only. Requests pass the same Host/Origin guard as
 * the API (it runs before every route); a strict Content-Security-Policy keeps anything the page renders from running
 * script even if a rendering bug let markup through.
 */
public final class WebPage {

    public static final String RUNNING = "Ollama is running";
    /** Where the assets live on the class path. */
    static final String RESOURCES = "/io/jollama/server/web/";
    /** Flat names only: no directories, no dots but the extension's, so nothing outside the folder is reachable. */
    private static final Pattern ASSET = Pattern.compile("[a-z0-9][a-z0-9-]*\\.(js|css|svg|html)");
    private static final Map<String, String> TYPES = Map.of(
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "html", "text/html; charset=utf-8");
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            + "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'none'";

    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    /** {@code GET /}: the page for browsers, Ollama's liveness text for everyone else. */
    public void root(Context ctx) {
        ctx.header("Vary", "Accept");
        if (!wantsHtml(ctx.header("Accept"))) {
            ctx.contentType("text/plain; charset=utf-8").result(RUNNING);
            return;
        }
        byte[] page = resource("index.html");
        secure(ctx);
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(TYPES.get("html")).result(page);
    }

    /** {@code GET /web/{file}}: one of the page's assets, or 404. */
    public void asset(Context ctx) {
        String file = ctx.pathParam("file");
        byte[] bytes = ASSET.matcher(file).matches() ? resource(file) : null;
        if (bytes == null) {
            ctx.status(404).contentType("text/plain").result("404 page not found");
            return;
        }
        secure(ctx);
        // the page and its assets change together with the jar; revalidating keeps an upgrade from mixing versions
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(TYPES.get(file.substring(file.lastIndexOf('.') + 1))).result(bytes);
    }

    /** True when the client names {@code text/html} (browsers do for a page); {@code *}{@code /*} alone is not enough. */
    static boolean wantsHtml(String accept) {
        if (accept == null) return false;
        for (String part : accept.toLowerCase(Locale.ROOT).split(",")) {
            String[] p = part.split(";");
            if (!p[0].strip().equals("text/html")) continue;
            boolean refused = false;
            for (int i = 1; i < p.length; i++) {
                String param = p[i].strip().replace(" ", "");
                if (param.equals("q=0") || param.matches("q=0\\.0*")) refused = true;
            }
            if (!refused) return true;
        }
        return false;
    }

    private static void secure(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
    }

    private byte[] resource(String name) {
        byte[] cached = cache.get(name);
        if (cached != null) return cached;
        try (InputStream in = WebPage.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) return null;
            byte[] bytes = in.readAllBytes();
            cache.put(name, bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
