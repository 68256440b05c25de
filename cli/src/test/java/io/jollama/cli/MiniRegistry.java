package io.jollama.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A plain registry (Docker registry v2 subset, no auth) for pushing a model and pulling it back: manifests,
 * blobs with ranged GETs, and upload sessions (POST, PATCH, final PUT with the digest).
 */
final class MiniRegistry implements AutoCloseable {

    private static final Pattern PATH = Pattern.compile("/v2/(.+)/(manifests|blobs)/(.+)");
    private final HttpServer server;
    final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, ByteArrayOutputStream> uploads = new ConcurrentHashMap<>();

    MiniRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            String query = ex.getRequestURI().getRawQuery();
            byte[] body = ex.getRequestBody().readAllBytes();
            Matcher m = PATH.matcher(path);
            if (!m.matches()) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String repo = m.group(1), kind = m.group(2), ref = m.group(3);
            if (kind.equals("manifests")) {
                String key = repo + ":" + ref;
                if (method.equals("PUT")) {
                    manifests.put(key, body);
                    ex.sendResponseHeaders(201, -1);
                } else {
                    byte[] manifest = manifests.get(key);
                    if (manifest == null) {
                        ex.sendResponseHeaders(404, -1);
                        return;
                    }
                    ex.getResponseHeaders().set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json");
                    ex.sendResponseHeaders(200, method.equals("HEAD") ? -1 : manifest.length);
                    if (!method.equals("HEAD")) ex.getResponseBody().write(manifest);
                }
                return;
            }
            if (ref.startsWith("uploads")) {
                String id = ref.length() > "uploads/".length() ? ref.substring("uploads/".length()) : "";
                switch (method) {
                    case "POST" -> {
                        id = UUID.randomUUID().toString();
                        uploads.put(id, new ByteArrayOutputStream());
                        ex.getResponseHeaders().set("Location", "/v2/" + repo + "/blobs/uploads/" + id);
                        ex.sendResponseHeaders(202, -1);
                    }
                    case "PATCH" -> {
                        uploads.get(id).write(body);
                        ex.getResponseHeaders().set("Location", "/v2/" + repo + "/blobs/uploads/" + id);
                        ex.sendResponseHeaders(202, -1);
                    }
                    case "PUT" -> {
                        ByteArrayOutputStream data = uploads.remove(id);
                        data.write(body);
                        String digest = java.net.URLDecoder.decode(query.replaceAll(".*digest=([^&]*).*", "$1"),
                                java.nio.charset.StandardCharsets.UTF_8);
                        blobs.put(digest, data.toByteArray());
                        ex.sendResponseHeaders(201, -1);
                    }
                    default -> ex.sendResponseHeaders(405, -1);
                }
                return;
            }
            byte[] blob = blobs.get(ref);
            if (blob == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            if (method.equals("HEAD")) {
                ex.getResponseHeaders().set("Content-Length", String.valueOf(blob.length));
                ex.sendResponseHeaders(200, -1);
                return;
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            int start = 0, end = blob.length - 1;
            if (range != null && range.startsWith("bytes=")) {
                String[] se = range.substring(6).split("-");
                start = Integer.parseInt(se[0]);
                if (se.length > 1 && !se[1].isEmpty()) end = Math.min(end, Integer.parseInt(se[1]));
            }
            ex.sendResponseHeaders(range == null ? 200 : 206, end - start + 1);
            ex.getResponseBody().write(blob, start, end - start + 1);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
