package io.jollama.server.registry;

import io.jollama.server.ServerConfig;
import io.jollama.server.store.ModelStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The registry a server uses: over its model store, with its key and the tuning knobs of its environment. */
public final class ServerRegistry {

    private static final Logger log = LoggerFactory.getLogger(ServerRegistry.class);

    private ServerRegistry() {}

    /** The User-Agent of the server's outgoing downloads (the Hugging Face importer's too). */
    public static String userAgent() {
        return Registry.defaultUserAgent();
    }

    /** The server's registry: store-backed, signing token requests with {@code ~/.ollama/id_ed25519}. */
    public static Registry create(ModelStore store, ServerConfig config) {
        Map<String, String> env = config.env();
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        RequestSigner signer = new LazyKey(Path.of(home, ".ollama", "id_ed25519"));
        return new Registry(new StoreStorage(store, !config.noPrune()), signer, options(env));
    }

    /**
     * Ollama's transfer plan, with two tuning knobs (used by tests to make parts and retry waits small):
     * {@code JOLLAMA_REGISTRY_PART_SIZE} (bytes per part, fixed) and {@code JOLLAMA_REGISTRY_RETRY_DELAY_MS}.
     */
    static Registry.Options options(Map<String, String> env) {
        Registry.Options o = Registry.Options.defaults();
        BlobDownloader.Options d = o.download();
        long part = number(ServerConfig.var(env, "JOLLAMA_REGISTRY_PART_SIZE"), 0);
        long retry = number(ServerConfig.var(env, "JOLLAMA_REGISTRY_RETRY_DELAY_MS"), d.retryDelay().toMillis());
        d = new BlobDownloader.Options(part > 0 ? part : d.minPartSize(), part > 0 ? part : d.maxPartSize(),
                d.parallelParts(), d.attempts(), Duration.ofMillis(retry), d.stallTimeout());
        return o.withDownload(d).withUploadPartSize(part);
    }

    private static long number(String s, long fallback) {
        try {
            return s.isEmpty() ? fallback : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Loads (or creates) the Ollama key on the first token request; without a usable key requests go unsigned. */
    private static final class LazyKey implements RequestSigner {
        private final Path file;
        private OllamaKey key;
        private boolean failed;

        LazyKey(Path file) {
            this.file = file;
        }

        @Override
        public synchronized String authorization(String method, URI url) {
            if (key == null && !failed) {
                try {
                    key = OllamaKey.loadOrCreate(file);
                } catch (IOException | RuntimeException e) {
                    failed = true;
                    log.warn("cannot use registry key {}: {}; token requests go unsigned", file, e.getMessage());
                }
            }
            return key == null ? null : key.authorization(method, url);
        }
    }
}
