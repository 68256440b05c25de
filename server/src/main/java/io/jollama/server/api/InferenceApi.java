package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.runner.GenerateOptions;
import io.jollama.engine.runner.GenerationResult;
import io.jollama.engine.runner.Runner;
import io.jollama.engine.tokenizer.Tokenizer;
import io.jollama.server.Json;
import io.jollama.server.ServerContext;
import io.jollama.server.api.InferenceTypes.*;
import io.jollama.server.sched.KeepAlive;
import io.jollama.server.sched.LoadRequest;
import io.jollama.server.sched.Scheduler;
import io.jollama.server.sched.SchedulerException;
import io.jollama.server.store.Layer;
import io.jollama.server.store.ModelContents;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.StoreException;
import io.jollama.server.store.StoredMessage;
import io.jollama.server.store.StoredModel;
import io.jollama.server.template.ChatMessage;
import io.jollama.server.template.PromptBuilder;
import io.jollama.server.template.RenderRequest;
import io.jollama.server.template.Template;
import io.jollama.server.template.TemplateException;
import io.jollama.server.template.TemplateTags;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * /api/generate, /api/chat, /api/ps, /api/tokenize and /api/detokenize: a request is checked as Ollama checks it
 * (spec §1.2, §1.3), the model is obtained from the {@link Scheduler}, the prompt is rendered through the model's
 * template (spec §6.6), and the generated text is streamed as NDJSON, one line per piece, flushed as it comes.
 * A client that goes away is noticed at the next write, and generation stops there.
 */
public final class InferenceApi {

    private static final Pattern THINK_BLOCK = Pattern.compile("(?s)<think>.*?</think>");

    private final ServerContext s;

    public InferenceApi(ServerContext s) {
        this.s = s;
    }

    // ------------------------------------------------------------------ generate

    public void generate(Context ctx) {
        long start = System.nanoTime();
        GenerateRequest req = Http.decode(ctx, GenerateRequest.class, GenerateRequest.EMPTY);
        generate(req, new NdjsonOutput(ctx, req.stream() == null || req.stream()), start);
    }

    /**
     * Serves a decoded generate request into {@code out} (the native NDJSON writer, or another API's translation of
     * the same responses). Request errors are thrown as {@link ApiException} before anything is written.
     */
    public void generate(GenerateRequest req, Output out, long start) {
        checkTopLogprobs(req.topLogprobs());
        String raw = req.model() == null ? "" : req.model();
        if (raw.isEmpty()) throw ApiException.notFound("model '' not found");
        Resolved m = resolve(raw);
        Duration keepAlive = keepAlive(req.keepAlive());
        String prompt = req.prompt() == null ? "" : req.prompt();
        if (prompt.isEmpty() && keepAlive != null && keepAlive.isZero()) {
            if (m.contents.modelPath() != null) s.scheduler().unload(m.contents.modelPath());
            out.single(new GenerateResponse(raw, now(), "", null, true, "unload", null, Metrics.NONE, null, null));
            return;
        }
        boolean rawMode = Boolean.TRUE.equals(req.raw());
        if (rawMode && (nonEmpty(req.template()) || nonEmpty(req.system()) || (req.context() != null && !req.context().isEmpty()))) {
            throw ApiException.badRequest("raw mode does not support template, system, or context");
        }
        List<String> caps = s.views().capabilities(m.contents);
        if (!caps.contains("completion")) throw ApiException.badRequest(quote(raw) + " does not support generate");
        if (nonEmpty(req.suffix()) && !caps.contains("insert")) throw ApiException.badRequest(m.name + " does not support insert");
        Object think = thinkValue(req.think(), caps, raw);
        checkImages(req.images(), caps, m);
        boolean json = checkFormat(req.format());
        RunOptions opts = options(m, req.options());

        try (Scheduler.Lease lease = acquire(m, opts, keepAlive)) {
            Runner runner = lease.runner();
            if (prompt.isEmpty()) {
                out.single(new GenerateResponse(raw, now(), "", null, true, "load", null,
                        new Metrics(System.nanoTime() - start, lease.loadNanos(), 0, 0, 0, 0), null, null));
                return;
            }
            Tokenizer tok = runner.tokenizer();
            String text;
            int images = req.images() == null ? 0 : req.images().size();
            Template template = m.template();
            if (rawMode) {
                text = prompt;
            } else {
                try {
                    if (nonEmpty(req.suffix())) {
                        text = template.render(RenderRequest.suffix(prompt, req.suffix()));
                    } else {
                        boolean hasContext = req.context() != null && !req.context().isEmpty();
                        List<ChatMessage> msgs = PromptBuilder.generateMessages(req.system(), m.contents.system(),
                                modelfileMessages(m.contents), hasContext, prompt, images);
                        RenderRequest rr = RenderRequest.of(msgs).withThink(think);
                        if (nonEmpty(req.template())) {
                            text = Template.parse(req.template()).render(rr);
                        } else {
                            text = PromptBuilder.chatPrompt(template, rr, runner.numCtx(), true, false,
                                    p -> tok.encode(p, true, true).length).text();
                        }
                    }
                } catch (TemplateException e) {
                    throw ApiException.badRequest(e.getMessage());
                }
                if (req.context() != null && !req.context().isEmpty()) {
                    text = tok.decode(req.context().stream().mapToInt(Integer::intValue).toArray()) + text;
                }
            }
            if (Boolean.TRUE.equals(req.debugRenderOnly())) {
                out.single(new GenerateResponse(raw, now(), "", null, false, null, null, Metrics.NONE, new DebugInfo(text, images), null));
                return;
            }
            ThinkingParser thinking = thinkingParser(template, think, text, rawMode);
            LogprobCollector lp = LogprobCollector.of(req.logprobs(), req.topLogprobs(), tok);
            StringBuilder all = new StringBuilder(), allThinking = new StringBuilder();
            GenerationResult r;
            try {
                r = run(lease, text, opts, req.shift(), json, piece -> {
                    ThinkingParser.Delta d = thinking == null ? new ThinkingParser.Delta("", piece) : thinking.add(piece);
                    emitGenerate(out, raw, d, all, allThinking, lp);
                }, lp);
                if (thinking != null) emitGenerate(out, raw, thinking.flush(), all, allThinking, lp);
            } catch (ApiException e) {
                out.fail(e.status(), e.getMessage());
                return;
            }
            if (out.gone()) return;
            Metrics metrics = metrics(start, lease, r);
            int[] context = rawMode ? null : r.context();
            if (out.stream()) {
                out.send(new GenerateResponse(raw, now(), "", null, true, r.doneReason(), context, metrics, null, LogprobCollector.drain(lp)));
            } else {
                out.single(new GenerateResponse(raw, now(), all.toString(), allThinking.toString(), true, r.doneReason(), context, metrics, null,
                        lp == null ? null : lp.all));
            }
        }
    }

    private static void emitGenerate(Output out, String model, ThinkingParser.Delta d, StringBuilder all, StringBuilder allThinking,
                                     LogprobCollector lp) {
        if (d.content().isEmpty() && d.thinking().isEmpty()) return;
        all.append(d.content());
        allThinking.append(d.thinking());
        if (out.stream()) out.send(new GenerateResponse(model, now(), d.content(), d.thinking(), false, null, null, Metrics.NONE, null,
                LogprobCollector.drain(lp)));
    }

    // ------------------------------------------------------------------ chat

    public void chat(Context ctx) {
        long start = System.nanoTime();
        ChatRequest req = Http.decode(ctx, ChatRequest.class, ChatRequest.EMPTY);
        chat(req, new NdjsonOutput(ctx, req.stream() == null || req.stream()), start);
    }

    /** Serves a decoded chat request into {@code out}; see {@link #generate(GenerateRequest, Output, long)}. */
    public void chat(ChatRequest req, Output out, long start) {
        checkTopLogprobs(req.topLogprobs());
        String raw = req.model() == null ? "" : req.model();
        if (raw.isEmpty()) throw ApiException.badRequest("model is required");
        Resolved m = resolve(raw);
        Duration keepAlive = keepAlive(req.keepAlive());
        List<Message> messages = req.messages() == null ? List.of() : req.messages();
        if (messages.isEmpty() && keepAlive != null && keepAlive.isZero()) {
            if (m.contents.modelPath() != null) s.scheduler().unload(m.contents.modelPath());
            out.single(new ChatResponse(raw, now(), new ResponseMessage("assistant", "", null, null), "unload", true, Metrics.NONE, null, null));
            return;
        }
        List<String> caps = s.views().capabilities(m.contents);
        if (!caps.contains("completion")) throw ApiException.badRequest(quote(raw) + " does not support chat");
        boolean hasTools = req.tools() != null && !req.tools().isEmpty();
        if (hasTools && !caps.contains("tools")) throw ApiException.badRequest(m.name + " does not support tools");
        Object think = thinkValue(req.think(), caps, raw);
        int imageCount = 0;
        for (Message msg : messages) {
            if (msg.images() != null) {
                checkImages(msg.images(), caps, m);
                imageCount += msg.images().size();
            }
        }
        boolean json = checkFormat(req.format());
        RunOptions opts = options(m, req.options());

        try (Scheduler.Lease lease = acquire(m, opts, keepAlive)) {
            Runner runner = lease.runner();
            if (messages.isEmpty()) {
                out.single(new ChatResponse(raw, now(), new ResponseMessage("assistant", "", null, null), "load", true,
                        new Metrics(System.nanoTime() - start, lease.loadNanos(), 0, 0, 0, 0), null, null));
                return;
            }
            Tokenizer tok = runner.tokenizer();
            Template template = m.template();
            List<ChatMessage> msgs = PromptBuilder.chatMessages(m.contents.system(), modelfileMessages(m.contents), toChat(messages));
            msgs = stripOldThinking(msgs, m);
            RenderRequest rr = RenderRequest.of(msgs).withTools(hasTools ? req.tools() : null).withThink(think);
            String text;
            int images;
            try {
                PromptBuilder.Prompt p = PromptBuilder.chatPrompt(template, rr, runner.numCtx(), req.truncate() == null || req.truncate(),
                        false, x -> tok.encode(x, true, true).length);
                text = p.text();
                images = p.imageCount();
            } catch (TemplateException e) {
                throw ApiException.badRequest(e.getMessage());
            }
            if (Boolean.TRUE.equals(req.debugRenderOnly())) {
                out.single(new ChatResponse(raw, now(), new ResponseMessage("", "", null, null), null, false, Metrics.NONE,
                        new DebugInfo(text, images), null));
                return;
            }
            LogprobCollector lp = LogprobCollector.of(req.logprobs(), req.topLogprobs(), tok);
            ChatPieces pieces = new ChatPieces(out, raw, thinkingParser(template, think, text, false),
                    hasTools ? ToolCallParser.forTemplate(template, req.tools()) : null, lp);
            GenerationResult r;
            try {
                r = run(lease, text, opts, req.shift(), json, pieces::add, lp);
                pieces.finish();
            } catch (ApiException e) {
                out.fail(e.status(), e.getMessage());
                return;
            }
            if (out.gone()) return;
            Metrics metrics = metrics(start, lease, r);
            if (out.stream()) {
                out.send(new ChatResponse(raw, now(), new ResponseMessage("assistant", "", null, null), r.doneReason(), true, metrics, null,
                        LogprobCollector.drain(lp)));
            } else {
                out.single(new ChatResponse(raw, now(), pieces.message(), r.doneReason(), true, metrics, null, lp == null ? null : lp.all));
            }
        }
    }

    /**
     * Turns a chat's generated text into response messages: split into thinking and content (when thinking is
     * parsed), then the content searched for tool calls (when the request has tools, spec §8.1). Streaming sends a
     * chunk per piece that yields something, and each batch of tool calls in a chunk of its own with content "";
     * everything is also collected for the non-streaming answer.
     */
    static final class ChatPieces {
        private final Output out;
        private final String model;
        private final ThinkingParser thinking;
        private final ToolCallParser tools;
        private final LogprobCollector lp;
        private final StringBuilder content = new StringBuilder(), thought = new StringBuilder();
        private final List<Map<String, Object>> calls = new ArrayList<>();

        ChatPieces(Output out, String model, ThinkingParser thinking, ToolCallParser tools, LogprobCollector lp) {
            this.out = out;
            this.model = model;
            this.thinking = thinking;
            this.tools = tools;
            this.lp = lp;
        }

        void add(String piece) {
            if (thinking == null) emit("", piece);
            else emit(thinking.add(piece));
        }

        /** The end of generation: whatever the parsers held back. */
        void finish() {
            if (thinking != null) emit(thinking.flush());
            if (tools != null) send("", tools.flush(), null);
        }

        /** The whole answer; {@code tool_calls} only appear when the request had tools. */
        ResponseMessage message() {
            return new ResponseMessage("assistant", content.toString(), thought.toString(), calls.isEmpty() ? null : List.copyOf(calls));
        }

        private void emit(ThinkingParser.Delta d) {
            emit(d.thinking(), d.content());
        }

        private void emit(String thinkingText, String text) {
            if (tools == null || text.isEmpty()) {
                send(thinkingText, text, null);
                return;
            }
            ToolCallParser.Result r = tools.add(text);
            send(thinkingText, r.content(), null);
            if (!r.calls().isEmpty()) send("", "", r.calls().stream().map(ToolCallParser.ToolCall::toJson).toList());
        }

        private void send(String thinkingText, String text, List<Map<String, Object>> toolCalls) {
            if (thinkingText.isEmpty() && text.isEmpty() && toolCalls == null) return;
            content.append(text);
            thought.append(thinkingText);
            if (toolCalls != null) calls.addAll(toolCalls);
            if (out.stream()) {
                out.send(new ChatResponse(model, now(), new ResponseMessage("assistant", text, thinkingText, toolCalls), null, false,
                        Metrics.NONE, null, LogprobCollector.drain(lp)));
            }
        }
    }

    // ------------------------------------------------------------------ ps, tokenize, detokenize

    public void ps(Context ctx) {
        List<ProcessModel> models = new ArrayList<>();
        List<RunningEntry> running = new ArrayList<>();
        long pid = ProcessHandle.current().pid();
        for (Scheduler.Status st : s.scheduler().status()) {
            ModelViews.Details details = null;
            ModelName n = ModelName.parse(st.name());
            Optional<StoredModel> stored = n.isValid() ? s.store().find(n) : Optional.empty();
            if (stored.isPresent()) {
                try {
                    details = s.views().details(ModelContents.load(s.store(), stored.get()), "");
                } catch (StoreException ignored) {
                    // the model was deleted or damaged while loaded; show it without details
                }
            }
            models.add(new ProcessModel(st.name(), st.name(), st.size(), st.digest(), details, Http.timestamp(st.expiresAt()), 0, st.contextLength()));
            running.add(new RunningEntry(st.name(), st.inUse() > 0 ? "running" : "idle", pid));
        }
        Http.json(ctx, new ProcessResponse(models, running));
    }

    /**
     * {@code POST /api/embed}: one vector per input, mean-pooled over the input's tokens from the model's final
     * (normed) hidden states, L2-normalised, optionally cut to {@code dimensions}. Any model is accepted, as in Ollama.
     */
    public void embed(Context ctx) {
        long start = System.nanoTime();
        EmbedRequest req = Http.decode(ctx, EmbedRequest.class, EmbedRequest.EMPTY);
        String raw = req.model() == null ? "" : req.model();
        if (raw.isEmpty()) throw ApiException.notFound("model '' not found");
        List<String> inputs = new ArrayList<>();
        switch (req.input()) {
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
        Resolved m = resolve(raw);
        Duration keepAlive = keepAlive(req.keepAlive());
        RunOptions opts = options(m, req.options());
        try (Scheduler.Lease lease = acquire(m, opts, keepAlive)) {
            Tokenizer tok = lease.runner().tokenizer();
            int limit = lease.runner().numCtx() - (tok.addBos() ? 1 : 0) - (tok.addEos() ? 1 : 0);
            List<float[]> vectors = new ArrayList<>();
            int tokens = 0;
            for (String input : inputs) {
                int[] ids = tok.encode(input, true, true);
                if (ids.length > lease.runner().numCtx()) {
                    if (Boolean.FALSE.equals(req.truncate())) throw ApiException.badRequest("the input length exceeds the context length");
                    ids = java.util.Arrays.copyOf(ids, Math.max(1, limit));
                }
                if (ids.length == 0) ids = new int[]{Math.max(0, tok.bos())};
                tokens += ids.length;
                int[] in = ids;
                float[] v = lease.run(() -> lease.sequence().embed(in));
                v = normalize(v);
                Integer dims = req.dimensions();
                if (dims != null && dims > 0 && dims < v.length) v = normalize(java.util.Arrays.copyOf(v, dims));
                vectors.add(v);
            }
            if (inputs.isEmpty()) Http.json(ctx, new EmbedResponse(raw, vectors, 0, 0, 0));
            else Http.json(ctx, new EmbedResponse(raw, vectors, System.nanoTime() - start, lease.loadNanos(), tokens));
        }
    }

    /** {@code POST /api/embeddings} (legacy): one prompt, the pooled vector not normalised, as float64s. */
    public void embeddings(Context ctx) {
        EmbeddingsRequest req = Http.decode(ctx, EmbeddingsRequest.class, EmbeddingsRequest.EMPTY);
        String raw = req.model() == null ? "" : req.model();
        if (raw.isEmpty()) throw ApiException.badRequest("model is required");
        Resolved m;
        try {
            m = resolve(raw);
        } catch (ApiException e) {
            if (e.status() == 404) throw ApiException.notFound("model " + quote(raw) + " not found, try pulling it first");
            throw e;
        }
        Duration keepAlive = keepAlive(req.keepAlive());
        RunOptions opts = options(m, req.options());
        try (Scheduler.Lease lease = acquire(m, opts, keepAlive)) {
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
        Resolved m = resolve(raw);
        GgufFile header = s.views().requireHeader(m.contents);
        if (header == null) throw ApiException.badRequest(quote(raw) + " has no model weights");
        synchronized (tokenizers) {
            return tokenizers.computeIfAbsent(m.contents.modelPath().toString(), k -> Tokenizer.fromGguf(header));
        }
    }

    private final Map<String, Tokenizer> tokenizers = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Tokenizer> eldest) {
            return size() > 8;
        }
    };

    // ------------------------------------------------------------------ shared steps

    /** A request's model, found in the store with its layers read. */
    private record Resolved(String name, ModelContents contents, String digest, long size, Template template) {}

    private Resolved resolve(String raw) {
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

    private RunOptions options(Resolved m, Map<String, Object> requestOptions) {
        GgufFile h = s.views().requireHeader(m.contents);
        int train = h == null ? 0 : h.getInt(h.getString("general.architecture", "") + ".context_length", 0);
        try {
            return RunOptions.resolve(m.contents.params(), requestOptions, s.scheduler().settings().defaultNumCtx(), train);
        } catch (RunOptions.OptionException e) {
            throw new ApiException(500, e.getMessage());
        }
    }

    private Scheduler.Lease acquire(Resolved m, RunOptions opts, Duration keepAlive) {
        boolean mmap = opts.useMmap() != null && opts.useMmap();
        LoadRequest lr = new LoadRequest(m.contents.stored().name().displayShortest(), m.digest, m.contents.modelPath(), m.size,
                opts.numCtx(), opts.numBatch(), mmap, m.contents.modelPaths());
        try {
            return s.scheduler().acquire(lr, keepAlive, () -> false);
        } catch (SchedulerException e) {
            throw new ApiException(e.status(), e.getMessage());
        }
    }

    private static GenerationResult run(Scheduler.Lease lease, String text, RunOptions opts, Boolean shift, boolean json,
                                        java.util.function.Consumer<String> onText,
                                        LogprobCollector logprobs) {
        Runner runner = lease.runner();
        int[] tokens = runner.tokenizer().encode(text, true, true);
        boolean canShift = shift == null || shift;
        if (!canShift && tokens.length >= runner.numCtx()) {
            throw ApiException.badRequest("the prompt is longer than the context length currently available to the model; shorten the prompt, "
                    + "adjust the context length in settings, or use a model with a longer context length");
        }
        if (tokens.length == 0) throw ApiException.badRequest("the prompt is empty after tokenization");
        GenerateOptions g = new GenerateOptions(opts.numPredict(), opts.stop(), opts.sampler(), opts.numKeep(), canShift, json);
        CancelOnGone cancel = new CancelOnGone();
        try {
            return lease.run(() -> lease.sequence().generate(tokens, g, piece -> {
                try {
                    onText.accept(piece);
                } catch (ProgressStream.ClientGoneException gone) {
                    cancel.gone = true;
                }
            }, () -> cancel.gone, logprobs == null ? null : logprobs::add));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /**
     * Log-probabilities of the generated tokens (spec §8.6): log-softmax of the raw logits, the chosen token and the
     * {@code top_logprobs} best. Entries wait in {@code pending} until the next chunk is written.
     */
    private static final class LogprobCollector {
        final Tokenizer tok;
        final int top;
        final List<Logprob> pending = new ArrayList<>();
        final List<Logprob> all = new ArrayList<>();

        private LogprobCollector(Tokenizer tok, int top) {
            this.tok = tok;
            this.top = top;
        }

        static LogprobCollector of(Boolean logprobs, Integer topLogprobs, Tokenizer tok) {
            return Boolean.TRUE.equals(logprobs) ? new LogprobCollector(tok, topLogprobs == null ? 0 : topLogprobs) : null;
        }

        static List<Logprob> drain(LogprobCollector c) {
            if (c == null || c.pending.isEmpty()) return null;
            List<Logprob> out = List.copyOf(c.pending);
            c.pending.clear();
            return out;
        }

        void add(int token, float[] logits, int vocab) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) max = Math.max(max, logits[i]);
            double sum = 0;
            for (int i = 0; i < vocab; i++) sum += Math.exp(logits[i] - max);
            double lse = max + Math.log(sum);
            List<TopLogprob> best = new ArrayList<>();
            if (top > 0) {
                int[] ids = new int[top];
                java.util.Arrays.fill(ids, -1);
                for (int i = 0; i < vocab; i++) {
                    float v = logits[i];
                    if (ids[top - 1] >= 0 && v <= logits[ids[top - 1]]) continue;
                    int at = top - 1;
                    while (at > 0 && (ids[at - 1] < 0 || v > logits[ids[at - 1]])) {
                        ids[at] = ids[at - 1];
                        at--;
                    }
                    ids[at] = i;
                }
                for (int id : ids) if (id >= 0) best.add(new TopLogprob(piece(id), logits[id] - lse, bytes(id)));
            }
            Logprob e = new Logprob(piece(token), logits[token] - lse, bytes(token), best);
            pending.add(e);
            all.add(e);
        }

        private String piece(int id) {
            return new String(tok.tokenBytes(id), StandardCharsets.UTF_8);
        }

        private int[] bytes(int id) {
            byte[] b = tok.tokenBytes(id);
            int[] r = new int[b.length];
            for (int i = 0; i < b.length; i++) r[i] = b[i] & 0xFF;
            return r;
        }
    }

    private static final class CancelOnGone {
        volatile boolean gone;
    }

    private static Metrics metrics(long start, Scheduler.Lease lease, GenerationResult r) {
        return new Metrics(System.nanoTime() - start, lease.loadNanos(), r.promptEvalCount(), r.promptEvalNanos(), r.evalCount(), r.evalNanos());
    }

    private static Duration keepAlive(Object value) {
        try {
            return KeepAlive.fromJson(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private static void checkTopLogprobs(Integer n) {
        if (n != null && (n < 0 || n > 20)) throw ApiException.badRequest("top_logprobs must be between 0 and 20");
    }

    /** The think value passed to the template: validated, and true by default for thinking models. */
    private static Object thinkValue(Object think, List<String> caps, String raw) {
        if (think != null && !(think instanceof Boolean)) {
            if (think instanceof String t) {
                if (!List.of("high", "medium", "low", "max").contains(t)) {
                    throw ApiException.badRequest("invalid think value: \"" + t + "\" (must be \"high\", \"medium\", \"low\", \"max\", true, or false)");
                }
            } else {
                throw ApiException.badRequest("think must be a boolean or string (\"high\", \"medium\", \"low\", \"max\", true, or false)");
            }
        }
        boolean thinking = caps.contains("thinking");
        boolean truthy = think != null && !Boolean.FALSE.equals(think);
        if (truthy && !thinking) throw ApiException.badRequest(quote(raw) + " does not support thinking");
        if (think == null && thinking) return Boolean.TRUE;
        return think;
    }

    private static void checkImages(List<String> images, List<String> caps, Resolved m) {
        if (images == null || images.isEmpty()) return;
        for (String img : images) {
            try {
                Base64.getDecoder().decode(img == null ? "" : img);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("illegal base64 data in images: " + e.getMessage());
            }
        }
        if (!caps.contains("vision")) throw ApiException.badRequest(m.name + " does not support vision");
        throw ApiException.badRequest("image input is not supported by Jollama yet");
    }

    /** Structured output is not implemented yet: refuse it clearly instead of ignoring it. */
    /**
     * {@code "json"} turns on JSON mode (the output is constrained to one JSON object); a JSON schema is not enforced
     * yet and is refused clearly rather than ignored; anything else is Ollama's "invalid format" error.
     */
    private static boolean checkFormat(Object format) {
        if (format == null || "".equals(format)) return false;
        if ("json".equals(format)) return true;
        if (format instanceof Map) {
            throw ApiException.badRequest("structured outputs with a JSON schema in format are not supported by Jollama yet; use \"format\": \"json\"");
        }
        throw new ApiException(500, "invalid format: " + Json.write(format) + "; expected \"json\" or a valid JSON Schema object");
    }


    private static ThinkingParser thinkingParser(Template template, Object think, String prompt, boolean raw) {
        if (raw || think == null || Boolean.FALSE.equals(think)) return null;
        TemplateTags.ThinkingTags tags = template.thinkingTags();
        if (tags == null || !tags.present()) return null;
        return new ThinkingParser(tags.opening(), tags.closing(), prompt.stripTrailing().endsWith(tags.opening()));
    }

    private static List<ChatMessage> modelfileMessages(ModelContents c) {
        List<ChatMessage> out = new ArrayList<>();
        for (StoredMessage sm : c.messages()) out.add(ChatMessage.of(sm.role(), sm.content()));
        return out;
    }

    private static List<ChatMessage> toChat(List<Message> messages) {
        List<ChatMessage> out = new ArrayList<>();
        for (Message m : messages) {
            List<ChatMessage.ToolCall> calls = null;
            if (m.toolCalls() != null) {
                calls = new ArrayList<>();
                int i = 0;
                for (Map<String, Object> tc : m.toolCalls()) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> fn = tc.get("function") instanceof Map<?, ?> f ? (Map<String, Object>) f : Map.of();
                    @SuppressWarnings("unchecked")
                    Map<String, Object> args = fn.get("arguments") instanceof Map<?, ?> a ? (Map<String, Object>) a : Map.of();
                    int index = fn.get("index") instanceof Number n ? n.intValue() : i;
                    calls.add(new ChatMessage.ToolCall(tc.get("id") instanceof String id ? id : "", index,
                            fn.get("name") instanceof String n ? n : "", args));
                    i++;
                }
            }
            String role = m.role() == null ? "" : m.role().toLowerCase(java.util.Locale.ROOT);
            out.add(new ChatMessage(role, m.content(), m.thinking(), m.images() == null ? 0 : m.images().size(), calls,
                    m.toolName(), m.toolCallId()));
        }
        return out;
    }

    /** qwen3 and deepseek-r1: drop {@code <think>} blocks of assistant turns before the last user message (spec §1.3). */
    private static List<ChatMessage> stripOldThinking(List<ChatMessage> msgs, Resolved m) {
        String family = m.contents.config().modelFamily() == null ? "" : m.contents.config().modelFamily();
        if (!family.equals("qwen3") && !m.name.contains("deepseek-r1")) return msgs;
        int lastUser = -1;
        for (int i = 0; i < msgs.size(); i++) if (msgs.get(i).role().equals("user")) lastUser = i;
        List<ChatMessage> out = new ArrayList<>(msgs);
        for (int i = 0; i < lastUser; i++) {
            ChatMessage c = out.get(i);
            if (c.role().equals("assistant")) out.set(i, c.withContent(THINK_BLOCK.matcher(c.content()).replaceAll("")));
        }
        return out;
    }

    private static String now() {
        return Http.timestamp(Instant.now(), java.time.ZoneOffset.UTC);
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * Where a generate or chat request's responses go. Streaming: {@link #send} for each chunk, then the final one;
     * otherwise {@link #single} once. {@link #fail} after a failure that happened once work had started.
     */
    public interface Output {
        boolean stream();

        /** Writes one chunk; throws {@link ProgressStream.ClientGoneException} when the client went away. */
        void send(Object message);

        void single(Object message);

        void fail(int status, String message);

        /** True once a write found the client gone. */
        boolean gone();
    }

    /**
     * The native response side: NDJSON lines flushed one by one when streaming, one JSON object otherwise. Errors
     * before anything was written become normal error responses; after, a final {@code {"error": ...}} line.
     */
    private static final class NdjsonOutput implements Output {
        final Context ctx;
        final boolean stream;
        OutputStream os;
        boolean gone;

        NdjsonOutput(Context ctx, boolean stream) {
            this.ctx = ctx;
            this.stream = stream;
        }

        @Override
        public boolean stream() {
            return stream;
        }

        @Override
        public boolean gone() {
            return gone;
        }

        @Override
        public void send(Object message) {
            if (gone) throw new ProgressStream.ClientGoneException(null);
            try {
                if (os == null) {
                    ctx.status(200);
                    ctx.res().setContentType(Http.NDJSON);
                    os = ctx.res().getOutputStream();
                }
                os.write(Json.writeLine(message));
                os.flush();
            } catch (IOException e) {
                gone = true;
                throw new ProgressStream.ClientGoneException(e);
            }
        }

        @Override
        public void single(Object message) {
            Http.json(ctx, message);
        }

        @Override
        public void fail(int status, String message) {
            if (os != null) {
                try {
                    os.write(Json.writeLine(new Http.ErrorBody(message)));
                    os.flush();
                } catch (IOException ignored) {
                    gone = true;
                }
                return;
            }
            Http.error(ctx, status, message);
        }
    }
}
