package io.jollama.server.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.javalin.http.Context;
import io.jollama.server.Progress;
import io.jollama.server.ndjson.ClientGoneException;
import io.jollama.server.ndjson.ProgressStream;
import io.jollama.server.registry.Registry;
import io.jollama.server.registry.RegistryException;
import io.jollama.server.registry.RegistryName;
import io.jollama.server.registry.StoreStorage;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.ModelStore;
import java.io.IOException;
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
    public void pullFrom(ModelName name, Consumer<Progress> progress) throws IOException {
        RegistryName target = StoreStorage.toRegistryName(store.resolve(name));
        try {
            registry.pull(target, target.scheme().equalsIgnoreCase("http"), progress);
        } catch (RegistryException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** A pull without an HTTP exchange (the download queue's worker); throws {@link RegistryException}. */
    public void pull(ModelName name, boolean insecure, Consumer<Progress> progress) {
        registry.pull(StoreStorage.toRegistryName(store.resolve(name)), insecure, progress);
    }

    private void run(Context ctx, TransferRequest r, String what, Consumer<Consumer<Progress>> work) {
        ProgressStream out = new ProgressStream(ctx, r.streaming());
        try {
            work.accept(out::send);
            out.finish();
        } catch (ClientGoneException e) {
            log.info("{}: client went away", what);
        } catch (RegistryException e) {
            log.warn("{} failed: {}", what, e.getMessage());
            out.fail(ApiErrors.status(e), e.getMessage());
        }
    }
}
