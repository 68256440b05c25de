package io.jollama.server.hf;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small Hugging Face in-process: the tree API ({@code /api/models/<repo>/tree/main}, paginated two entries a page
 * with a {@code Link: <…>; rel="next"} header), {@code /<repo>/resolve/main/<path>} answering LFS files with a 302 to
 * another host name ({@code localhost} instead of {@code 127.0.0.1}, like the CDN), ranged GETs there, private
 * (401 without the token) and gated (401 without a token, 403 with one not granted) repositories, 404s.
 */
final class FakeHuggingFace implements AutoCloseable {

    static final String TOKEN = "hf_testtoken";
    private static final Pattern TREE = Pattern.compile("/api/models/([^/]+/[^/]+)/tree/main");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/main/(.+)");

    /** A repository: files in order (GGUF files are stored in LFS), access rules, sizes the tree may overstate. */
    static final class Repo {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final Map<String, Long> claimedSizes = new ConcurrentHashMap<>();
        volatile boolean privateRepo;
        volatile boolean gated;
        volatile boolean granted;

        Repo file(String path, byte[] content) {
            files.put(path, content);
            return this;
        }
    }

    private final HttpServer server;
    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> cdn = new ConcurrentHashMap<>();

    volatile int slowMillisPer8k;
    volatile long dropAfterBytes = -1; // served CDN bytes after which transfers break (once)

    final AtomicLong cdnBytes = new AtomicLong();
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    final List<String> cdnRanges = Collections.synchronizedList(new ArrayList<>());
    final Set<String> cdnAuthorizations = ConcurrentHashMap.newKeySet();

    FakeHuggingFace() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    Repo repo(String id) {
        return repos.computeIfAbsent(id, k -> new Repo());
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = URLDecoder.decode(ex.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
            requests.add(ex.getRequestMethod() + " " + ex.getRequestURI());
            Matcher m;
            if (path.startsWith("/cdn/")) {
                cdn(ex, path.substring(5));
            } else if ((m = TREE.matcher(path)).matches()) {
                tree(ex, m.group(1));
            } else if ((m = RESOLVE.matcher(path)).matches()) {
                resolve(ex, m.group(1), m.group(2));
            } else {
                send(ex, 404, "{\"error\":\"Not Found\"}");
            }
        }
    }

    private String auth(HttpExchange ex) {
        String a = ex.getRequestHeaders().getFirst("Authorization");
        return a == null ? "" : a;
    }

    /** 0 when allowed, else the status Hugging Face would answer. */
    private int access(HttpExchange ex, Repo r, boolean content) {
        boolean token = auth(ex).equals("Bearer " + TOKEN);
        if (r.privateRepo && !token) return 401;
        if (r.gated && content) {
            if (auth(ex).isEmpty()) return 401;
            if (!r.granted) return 403;
        }
        return 0;
    }

    private void tree(HttpExchange ex, String id) throws IOException {
        Repo r = repos.get(id);
        if (r == null) {
            send(ex, 404, "{\"error\":\"Repository not found\"}");
            return;
        }
        int denied = access(ex, r, false);
        if (denied != 0) {
            send(ex, denied, "{\"error\":\"Invalid username or password.\"}");
            return;
        }
        List<String> entries = new ArrayList<>();
        List<String> dirs = new ArrayList<>();
        for (var f : r.files.entrySet()) {
            String p = f.getKey();
            int slash = p.lastIndexOf('/');
            if (slash > 0 && !dirs.contains(p.substring(0, slash))) {
                dirs.add(p.substring(0, slash));
                entries.add("{\"type\":\"directory\",\"oid\":\"0000\",\"size\":0,\"path\":\"" + p.substring(0, slash) + "\"}");
            }
            long size = r.claimedSizes.getOrDefault(p, (long) f.getValue().length);
            if (p.endsWith(".gguf")) {
                String sha = sha256(f.getValue());
                cdn.put(sha, f.getValue());
                entries.add("{\"type\":\"file\",\"oid\":\"" + sha.substring(0, 40) + "\",\"size\":" + size + ",\"path\":\"" + p
                        + "\",\"lfs\":{\"oid\":\"" + sha + "\",\"size\":" + size + ",\"pointerSize\":134}}");
            } else {
                entries.add("{\"type\":\"file\",\"oid\":\"1111\",\"size\":" + size + ",\"path\":\"" + p + "\"}");
            }
        }
        String q = ex.getRequestURI().getRawQuery();
        int cursor = 0;
        if (q != null) for (String kv : q.split("&")) if (kv.startsWith("cursor=")) cursor = Integer.parseInt(kv.substring(7));
        int end = Math.min(entries.size(), cursor + 2);
        if (end < entries.size()) {
            ex.getResponseHeaders().add("Link", "<" + endpoint() + "/api/models/" + id
                    + "/tree/main?recursive=true&expand=false&cursor=" + end + ">; rel=\"next\"");
        }
        send(ex, 200, "[" + String.join(",", entries.subList(cursor, end)) + "]");
    }

    private void resolve(HttpExchange ex, String id, String file) throws IOException {
        Repo r = repos.get(id);
        byte[] data = r == null ? null : r.files.get(file);
        if (r == null) {
            send(ex, 404, "Repository not found");
            return;
        }
        int denied = access(ex, r, true);
        if (denied != 0) {
            send(ex, denied, denied == 403 ? "Access to model " + id + " is restricted." : "Unauthorized");
            return;
        }
        if (data == null) {
            send(ex, 404, "Entry not found");
            return;
        }
        if (file.endsWith(".gguf")) {
            String sha = sha256(data);
            ex.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
            ex.getResponseHeaders().set("X-Linked-Size", Long.toString(data.length));
            ex.getResponseHeaders().set("Location", "http://localhost:" + server.getAddress().getPort() + "/cdn/" + sha + "?sig=test");
            ex.sendResponseHeaders(302, -1);
            return;
        }
        serve(ex, data, false);
    }

    private void cdn(HttpExchange ex, String sha) throws IOException {
        String a = ex.getRequestHeaders().getFirst("Authorization");
        if (a != null) cdnAuthorizations.add(a);
        if (!"localhost".equals(ex.getRequestHeaders().getFirst("Host").replaceAll(":\\d+$", ""))) {
            send(ex, 400, "the CDN is only reached by the redirect");
            return;
        }
        byte[] data = cdn.get(sha);
        if (data == null) {
            send(ex, 404, "no such object");
            return;
        }
        serve(ex, data, true);
    }

    private void serve(HttpExchange ex, byte[] data, boolean count) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        long start = 0, end = data.length - 1;
        int code = 200;
        if (range != null) {
            if (count) cdnRanges.add(range);
            Matcher m = Pattern.compile("bytes=(\\d+)-(\\d*)").matcher(range);
            if (!m.matches()) {
                send(ex, 416, "bad range");
                return;
            }
            start = Long.parseLong(m.group(1));
            if (!m.group(2).isEmpty()) end = Math.min(end, Long.parseLong(m.group(2)));
            if (start > end) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                send(ex, 416, "");
                return;
            }
            code = 206;
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + end + "/" + data.length);
        }
        ex.sendResponseHeaders(code, end - start + 1);
        OutputStream out = ex.getResponseBody();
        for (long pos = start; pos <= end; ) {
            int n = (int) Math.min(8192, end - pos + 1);
            out.write(data, (int) pos, n);
            out.flush();
            pos += n;
            if (count) {
                long served = cdnBytes.addAndGet(n);
                long drop = dropAfterBytes;
                if (drop >= 0 && served >= drop) {
                    dropAfterBytes = -1;
                    throw new IOException("fake Hugging Face: dropping the connection");
                }
            }
            if (slowMillisPer8k > 0) {
                try {
                    Thread.sleep(slowMillisPer8k);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) ex.getResponseBody().write(b);
    }
}
