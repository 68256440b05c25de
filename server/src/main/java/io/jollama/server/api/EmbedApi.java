package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.engine.tokenizer.Tokenizer;
import io.jollama.server.ServerContext;
import io.jollama.server.api.InferenceTypes.EmbedRequest;
import io.jollama.server.api.InferenceTypes.EmbedResponse;
import io.jollama.server.api.InferenceTypes.EmbeddingsRequest;
import io.jollama.server.api.InferenceTypes.EmbeddingsResponse;
import io.jollama.server.api.ModelResolver.Resolved;
import io.jollama.server.sched.Scheduler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.jollama.server.api.ModelResolver.quote;

/** {@code POST /api/embed} and the legacy {@code POST /api/embeddings}. */
public final class EmbedApi {

    private final ModelResolver models;

    public EmbedApi(ServerContext s) {
        this.models = new ModelResolver(s);
    }

    /**
     * {@code POST /api/embed}: one vector per input, L2-normalised, optionally cut to {@code dimensions}. An
     * embedding model (an encoder) pools its hidden states as its GGUF says, many inputs per forward pass; any other
     * model is accepted, as in Ollama, and mean-pools its final (normed) hidden states input by input.
     */
    public void embed(Context ctx) {
        EmbedRequest req = Http.decode(ctx, EmbedRequest.class, EmbedRequest.EMPTY);
        String raw = req.model() == null ? "" : req.model();
        if (raw.isEmpty()) throw ApiException.notFound("model '' not found");
        Embeddings e = compute(ctx, req, inputs(req.input()));
        if (e.vectors().isEmpty()) Http.json(ctx, new EmbedResponse(raw, e.vectors(), 0, 0, 0));
        else Http.json(ctx, new EmbedResponse(raw, e.vectors(), e.totalNanos(), e.loadNanos(), e.promptTokens()));
    }

    /** The vectors of one embed request, with its timings and the number of tokens embedded. */
    public record Embeddings(List<float[]> vectors, long totalNanos, long loadNanos, int promptTokens) {}

    /** The strings of an {@code input} field: one string (none when empty) or a list of strings. */
    public static List<String> inputs(Object input) {
        List<String> inputs = new ArrayList<>();
        switch (input) {
            case null -> { }
            case String one -> { if (!one.isEmpty()) inputs.add(one); }
            case List<?> many -> {
                for (Object o : many) {
                    if (!(o instanceof String str)) throw ApiException.badRequest("invalid input type");
                    inputs.add(str);
                }
            }
            default -> throw ApiException.badRequest("invalid input type");
        }
        return inputs;
    }

    /** Embeds the inputs with the request's model, truncation, dimensions and options (shared with {@code /v1/embeddings}). */
    public Embeddings compute(Context ctx, EmbedRequest req, List<String> inputs) {
        long start = System.nanoTime();
        String raw = req.model() == null ? "" : req.model();
        if (raw.isEmpty()) throw ApiException.notFound("model '' not found");
        Resolved m = models.resolve(raw);
        Duration keepAlive = ModelResolver.keepAlive(req.keepAlive());
        RunOptions opts = models.options(m, req.options());
        try (Scheduler.Lease lease = models.acquire(m, opts, keepAlive, ClientConnection.of(ctx))) {
            Tokenizer tok = lease.runner().tokenizer();
            int limit = lease.runner().numCtx() - (tok.addBos() ? 1 : 0) - (tok.addEos() ? 1 : 0);
            List<int[]> tokenized = new ArrayList<>();
            int tokens = 0;
            for (String input : inputs) {
                int[] ids = tok.encode(input, true, true);
                if (ids.length > lease.runner().numCtx()) {
                    if (Boolean.FALSE.equals(req.truncate())) throw ApiException.badRequest("the input length exceeds the context length");
                    ids = java.util.Arrays.copyOf(ids, Math.max(1, limit));
                }
                if (ids.length == 0) ids = new int[]{Math.max(0, tok.bos())};
                tokens += ids.length;
                tokenized.add(ids);
            }
            List<float[]> pooled = new ArrayList<>();
            if (lease.runner().model().encoder()) {
                // an encoder embeds many inputs per forward pass
                if (!tokenized.isEmpty()) pooled.addAll(lease.run(() -> lease.runner().embed(tokenized)));
            } else {
                for (int[] in : tokenized) pooled.add(lease.run(() -> lease.sequence().embed(in)));
            }
            List<float[]> vectors = new ArrayList<>();
            for (float[] p : pooled) {
                float[] v = normalize(p);
                Integer dims = req.dimensions();
                if (dims != null && dims > 0 && dims < v.length) v = normalize(java.util.Arrays.copyOf(v, dims));
                vectors.add(v);
            }
            return new Embeddings(vectors, System.nanoTime() - start, lease.loadNanos(), tokens);
        }
    }

    /** {@code POST /api/embeddings} (legacy): one prompt, the pooled vector not normalised, as float64s. */
    public void embeddings(Context ctx) {
        EmbeddingsRequest req = Http.decode(ctx, EmbeddingsRequest.class, EmbeddingsRequest.EMPTY);
        String raw = req.model() == null ? "" : req.model();
        if (raw.isEmpty()) throw ApiException.badRequest("model is required");
        Resolved m;
        try {
            m = models.resolve(raw);
        } catch (ApiException e) {
            if (e.status() == 404) throw ApiException.notFound("model " + quote(raw) + " not found, try pulling it first");
            throw e;
        }
        Duration keepAlive = ModelResolver.keepAlive(req.keepAlive());
        RunOptions opts = models.options(m, req.options());
        try (Scheduler.Lease lease = models.acquire(m, opts, keepAlive, ClientConnection.of(ctx))) {
            String prompt = req.prompt() == null ? "" : req.prompt();
            if (prompt.isEmpty()) {
                Http.json(ctx, new EmbeddingsResponse(new double[0]));
                return;
            }
            int[] ids = lease.runner().tokenizer().encode(prompt, true, true);
            if (ids.length > lease.runner().numCtx()) ids = java.util.Arrays.copyOf(ids, lease.runner().numCtx());
            int[] in = ids;
            float[] v = lease.run(() -> lease.sequence().embed(in));
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) d[i] = v[i];
            Http.json(ctx, new EmbeddingsResponse(d));
        }
    }

    private static float[] normalize(float[] v) {
        double sum = 0;
        for (float x : v) {
            if (!Float.isFinite(x)) throw new ApiException(500, "embedding contains NaN or Inf values");
            sum += (double) x * x;
        }
        double norm = Math.sqrt(sum);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = norm == 0 ? 0f : (float) (v[i] / norm);
        return out;
    }
}
