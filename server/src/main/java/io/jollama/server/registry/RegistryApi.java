package io.jollama.server.registry;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.javalin.http.Context;
import io.jollama.server.ServerConfig;
import io.jollama.server.api.ApiException;
import io.jollama.server.api.Http;
import io.jollama.server.api.ProgressStream;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.ModelStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/pull} and {@code POST /api/push} (OLLAMA-COMPAT §1.10, §1.11): request checks before anything is
 * streamed, then the registry's progress as NDJSON (or only the last object with {@code "stream": false}). As in
 * Ollama, a failure after the first status is a final {@code {"error": ...}} line, and with {@code stream:false}
 * a 500 with {@code {"error": ...}}.
 */
public final class RegistryApi {

    private static final Logger log = LoggerFactory.getLogger(RegistryApi.class);

    /** The body of both endpoints; {@code username}/{@code password} are accepted and ignored, as by Ollama. */
    public record TransferRequest(@JsonProperty("model") String model, @JsonProperty("name") String name,
                                  @JsonProperty("insecure") Boolean insecure, @JsonProperty("stream") Boolean stream) {
        static final TransferRequest EMPTY = new TransferRequest(null, null, null, null);

        boolean streaming() {
            return stream == null || stream;
        }

        boolean allowHttp() {
            return insecure != null && insecure;
        }
    }

    private final ModelStore store;
    private final Registry registry;

    public RegistryApi(ModelStore store, Registry registry) {
        this.store = store;
        this.registry = registry;
    }

    /** The server's registry: store-backed, signing token requests with {@code ~/.ollama/id_ed25519}. */
    public static RegistryApi forServer(ModelStore store, ServerConfig config) {
        Map<String, String> env = config.env();
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        RequestSigner signer = new LazyKey(Path.of(home, ".ollama", "id_ed25519"));
        Registry registry = new Registry(new StoreStorage(store, !config.noPrune()), signer, options(env));
        return new RegistryApi(store, registry);
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

    /** The User-Agent of the server's outgoing downloads. */
    public static String userAgent() {
        return Registry.defaultUserAgent();
    }

    public void pull(Context ctx) {
        TransferRequest r = Http.decode(ctx, TransferRequest.class, TransferRequest.EMPTY);
        String raw = Http.either(r.model(), r.name()).strip();
        ModelName name = ModelName.parse(raw);
        if (raw.isEmpty() || !name.isValid()) throw ApiException.badRequest("invalid model name");
        name = store.resolve(name); // an existing spelling of the name is reused, as Ollama's getExistingName
        RegistryName target = StoreStorage.toRegistryName(name);
        run(ctx, r, "pull " + name.displayShortest(), out -> registry.pull(target, r.allowHttp(), out));
    }

    public void push(Context ctx) {
        TransferRequest r = Http.decode(ctx, TransferRequest.class, TransferRequest.EMPTY);
        String raw = Http.either(r.model(), r.name()).strip();
        if (raw.isEmpty()) throw ApiException.badRequest("model is required");
        ModelName name = ModelName.parse(raw);
        if (!name.isValid()) throw ApiException.badRequest("invalid model name");
        name = store.resolve(name);
        RegistryName target = StoreStorage.toRegistryName(name);
        run(ctx, r, "push " + name.displayShortest(), out -> registry.push(target, r.allowHttp(), out));
    }

    /**
     * The pull {@code /api/create} runs for a {@code from} model that is not in the store (Ollama pulls it with
     * default options). A {@code from} name spelled with {@code http://} may use a plain-http registry, as create
     * has no {@code insecure} field.
     */
    public void pullFrom(ModelName name, Consumer<io.jollama.server.api.Progress> progress) throws IOException {
        RegistryName target = StoreStorage.toRegistryName(store.resolve(name));
        try {
            registry.pull(target, target.scheme().equalsIgnoreCase("http"), p -> progress.accept(
                    new io.jollama.server.api.Progress(p.status(), p.digest(), p.total(), p.completed())));
        } catch (RegistryException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** A pull without an HTTP exchange (the download queue's worker); throws {@link RegistryException}. */
    public void pull(ModelName name, boolean insecure, Consumer<io.jollama.server.api.Progress> progress) {
        RegistryName target = StoreStorage.toRegistryName(store.resolve(name));
        registry.pull(target, insecure, p -> progress.accept(
                new io.jollama.server.api.Progress(p.status(), p.digest(), p.total(), p.completed())));
    }

    private void run(Context ctx, TransferRequest r, String what, Consumer<Consumer<Progress>> work) {
        ProgressStream out = new ProgressStream(ctx, r.streaming());
        try {
            work.accept(p -> out.send(new io.jollama.server.api.Progress(p.status(), p.digest(), p.total(), p.completed())));
            out.finish();
        } catch (ProgressStream.ClientGoneException e) {
            log.info("{}: client went away", what);
        } catch (RegistryException e) {
            log.warn("{} failed: {}", what, e.getMessage());
            out.fail(500, e.getMessage());
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
