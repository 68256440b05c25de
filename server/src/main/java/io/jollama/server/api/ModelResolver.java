package io.jollama.server.api;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.server.ServerContext;
import io.jollama.server.sched.KeepAlive;
import io.jollama.server.sched.LoadRequest;
import io.jollama.server.sched.Scheduler;
import io.jollama.server.store.Layer;
import io.jollama.server.store.ModelContents;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.StoreException;
import io.jollama.server.store.StoredModel;
import io.jollama.server.template.Template;
import io.jollama.server.gotemplate.TemplateException;

import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The steps every model-running endpoint (generate, chat, embed, tokenize) takes with Ollama's errors: the request's
 * model found in the store with its layers read, its effective options, and a slot on its runner from the scheduler.
 */
final class ModelResolver {

    /** A request's model, found in the store with its layers read. */
    record Resolved(String name, ModelContents contents, String digest, long size, Template template) {}

    private final ServerContext s;

    ModelResolver(ServerContext s) {
        this.s = s;
    }

    Resolved resolve(String raw) {
        ModelName name = ModelName.parse(raw);
        if (!name.isValid()) throw ApiException.badRequest("invalid model name");
        StoredModel stored = s.store().find(name).orElseThrow(() -> ApiException.notFound("model '" + raw + "' not found"));
        ModelContents contents;
        try {
            contents = ModelContents.load(s.store(), stored);
        } catch (StoreException e) {
            throw ApiException.notFound("model " + quote(raw) + " not found, try pulling it first");
        }
        if (contents.modelPath() == null) throw ApiException.notFound("model " + quote(raw) + " not found, try pulling it first");
        long size = stored.manifest().layers().stream().mapToLong(Layer::size).sum()
                + (stored.manifest().config() == null ? 0 : stored.manifest().config().size());
        Template template;
        try {
            template = contents.template() == null ? Template.DEFAULT : Template.parse(contents.template());
        } catch (TemplateException e) {
            throw new ApiException(500, "model " + raw + " has an invalid template: " + e.getMessage());
        }
        return new Resolved(stored.name().toString(), contents, stored.digest(), size, template);
    }

    RunOptions options(Resolved m, Map<String, Object> requestOptions) {
        if (requestOptions != null) {
            for (Object v : requestOptions.values()) {
                // Go's decoder refuses a number float64 cannot hold (1e999999); Jackson reads it as infinity
                if (v instanceof Number n && !Double.isFinite(n.doubleValue())) {
                    throw ApiException.badRequest("json: cannot unmarshal number into Go struct field .options of type float64");
                }
            }
        }
        GgufFile h = s.views().requireHeader(m.contents());
        int train = h == null ? 0 : h.getInt(h.getString("general.architecture", "") + ".context_length", 0);
        try {
            return RunOptions.resolve(m.contents().params(), requestOptions, s.scheduler().settings().defaultNumCtx(), train);
        } catch (RunOptions.OptionException e) {
            throw new ApiException(500, e.getMessage());
        }
    }

    /** A slot on the model's runner, loading it if needed; waiting ends early when {@code clientGone} turns true. */
    Scheduler.Lease acquire(Resolved m, RunOptions opts, Duration keepAlive, BooleanSupplier clientGone) {
        boolean mmap = opts.useMmap() != null && opts.useMmap();
        // as Ollama: a model with a vision projector gets a context of at least 2048 (room for an image and text)
        int numCtx = m.contents().projectorPaths().isEmpty() ? opts.numCtx() : Math.max(opts.numCtx(), 2048);
        LoadRequest lr = new LoadRequest(m.contents().stored().name().displayShortest(), m.digest(), m.contents().modelPath(), m.size(),
                numCtx, opts.numBatch(), mmap, m.contents().modelPaths(), m.contents().adapterPaths(), m.contents().projectorPaths());
        return s.scheduler().acquire(lr, keepAlive, clientGone,
                io.jollama.server.auth.AuthGuard.KEY_NAME.isBound() ? io.jollama.server.auth.AuthGuard.KEY_NAME.get() : null);
    }

    /** Unloads the model (now if idle, else when its requests end): {@code keep_alive: 0} without a prompt. */
    void unload(Resolved m) {
        if (m.contents().modelPath() != null) s.scheduler().unload(m.contents().modelPath(), m.contents().adapterPaths());
    }

    static Duration keepAlive(Object value) {
        try {
            return KeepAlive.fromJson(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** A name quoted as Go's {@code %q} quotes it in Ollama's messages. */
    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
