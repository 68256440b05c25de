package io.jollama.server.openai;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.jollama.server.Json;
import io.jollama.server.ServerContext;
import io.jollama.server.api.ApiErrors;
import io.jollama.server.api.ClientConnection;
import io.jollama.server.api.ApiException;
import io.jollama.server.api.Http;
import io.jollama.server.api.InferenceApi;
import io.jollama.server.api.EmbedApi;
import io.jollama.server.api.InferenceTypes;
import io.jollama.server.ndjson.ClientGoneException;
import io.jollama.server.openai.OpenAiTypes.*;
import io.jollama.server.store.Manifests;
import io.jollama.server.store.ModelContents;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.StoredModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The OpenAI-compatible endpoints under {@code /v1} (spec §9): a translation layer over the native handlers, as
 * Ollama's is. A request is turned into a native one ({@link RequestTranslator}), served by {@link InferenceApi},
 * and its responses are rewritten as OpenAI objects ({@link ChatCompletionOutput}, {@link CompletionOutput}).
 * Every error is answered in OpenAI's shape {@code {"error":{"message","type","param","code"}}} with the native status.
 */
public final class OpenAiApi {

    private static final Logger log = LoggerFactory.getLogger(OpenAiApi.class);

    private final ServerContext s;
    private final InferenceApi inference;
    private final EmbedApi embed;

    public OpenAiApi(ServerContext s, InferenceApi inference, EmbedApi embed) {
        this.s = s;
        this.inference = inference;
        this.embed = embed;
    }

    public void chatCompletions(Context ctx) {
        long start = System.nanoTime();
        ChatCompletionRequest req = decode(ctx, ChatCompletionRequest.class);
        var nativeReq = RequestTranslator.chat(req);
        boolean usage = req.streamOptions() != null && Boolean.TRUE.equals(req.streamOptions().includeUsage());
        inference.chat(nativeReq, new ChatCompletionOutput(ctx, nativeReq.stream(), usage, "chatcmpl-" + randomId()), ClientConnection.of(ctx), start);
    }

    public void completions(Context ctx) {
        long start = System.nanoTime();
        CompletionRequest req = decode(ctx, CompletionRequest.class);
        var nativeReq = RequestTranslator.generate(req);
        boolean usage = req.streamOptions() != null && Boolean.TRUE.equals(req.streamOptions().includeUsage());
        inference.generate(nativeReq, new CompletionOutput(ctx, nativeReq.stream(), usage, "cmpl-" + randomId()), ClientConnection.of(ctx), start);
    }

    public void models(Context ctx) {
        List<ModelEntry> data = new ArrayList<>();
        for (Manifests.Entry e : s.store().list()) {
            if (e.model() == null) continue; // unreadable manifest; /api/tags logs and skips it too
            StoredModel m = e.model();
            data.add(entry(m.name().displayShortest(), m));
        }
        Http.json(ctx, new ModelList("list", data.isEmpty() ? null : data));
    }

    public void model(Context ctx) {
        String raw = ctx.pathParam("model");
        ModelName name = ModelName.parse(raw);
        Optional<StoredModel> found = name.isValid() ? s.store().find(name) : Optional.empty();
        if (found.isEmpty()) {
            throw ApiException.notFound("model '" + (name.isValid() ? name.displayShortest() : raw) + "' not found");
        }
        Http.json(ctx, entry(raw, found.get()));
    }

    /**
     * {@code POST /v1/embeddings}: checked as Ollama checks it, embedded by the native {@code /api/embed} code, and
     * answered in OpenAI's shape (vectors as float lists, or base64 of little-endian float32 when asked).
     */
    public void embeddings(Context ctx) {
        EmbeddingRequest req = decode(ctx, EmbeddingRequest.class);
        String format = req.encodingFormat();
        if (format != null && !format.isEmpty() && !format.equalsIgnoreCase("float") && !format.equalsIgnoreCase("base64")) {
            throw ApiException.badRequest("Invalid value for 'encoding_format' = " + format + ". Supported values: ['float', 'base64'].");
        }
        Object input = req.input();
        boolean valid = input instanceof String || (input instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(String.class::isInstance));
        if (!valid) throw ApiException.badRequest("invalid input");
        String raw = req.model() == null ? "" : req.model();
        ModelName name = ModelName.parse(raw);
        Optional<StoredModel> found = name.isValid() ? s.store().find(name) : Optional.empty();
        if (found.isEmpty()) throw ApiException.notFound("model " + Json.write(raw) + " not found, try pulling it first");
        List<String> caps = s.views().capabilities(ModelContents.load(s.store(), found.get()));
        if (!caps.contains("embedding")) throw ApiException.badRequest(Json.write(raw) + " does not support embeddings");
        List<String> inputs = input instanceof String one ? List.of(one) : EmbedApi.inputs(input);
        EmbedApi.Embeddings e = embed.compute(ctx, new InferenceTypes.EmbedRequest(raw, input, null, req.dimensions(), null, null), inputs);
        boolean base64 = "base64".equalsIgnoreCase(format);
        List<EmbeddingData> data = new ArrayList<>();
        for (int i = 0; i < e.vectors().size(); i++) {
            float[] v = e.vectors().get(i);
            Object out = v;
            if (base64) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (float x : v) b.putFloat(x);
                out = java.util.Base64.getEncoder().encodeToString(b.array());
            }
            data.add(new EmbeddingData("embedding", out, i));
        }
        Http.json(ctx, new EmbeddingList("list", data, raw, new EmbeddingUsage(e.promptTokens(), e.promptTokens())));
    }

    // ------------------------------------------------------------------ shared

    private static ModelEntry entry(String id, StoredModel m) {
        return new ModelEntry(id, "model", m.modified().getEpochSecond(), m.name().namespace());
    }

    /** Ollama's ids are a random number below 999, not unique; clients only echo them. */
    private static int randomId() {
        return ThreadLocalRandom.current().nextInt(999);
    }

    /** Decodes a body as Go's decoder would; an empty body is Go's {@code EOF}, as Ollama's /v1 answers. */
    private static <T> T decode(Context ctx, Class<T> type) {
        byte[] body = Http.body(ctx);
        if (body.length == 0) throw ApiException.badRequest("EOF");
        try {
            T v = Json.MAPPER.readValue(body, type);
            // Go decodes a JSON null into the zero request; the checks that follow then name what is missing
            return v != null ? v : Json.MAPPER.readValue("{}", type);
        } catch (JacksonException e) {
            throw ApiException.badRequest(Json.decodeError(e));
        }
    }

    static long unixSeconds(String rfc3339) {
        try {
            return OffsetDateTime.parse(rfc3339).toEpochSecond();
        } catch (RuntimeException e) {
            return System.currentTimeMillis() / 1000;
        }
    }

    static void error(Context ctx, int status, String message) {
        Http.json(ctx, status, ErrorBody.of(status, message));
    }

    /** Wraps a handler so that its errors are answered in OpenAI's shape rather than the native {@code {"error": "..."}}. */
    public static Handler openAiErrors(Handler h) {
        return ctx -> {
            try {
                h.handle(ctx);
            } catch (ClientGoneException e) {
                // the client closed the connection; nothing more to write
            } catch (RuntimeException e) {
                if (ApiErrors.expected(e)) {
                    error(ctx, ApiErrors.status(e), e.getMessage());
                    return;
                }
                log.error("{} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, 500, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
        };
    }
}
