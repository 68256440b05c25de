package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.engine.grammar.Grammar;
import io.jollama.engine.runner.GenerateOptions;
import io.jollama.engine.runner.GenerationResult;
import io.jollama.engine.runner.Prompt;
import io.jollama.engine.runner.Runner;
import io.jollama.engine.vision.RgbImage;
import io.jollama.server.image.ImageDecoder;
import io.jollama.server.image.ImagePrompt;
import io.jollama.engine.tokenizer.Tokenizer;
import io.jollama.server.Json;
import io.jollama.server.ServerContext;
import io.jollama.server.api.InferenceTypes.*;
import io.jollama.server.api.ModelResolver.Resolved;
import io.jollama.server.ndjson.ClientGoneException;
import io.jollama.server.ndjson.NdjsonWriter;
import io.jollama.server.sched.Scheduler;
import io.jollama.server.schema.SchemaGrammar;
import io.jollama.server.store.ModelContents;
import io.jollama.server.store.StoredMessage;
import io.jollama.server.template.ChatMessage;
import io.jollama.server.template.PromptBuilder;
import io.jollama.server.template.RenderRequest;
import io.jollama.server.template.Template;
import io.jollama.server.gotemplate.TemplateException;
import io.jollama.server.template.TemplateTags;
import io.jollama.server.thinking.ThinkingParser;
import io.jollama.server.toolcall.ToolCallParser;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static io.jollama.server.api.ModelResolver.quote;

/**
 * /api/generate and /api/chat: both take one shared step ({@link #begin}: the checks Ollama makes, spec §1.2, §1.3,
 * the model from the store, and a slot on its runner from the {@link Scheduler}, or the model only loaded or
 * unloaded), then render their prompt through the model's template (spec §6.6) and stream the generated text as
 * NDJSON, one line per piece, flushed as it comes. A client that goes away is noticed while the request waits for a
 * slot ({@link ClientConnection}) and at the next write, and generation stops there.
 */
public final class InferenceApi {

    private static final Pattern THINK_BLOCK = Pattern.compile("(?s)<think>.*?</think>");

    private final ServerContext s;
    private final ModelResolver models;

    public InferenceApi(ServerContext s) {
        this.s = s;
        this.models = new ModelResolver(s);
    }

    // ------------------------------------------------------------------ the shared step

    /**
     * What the shared step reads from a generate or chat request.
     *
     * @param endpoint  "generate" or "chat", for "does not support ..."
     * @param noModel   the error for an empty model name (they differ)
     * @param empty     no prompt (generate) or no messages (chat): only load, or with keep_alive 0 unload, the model
     * @param invalid   an error of the request itself, reported after the unload check (generate's raw mode)
     * @param images    the images of the request (base64), one list per request message (generate: one)
     * @param done      the final response of a load or unload: (done_reason, metrics) → response
     */
    private record Ask(String endpoint, ApiException noModel, String model, Object keepAlive, boolean empty, String invalid,
                       boolean suffix, boolean tools, Object think, List<List<String>> images, Object format,
                       Map<String, Object> options, Integer topLogprobs, BiFunction<String, Metrics, Object> done) {}

    /** A checked request holding a slot on its model's runner; closing it gives the slot back. */
    private record Turn(String raw, Resolved model, Object think, OutputFormat format, RunOptions options, Scheduler.Lease lease,
                        List<List<RgbImage>> images) implements AutoCloseable {
        Runner runner() {
            return lease.runner();
        }

        @Override
        public void close() {
            lease.close();
        }
    }

    /**
     * Validation, model lookup, capability checks, then the model loaded (or unloaded), in Ollama's order. Returns
     * null when the request has been answered here (a load or an unload without prompt); request errors are thrown as
     * {@link ApiException} before anything is written.
     */
    private Turn begin(Ask a, Output out, BooleanSupplier clientGone, long start) {
        checkTopLogprobs(a.topLogprobs());
        String raw = a.model() == null ? "" : a.model();
        if (raw.isEmpty()) throw a.noModel();
        Resolved m = models.resolve(raw);
        Duration keepAlive = ModelResolver.keepAlive(a.keepAlive());
        if (a.empty() && keepAlive != null && keepAlive.isZero()) {
            models.unload(m);
            out.single(a.done().apply("unload", Metrics.NONE));
            return null;
        }
        if (a.invalid() != null) throw ApiException.badRequest(a.invalid());
        List<String> caps = s.views().capabilities(m.contents());
        if (!caps.contains("completion")) throw ApiException.badRequest(quote(raw) + " does not support " + a.endpoint());
        if (a.suffix() && !caps.contains("insert")) throw ApiException.badRequest(m.name() + " does not support insert");
        if (a.tools() && !caps.contains("tools")) throw ApiException.badRequest(m.name() + " does not support tools");
        Object think = thinkValue(a.think(), caps, raw);
        List<List<RgbImage>> images = decodeImages(a.images(), caps, m);
        OutputFormat format = checkFormat(a.format());
        RunOptions opts = models.options(m, a.options());

        Scheduler.Lease lease = models.acquire(m, opts, keepAlive, clientGone);
        if (a.empty()) {
            try (lease) {
                out.single(a.done().apply("load", new Metrics(System.nanoTime() - start, lease.loadNanos(), 0, 0, 0, 0)));
            }
            return null;
        }
        return new Turn(raw, m, think, format, opts, lease, images);
    }

    /**
     * Generates from the rendered prompt, feeding each piece of text to {@code onText} and then calling
     * {@code finish}. Returns null when the request ended here: a failure once work had started (answered through
     * {@code out}), or a client that went away.
     */
    private GenerationResult generate(Turn t, String text, List<RgbImage> images, Boolean shift, Consumer<String> onText, Runnable finish,
                                             LogprobCollector lp, Output out, BooleanSupplier clientGone) {
        GenerationResult r;
        try {
            // streaming notices a closed connection at its next write; a non-streaming answer writes nothing until
            // the end, so its connection is read between tokens (at most every POLL) instead
            BooleanSupplier gone = out.stream() ? () -> false : new Throttled(clientGone, POLL_NANOS);
            BooleanSupplier stop = () -> gone.getAsBoolean() || s.scheduler().closing();
            r = run(t.lease(), text, images, t.options(), shift, t.format(), onText, lp, stop);
            if ("cancel".equals(r.doneReason()) && s.scheduler().closing()) {
                out.fail(503, "server shutting down");
                return null;
            }
            finish.run();
        } catch (RuntimeException e) {
            if (!ApiErrors.expected(e)) throw e;
            out.fail(ApiErrors.status(e), e.getMessage());
            return null;
        }
        return out.gone() || "cancel".equals(r.doneReason()) ? null : r;
    }

    // ------------------------------------------------------------------ generate

    public void generate(Context ctx) {
        long start = System.nanoTime();
        GenerateRequest req = Http.decode(ctx, GenerateRequest.class, GenerateRequest.EMPTY);
        generate(req, new NdjsonOutput(ctx, req.stream() == null || req.stream()), ClientConnection.of(ctx), start);
    }

    /**
     * Serves a decoded generate request into {@code out} (the native NDJSON writer, or another API's translation of
     * the same responses). Request errors are thrown as {@link ApiException} before anything is written.
     */
    public void generate(GenerateRequest req, Output out, BooleanSupplier clientGone, long start) {
        String raw = req.model() == null ? "" : req.model();
        String prompt = req.prompt() == null ? "" : req.prompt();
        boolean rawMode = Boolean.TRUE.equals(req.raw());
        boolean hasContext = req.context() != null && !req.context().isEmpty();
        String invalid = rawMode && (nonEmpty(req.template()) || nonEmpty(req.system()) || hasContext)
                ? "raw mode does not support template, system, or context" : null;
        Ask ask = new Ask("generate", ApiException.notFound("model '' not found"), req.model(), req.keepAlive(), prompt.isEmpty(),
                invalid, nonEmpty(req.suffix()), false, req.think(), req.images() == null ? List.of() : List.of(req.images()),
                req.format(), req.options(), req.topLogprobs(),
                (reason, metrics) -> new GenerateResponse(raw, now(), "", null, true, reason, null, metrics, null, null));

        try (Turn t = begin(ask, out, clientGone, start)) {
            if (t == null) return;
            Runner runner = t.runner();
            Resolved m = t.model();
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
                        List<ChatMessage> msgs = PromptBuilder.generateMessages(req.system(), m.contents().system(),
                                modelfileMessages(m.contents()), hasContext, prompt, images);
                        RenderRequest rr = RenderRequest.of(msgs).withThink(t.think());
                        if (nonEmpty(req.template())) {
                            text = Template.parse(req.template()).render(rr);
                        } else {
                            text = PromptBuilder.chatPrompt(template, rr, runner.numCtx(), true, runner.vision(),
                                    tokenCounter(tok, clientGone)).text();
                        }
                    }
                } catch (TemplateException e) {
                    throw ApiException.badRequest(e.getMessage());
                }
                if (hasContext) {
                    for (int id : req.context()) {
                        if (id < 0 || id >= tok.vocabSize()) {
                            throw ApiException.badRequest("context token id " + id + " is out of range (vocabulary of " + tok.vocabSize() + ")");
                        }
                    }
                    text = tok.decode(req.context().stream().mapToInt(Integer::intValue).toArray()) + text;
                }
            }
            if (Boolean.TRUE.equals(req.debugRenderOnly())) {
                out.single(new GenerateResponse(raw, now(), "", null, false, null, null, Metrics.NONE, new DebugInfo(text, images), null));
                return;
            }
            ThinkingParser thinking = thinkingParser(template, t.think(), text, rawMode);
            LogprobCollector lp = LogprobCollector.of(req.logprobs(), req.topLogprobs(), tok);
            StringBuilder all = new StringBuilder(), allThinking = new StringBuilder();
            // the prompt's [img-N] tags name the request's images (a raw prompt without tags gets them first)
            List<RgbImage> tagged = t.images().isEmpty() ? List.of() : t.images().getFirst();
            GenerationResult r = generate(t, text, tagged, req.shift(), piece -> {
                ThinkingParser.Delta d = thinking == null ? new ThinkingParser.Delta("", piece) : thinking.add(piece);
                emitGenerate(out, raw, d, all, allThinking, lp);
            }, () -> {
                if (thinking != null) emitGenerate(out, raw, thinking.flush(), all, allThinking, lp);
            }, lp, out, clientGone);
            if (r == null) return;
            Metrics metrics = metrics(start, t.lease(), r);
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
        chat(req, new NdjsonOutput(ctx, req.stream() == null || req.stream()), ClientConnection.of(ctx), start);
    }

    /** Serves a decoded chat request into {@code out}; see {@link #generate(GenerateRequest, Output, BooleanSupplier, long)}. */
    public void chat(ChatRequest req, Output out, BooleanSupplier clientGone, long start) {
        String raw = req.model() == null ? "" : req.model();
        List<Message> messages = req.messages() == null ? List.of() : req.messages();
        boolean hasTools = req.tools() != null && !req.tools().isEmpty();
        List<List<String>> images = new ArrayList<>();
        for (Message msg : messages) images.add(msg.images() == null ? List.of() : msg.images());
        Ask ask = new Ask("chat", ApiException.badRequest("model is required"), req.model(), req.keepAlive(), messages.isEmpty(),
                null, false, hasTools, req.think(), images, req.format(), req.options(), req.topLogprobs(),
                (reason, metrics) -> new ChatResponse(raw, now(), new ResponseMessage("assistant", "", null, null), reason, true, metrics, null, null));

        try (Turn t = begin(ask, out, clientGone, start)) {
            if (t == null) return;
            Runner runner = t.runner();
            Resolved m = t.model();
            Tokenizer tok = runner.tokenizer();
            Template template = m.template();
            List<ChatMessage> msgs = PromptBuilder.chatMessages(m.contents().system(), modelfileMessages(m.contents()), toChat(messages));
            msgs = stripOldThinking(msgs, m);
            RenderRequest rr = RenderRequest.of(msgs).withTools(hasTools ? req.tools() : null).withThink(t.think());
            String text;
            int imageCount;
            List<RgbImage> tagged = new ArrayList<>();
            try {
                PromptBuilder.Prompt p = PromptBuilder.chatPrompt(template, rr, runner.numCtx(), req.truncate() == null || req.truncate(),
                        runner.vision(), tokenCounter(tok, clientGone));
                text = p.text();
                imageCount = p.imageCount();
                // [img-0] .. are the images of the kept request messages, in order (system and Modelfile messages come first)
                int firstRequest = msgs.size() - messages.size();
                for (int i = Math.max(0, p.firstKeptMessage() - firstRequest); i < t.images().size(); i++) tagged.addAll(t.images().get(i));
            } catch (TemplateException e) {
                throw ApiException.badRequest(e.getMessage());
            }
            if (Boolean.TRUE.equals(req.debugRenderOnly())) {
                out.single(new ChatResponse(raw, now(), new ResponseMessage("", "", null, null), null, false, Metrics.NONE,
                        new DebugInfo(text, imageCount), null));
                return;
            }
            LogprobCollector lp = LogprobCollector.of(req.logprobs(), req.topLogprobs(), tok);
            ChatPieces pieces = new ChatPieces(out, raw, thinkingParser(template, t.think(), text, false),
                    hasTools ? ToolCallParser.forTemplate(template, req.tools()) : null, lp);
            GenerationResult r = generate(t, text, tagged, req.shift(), pieces::add, pieces::finish, lp, out, clientGone);
            if (r == null) return;
            Metrics metrics = metrics(start, t.lease(), r);
            if (out.stream()) {
                out.send(new ChatResponse(raw, now(), new ResponseMessage("assistant", "", null, null), r.doneReason(), true, metrics, null,
                        LogprobCollector.drain(lp)));
            } else {
                out.single(new ChatResponse(raw, now(), pieces.message(), r.doneReason(), true, metrics, null, lp == null ? null : lp.all));
            }
        }
    }

    // ------------------------------------------------------------------ running the model

    private static GenerationResult run(Scheduler.Lease lease, String text, List<RgbImage> images, RunOptions opts, Boolean shift,
                                        OutputFormat format, Consumer<String> onText, LogprobCollector logprobs, BooleanSupplier clientGone) {
        Runner runner = lease.runner();
        Prompt prompt;
        if (images.isEmpty()) {
            prompt = Prompt.of(runner.tokenizer().encode(text, true, true));
        } else {
            if (!runner.vision()) {
                throw new ApiException(500, runner.visionProblem() != null
                        ? "the model's vision projector could not be loaded: " + runner.visionProblem()
                        : "the model has no vision projector layer Jollama can use (vision weights inside the model file are not supported yet)");
            }
            try {
                prompt = runner.prompt(ImagePrompt.parts(text, images), clientGone);
            } catch (java.util.concurrent.CancellationException e) {
                return new GenerationResult("cancel", 0, 0, 0, 0, new int[0]);
            }
            // a prompt whose images do not fit the context is refused by the sequence (images are never cut)
        }
        int[] tokens = prompt.tokens();
        boolean canShift = shift == null || shift;
        if (!canShift && tokens.length >= runner.numCtx()) {
            throw ApiException.badRequest("the prompt is longer than the context length currently available to the model; shorten the prompt, "
                    + "adjust the context length in settings, or use a model with a longer context length");
        }
        if (tokens.length == 0) throw ApiException.badRequest("the prompt is empty after tokenization");
        GenerateOptions g = new GenerateOptions(opts.numPredict(), opts.stop(), opts.sampler(), opts.numKeep(), canShift, format.json(),
                format.grammar());
        CancelOnGone cancel = new CancelOnGone();
        try {
            return lease.run(() -> lease.sequence().generate(prompt, g, piece -> {
                try {
                    onText.accept(piece);
                } catch (ClientGoneException gone) {
                    cancel.gone = true;
                }
            }, () -> cancel.gone || clientGone.getAsBoolean(), logprobs == null ? null : logprobs::add));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** Counts a candidate prompt's tokens during truncation, first checking that the client is still there. */
    private static java.util.function.ToIntFunction<String> tokenCounter(Tokenizer tok, BooleanSupplier clientGone) {
        return text -> {
            if (clientGone.getAsBoolean()) {
                throw new io.jollama.server.sched.SchedulerException(io.jollama.server.sched.SchedulerException.Reason.CANCELLED,
                        "request canceled", null);
            }
            return tok.encode(text, true, true).length;
        };
    }

    private static final class CancelOnGone {
        volatile boolean gone;
    }

    /** How often a non-streaming generation reads its connection to see whether the client left. */
    private static final long POLL_NANOS = 100_000_000L;

    /** A check run at most once per interval (reading the connection per token would cost a system call each). */
    private static final class Throttled implements BooleanSupplier {
        private final BooleanSupplier check;
        private final long interval;
        private long next = System.nanoTime();
        private boolean result;

        Throttled(BooleanSupplier check, long interval) {
            this.check = check;
            this.interval = interval;
        }

        @Override
        public boolean getAsBoolean() {
            long now = System.nanoTime();
            if (!result && now - next >= 0) {
                result = check.getAsBoolean();
                next = now + interval;
            }
            return result;
        }
    }

    private static Metrics metrics(long start, Scheduler.Lease lease, GenerationResult r) {
        return new Metrics(System.nanoTime() - start, lease.loadNanos(), r.promptEvalCount(), r.promptEvalNanos(), r.evalCount(), r.evalNanos());
    }

    // ------------------------------------------------------------------ request checks and prompt helpers

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

    /**
     * The request's images decoded, per message: base64 errors first (Go's decoder refuses them with the body), then
     * a model without vision, then images that are not a JPEG, PNG or WebP picture.
     */
    private static List<List<RgbImage>> decodeImages(List<List<String>> perMessage, List<String> caps, Resolved m) {
        List<List<byte[]>> bytes = new ArrayList<>();
        boolean any = false;
        for (List<String> images : perMessage) {
            List<byte[]> b = new ArrayList<>();
            for (String img : images == null ? List.<String>of() : images) {
                try {
                    b.add(Base64.getDecoder().decode(img == null ? "" : img));
                } catch (IllegalArgumentException e) {
                    throw ApiException.badRequest("illegal base64 data in images: " + e.getMessage());
                }
            }
            any |= !b.isEmpty();
            bytes.add(b);
        }
        if (!any) return List.of();
        if (!caps.contains("vision")) throw ApiException.badRequest(m.name() + " does not support vision");
        List<List<RgbImage>> out = new ArrayList<>();
        int n = 0;
        for (List<byte[]> b : bytes) {
            List<RgbImage> decoded = new ArrayList<>();
            for (byte[] img : b) {
                try {
                    decoded.add(ImageDecoder.decode(img));
                } catch (ImageDecoder.ImageException e) {
                    throw ApiException.badRequest("image " + n + ": " + e.getMessage());
                }
                n++;
            }
            out.add(decoded);
        }
        return out;
    }

    /** What {@code format} asks of the output: JSON mode, a JSON schema's grammar, or nothing. */
    private record OutputFormat(boolean json, Grammar grammar) {
        static final OutputFormat FREE = new OutputFormat(false, null);
    }

    /**
     * {@code "json"} turns on JSON mode (the output is constrained to one JSON object); a JSON schema constrains the
     * output to its grammar (llama.cpp's conversion, {@link SchemaGrammar}), and a schema feature the conversion
     * cannot honour is a 400 naming it; anything else is Ollama's "invalid format" error.
     */
    private static OutputFormat checkFormat(Object format) {
        if (format == null || "".equals(format)) return OutputFormat.FREE;
        if ("json".equals(format)) return new OutputFormat(true, null);
        if (format instanceof Map) {
            try {
                return new OutputFormat(true, Grammar.parse(SchemaGrammar.gbnf(format)));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage());
            }
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
        String family = m.contents().config().modelFamily() == null ? "" : m.contents().config().modelFamily();
        if (!family.equals("qwen3") && !m.name().contains("deepseek-r1")) return msgs;
        int lastUser = -1;
        for (int i = 0; i < msgs.size(); i++) if (msgs.get(i).role().equals("user")) lastUser = i;
        List<ChatMessage> out = new ArrayList<>(msgs);
        for (int i = 0; i < lastUser; i++) {
            ChatMessage c = out.get(i);
            if (c.role().equals("assistant")) out.set(i, c.withContent(THINK_BLOCK.matcher(c.content()).replaceAll("")));
        }
        return out;
    }

    static String now() {
        return Http.timestamp(Instant.now(), java.time.ZoneOffset.UTC);
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    /**
     * Where a generate or chat request's responses go. Streaming: {@link #send} for each chunk, then the final one;
     * otherwise {@link #single} once. {@link #fail} after a failure that happened once work had started.
     */
    public interface Output {
        boolean stream();

        /** Writes one chunk; throws {@link ClientGoneException} when the client went away. */
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
        private final Context ctx;
        private final boolean stream;
        private final NdjsonWriter writer;

        NdjsonOutput(Context ctx, boolean stream) {
            this.ctx = ctx;
            this.stream = stream;
            this.writer = new NdjsonWriter(ctx);
        }

        @Override
        public boolean stream() {
            return stream;
        }

        @Override
        public boolean gone() {
            return writer.gone();
        }

        @Override
        public void send(Object message) {
            writer.line(message);
        }

        @Override
        public void single(Object message) {
            Http.json(ctx, message);
        }

        @Override
        public void fail(int status, String message) {
            if (writer.started()) writer.errorLine(message);
            else Http.error(ctx, status, message);
        }
    }
}
