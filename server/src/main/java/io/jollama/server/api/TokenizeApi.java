package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.tokenizer.Tokenizer;
import io.jollama.server.ServerContext;
import io.jollama.server.api.InferenceTypes.DetokenizeRequest;
import io.jollama.server.api.InferenceTypes.DetokenizeResponse;
import io.jollama.server.api.InferenceTypes.TokenizeRequest;
import io.jollama.server.api.InferenceTypes.TokenizeResponse;
import io.jollama.server.api.ModelResolver.Resolved;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static io.jollama.server.api.ModelResolver.quote;

/** {@code POST /api/tokenize} and {@code POST /api/detokenize}: the model's tokenizer, without loading its weights. */
public final class TokenizeApi {

    private final ServerContext s;
    private final ModelResolver models;

    public TokenizeApi(ServerContext s) {
        this.s = s;
        this.models = new ModelResolver(s);
    }

    public void tokenize(Context ctx) {
        TokenizeRequest req = Http.decode(ctx, TokenizeRequest.class, TokenizeRequest.EMPTY);
        Tokenizer tok = tokenizer(req.model());
        String content = req.content() == null ? "" : req.content();
        Http.json(ctx, new TokenizeResponse(req.model(), tok.encode(content, true, true)));
    }

    public void detokenize(Context ctx) {
        DetokenizeRequest req = Http.decode(ctx, DetokenizeRequest.class, DetokenizeRequest.EMPTY);
        Tokenizer tok = tokenizer(req.model());
        List<Integer> ids = req.tokens() == null ? List.of() : req.tokens();
        StringBuilder sb = new StringBuilder();
        var bytes = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= tok.vocabSize()) throw ApiException.badRequest("token id " + id + " is out of range (vocabulary of " + tok.vocabSize() + ")");
            bytes.writeBytes(tok.tokenBytes(id));
        }
        sb.append(bytes.toString(StandardCharsets.UTF_8));
        Http.json(ctx, new DetokenizeResponse(req.model(), sb.toString()));
    }

    /** The tokenizer of a model, read from its GGUF header (no need to load the weights). */
    private Tokenizer tokenizer(String rawModel) {
        String raw = rawModel == null ? "" : rawModel;
        if (raw.isEmpty()) throw ApiException.badRequest("model is required");
        Resolved m = models.resolve(raw);
        GgufFile header = s.views().requireHeader(m.contents());
        if (header == null) throw ApiException.badRequest(quote(raw) + " has no model weights");
        synchronized (tokenizers) {
            return tokenizers.computeIfAbsent(m.contents().modelPath().toString(), k -> Tokenizer.fromGguf(header));
        }
    }

    private final Map<String, Tokenizer> tokenizers = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Tokenizer> eldest) {
            return size() > 8;
        }
    };
}
