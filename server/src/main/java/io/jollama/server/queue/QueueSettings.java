package io.jollama.server.queue;

import io.jollama.server.ServerConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The queue's settings (QUEUE-HF-GALLERY.md, "Settings and paths"), from the environment.
 *
 * @param db             {@code JOLLAMA_DB}: the SQLite file, default {@code jollama.db} beside the model store
 * @param pullQueue      {@code JOLLAMA_PULL_QUEUE}: {@code /api/pull} of a model not installed is queued
 * @param window         {@code JOLLAMA_QUEUE_WINDOW}
 * @param rateLimit      {@code JOLLAMA_RATE_LIMIT}: new entries per client per day, 0 = no limit
 * @param trustedProxies {@code JOLLAMA_TRUSTED_PROXIES}: addresses whose {@code X-Forwarded-For} is believed
 * @param diskThreshold  {@code JOLLAMA_DISK_THRESHOLD}: disk use (percent) at which downloads are refused
 * @param hfEndpoint     {@code HF_ENDPOINT}
 * @param hfToken        {@code HF_TOKEN} ("" when unset)
 * @param retryDelay     the wait before the second attempt (doubled before the third)
 */
public record QueueSettings(Path db, boolean pullQueue, OffPeakWindow window, int rateLimit, Set<String> trustedProxies,
                            int diskThreshold, String hfEndpoint, String hfToken, Duration retryDelay) {

    public static final int ATTEMPTS = 3;

    public static QueueSettings fromConfig(ServerConfig config) {
        Map<String, String> env = config.env();
        String db = ServerConfig.var(env, "JOLLAMA_DB");
        Path store = config.models().toAbsolutePath();
        Path dbPath = db.isEmpty() ? (store.getParent() == null ? store : store.getParent()).resolve("jollama.db") : Path.of(db);
        String hf = ServerConfig.var(env, "HF_ENDPOINT");
        return new QueueSettings(dbPath, ServerConfig.bool(ServerConfig.var(env, "JOLLAMA_PULL_QUEUE")),
                OffPeakWindow.parse(ServerConfig.var(env, "JOLLAMA_QUEUE_WINDOW")),
                number(env, "JOLLAMA_RATE_LIMIT", 5), Arrays.stream(ServerConfig.var(env, "JOLLAMA_TRUSTED_PROXIES").split(","))
                        .map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet()),
                number(env, "JOLLAMA_DISK_THRESHOLD", 90), hf.isEmpty() ? "https://huggingface.co" : hf,
                ServerConfig.var(env, "HF_TOKEN"), Duration.ofSeconds(60));
    }

    private static int number(Map<String, String> env, String key, int fallback) {
        String v = ServerConfig.var(env, key);
        if (v.isEmpty()) return fallback;
        try {
            int n = Integer.parseInt(v);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number of 0 or more, not \"" + v + "\"");
        }
    }
}
