package io.jollama.server.sched;

import io.jollama.engine.model.KvCache;
import io.jollama.server.ServerConfig;

import java.time.Duration;
import java.util.Map;

/**
 * The scheduler's limits, from Ollama's environment variables (spec §10): OLLAMA_KEEP_ALIVE (5m),
 * OLLAMA_MAX_LOADED_MODELS (0 = 3 on a CPU), OLLAMA_NUM_PARALLEL (1), OLLAMA_MAX_QUEUE (512),
 * OLLAMA_CONTEXT_LENGTH (0 = 4096 without a GPU), OLLAMA_KV_CACHE_TYPE (f16).
 */
public record SchedulerSettings(Duration keepAlive, int maxLoadedModels, int numParallel, int maxQueue,
                                int defaultNumCtx, KvCache.Type kvCacheType) {

    public static final int DEFAULT_NUM_CTX = 4096;

    public static SchedulerSettings defaults() {
        return fromEnv(Map.of());
    }

    public static SchedulerSettings fromEnv(Map<String, String> env) {
        Duration keepAlive = KeepAlive.fromEnv(ServerConfig.var(env, "OLLAMA_KEEP_ALIVE"), Duration.ofMinutes(5));
        int maxLoaded = uint(ServerConfig.var(env, "OLLAMA_MAX_LOADED_MODELS"), 0);
        int parallel = uint(ServerConfig.var(env, "OLLAMA_NUM_PARALLEL"), 1);
        int queue = uint(ServerConfig.var(env, "OLLAMA_MAX_QUEUE"), 512);
        int ctx = uint(ServerConfig.var(env, "OLLAMA_CONTEXT_LENGTH"), 0);
        KvCache.Type kv;
        try {
            kv = KvCache.Type.parse(ServerConfig.var(env, "OLLAMA_KV_CACHE_TYPE"));
        } catch (IllegalArgumentException e) {
            kv = KvCache.Type.F16; // Ollama falls back to f16 for a type the backend cannot use
        }
        return new SchedulerSettings(keepAlive, maxLoaded <= 0 ? 3 : maxLoaded, Math.max(1, parallel), queue,
                ctx > 0 ? ctx : DEFAULT_NUM_CTX, kv);
    }

    public SchedulerSettings withKeepAlive(Duration d) {
        return new SchedulerSettings(d, maxLoadedModels, numParallel, maxQueue, defaultNumCtx, kvCacheType);
    }

    public SchedulerSettings withLimits(int maxLoaded, int parallel, int queue) {
        return new SchedulerSettings(keepAlive, maxLoaded, parallel, queue, defaultNumCtx, kvCacheType);
    }

    private static int uint(String v, int fallback) {
        if (v == null || v.isBlank()) return fallback;
        try {
            int n = Integer.parseInt(v.strip());
            return n < 0 ? fallback : n;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
