package io.jollama.server;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The server's settings, read from Ollama's environment variables by {@link #fromEnv(Map)}.
 *
 * @param scheme       {@code http} or {@code https} (from {@code OLLAMA_HOST}; only informative: the server speaks https
 *                     when {@code JOLLAMA_TLS_CERT} and {@code JOLLAMA_TLS_KEY} are set, see {@code tls.TlsSettings})
 * @param host         bind address ({@code 127.0.0.1} by default; empty means all interfaces)
 * @param port         bind port; 0 picks a free one
 * @param models       the store root ({@code OLLAMA_MODELS}, default {@code ~/.ollama/models})
 * @param origins      allowed CORS origins: {@code OLLAMA_ORIGINS} first, then Ollama's built-ins
 * @param noPrune      {@code OLLAMA_NOPRUNE}: no start-up, create or pull pruning
 * @param keepAlive    {@code OLLAMA_KEEP_ALIVE} as given (parsed by the scheduler), default {@code 5m}
 * @param env          the whole environment, for the parts added later (scheduler, runner)
 */
public record ServerConfig(String scheme, String host, int port, Path models, List<String> origins, boolean noPrune,
                           String keepAlive, Map<String, String> env) {

    public static final int DEFAULT_PORT = 11434;

    /** The settings from the process environment. */
    public static ServerConfig fromEnv() {
        return fromEnv(System.getenv());
    }

    public static ServerConfig fromEnv(Map<String, String> env) {
        URI h = parseHost(var(env, "OLLAMA_HOST"));
        String host = h.getHost() == null ? "" : h.getHost();
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        String models = var(env, "OLLAMA_MODELS");
        Path store = models.isEmpty() ? Path.of(System.getProperty("user.home"), ".ollama", "models") : Path.of(models);
        String keepAlive = var(env, "OLLAMA_KEEP_ALIVE");
        return new ServerConfig(h.getScheme(), host, h.getPort(), store, allowedOrigins(var(env, "OLLAMA_ORIGINS")),
                bool(var(env, "OLLAMA_NOPRUNE")), keepAlive.isEmpty() ? "5m" : keepAlive, Map.copyOf(env));
    }

    /** A config for tests and embedding: loopback, the given port and store, default origins, pruning on. */
    public static ServerConfig local(int port, Path models) {
        return new ServerConfig("http", "127.0.0.1", port, models, allowedOrigins(""), false, "5m", Map.of());
    }

    public ServerConfig withNoPrune(boolean v) {
        return new ServerConfig(scheme, host, port, models, origins, v, keepAlive, env);
    }

    /** The same config with extra environment variables (later parts read theirs from {@link #env()}). */
    public ServerConfig withEnv(Map<String, String> extra) {
        Map<String, String> merged = new java.util.HashMap<>(env);
        merged.putAll(extra);
        return new ServerConfig(scheme, host, port, models, origins, noPrune, keepAlive, Map.copyOf(merged));
    }

    public ServerConfig withOrigins(String ollamaOrigins) {
        return new ServerConfig(scheme, host, port, models, allowedOrigins(ollamaOrigins), noPrune, keepAlive, env);
    }

    /** An environment value with surrounding whitespace and then quotes stripped, as Ollama reads them; "" if unset. */
    public static String var(Map<String, String> env, String key) {
        String v = env.get(key);
        if (v == null) return "";
        v = v.strip();
        while (v.length() >= 1 && (v.startsWith("\"") || v.startsWith("'"))) v = v.substring(1);
        while (v.length() >= 1 && (v.endsWith("\"") || v.endsWith("'"))) v = v.substring(0, v.length() - 1);
        return v.strip();
    }

    /** Go's ParseBool, where any other non-empty value counts as true. */
    public static boolean bool(String v) {
        if (v.isEmpty()) return false;
        return switch (v) {
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> true;
        };
    }

    /**
     * {@code OLLAMA_HOST} as Ollama parses it: optional scheme ({@code http} default; {@code http://} without a port
     * means 80, {@code https://} 443, a bare host 11434), invalid ports fall back to 11434, a path is kept.
     */
    public static URI parseHost(String s) {
        String scheme = "http";
        String defaultPort = String.valueOf(DEFAULT_PORT);
        s = s.strip();
        int sep = s.indexOf("://");
        if (sep >= 0) {
            scheme = s.substring(0, sep);
            s = s.substring(sep + 3);
            if (scheme.equals("http")) defaultPort = "80";
            else if (scheme.equals("https")) defaultPort = "443";
        }
        String path = "";
        int slash = s.indexOf('/');
        if (slash >= 0) {
            path = s.substring(slash);
            s = s.substring(0, slash);
        }
        String host = s, port = defaultPort;
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            host = end > 0 ? s.substring(1, end) : s.substring(1);
            String rest = end > 0 ? s.substring(end + 1) : "";
            if (rest.startsWith(":")) port = rest.substring(1);
        } else if (s.chars().filter(c -> c == ':').count() > 1) {
            host = s; // a bare IPv6 address
        } else {
            int c = s.lastIndexOf(':');
            if (c >= 0) {
                host = s.substring(0, c);
                port = s.substring(c + 1);
            }
        }
        if (sep < 0 && host.isEmpty() && s.isEmpty()) host = "127.0.0.1";
        int p;
        try {
            p = Integer.parseInt(port);
            if (p < 0 || p > 65535) p = DEFAULT_PORT;
        } catch (NumberFormatException e) {
            p = DEFAULT_PORT;
        }
        String h = host.contains(":") ? "[" + host + "]" : host;
        return URI.create(scheme + "://" + h + ":" + p + path);
    }

    /** {@code OLLAMA_ORIGINS} entries followed by Ollama's built-in local origins. */
    public static List<String> allowedOrigins(String ollamaOrigins) {
        List<String> out = new ArrayList<>();
        if (!ollamaOrigins.isEmpty()) {
            for (String o : ollamaOrigins.split(",")) {
                if (!o.strip().isEmpty()) out.add(o.strip());
            }
        }
        for (String h : List.of("localhost", "127.0.0.1", "0.0.0.0")) {
            out.add("http://" + h);
            out.add("https://" + h);
            out.add("http://" + h + ":*");
            out.add("https://" + h + ":*");
        }
        out.addAll(List.of("app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*"));
        return List.copyOf(out);
    }

    /** The largest JSON request body read ({@code JOLLAMA_MAX_REQUEST_BODY} bytes, default 64 MiB); larger is 413. */
    public long maxRequestBody() {
        String v = var(env, "JOLLAMA_MAX_REQUEST_BODY");
        try {
            return v.isEmpty() ? io.jollama.server.api.Http.DEFAULT_MAX_BODY : Math.max(1, Long.parseLong(v));
        } catch (NumberFormatException e) {
            return io.jollama.server.api.Http.DEFAULT_MAX_BODY;
        }
    }

    /** How long start-up pruning leaves recently written blobs alone. */
    public static final Duration PRUNE_GRACE = Duration.ofHours(1);
}
