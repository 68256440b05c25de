package io.jollama.engine.runner;

import io.jollama.engine.grammar.GrammarConstraint;
import io.jollama.engine.grammar.TokenTrie;
import io.jollama.engine.model.Batch;
import io.jollama.engine.model.KvCache;
import io.jollama.engine.model.Model;
import io.jollama.engine.sample.JsonConstraint;
import io.jollama.engine.sample.Sampler;
import io.jollama.engine.tokenizer.StreamingDecoder;
import io.jollama.engine.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One conversation slot of a loaded model: its own KV cache of {@code numCtx} positions and the tokens in it.
 * A new prompt that starts with tokens already in the cache reuses them (prompt caching, as Ollama's runner does).
 * Not thread-safe: one request at a time.
 */
public final class Sequence implements AutoCloseable {
    private final Model model;
    private final Tokenizer tokenizer;
    private final KvCache cache;
    private final int numCtx;
    private final int numBatch;
    private int[] cached = new int[0];
    private int used;

    private final Runner runner;

    Sequence(Runner runner, int numCtx, int numBatch, KvCache.Type kvType) {
        this.runner = runner;
        this.model = runner.model();
        this.tokenizer = runner.tokenizer();
        this.numCtx = numCtx;
        this.numBatch = numBatch;
        this.cache = model.newCache(numCtx, kvType);
        this.cached = new int[numCtx];
    }

    public int numCtx() {
        return numCtx;
    }

    /**
     * Generates from {@code prompt} (token ids, already templated and tokenized), handing each piece of text to
     * {@code onText} as soon as it is complete and cannot be part of a stop sequence. {@code cancelled} is checked
     * between prompt batches and before every token; a cancelled generation returns with done reason "cancel".
     */
    public GenerationResult generate(int[] prompt, GenerateOptions opts, Consumer<String> onText, BooleanSupplier cancelled) {
        return generate(prompt, opts, onText, cancelled, null);
    }

    /** Sees every sampled token with the raw (pre-sampling) logits it was drawn from, before its text is emitted. */
    @FunctionalInterface
    public interface TokenObserver {
        void token(int token, float[] logits, int vocab);
    }

    /** As {@link #generate(int[], GenerateOptions, Consumer, BooleanSupplier)}, with an optional observer (for log-probabilities). */
    public GenerationResult generate(int[] prompt, GenerateOptions opts, Consumer<String> onText, BooleanSupplier cancelled,
                                     TokenObserver observer) {
        return generate(Prompt.of(prompt), opts, onText, cancelled, observer);
    }

    /**
     * Generates from a prompt that may hold images ({@link Runner#prompt}): each image is evaluated as one batch of
     * its input vectors. A prompt with images that does not fit the context is refused rather than cut.
     */
    public GenerationResult generate(Prompt prompt, GenerateOptions opts, Consumer<String> onText, BooleanSupplier cancelled,
                                     TokenObserver observer) {
        if (prompt.length() == 0) throw new IllegalArgumentException("empty prompt");
        int numKeep = Math.max(0, Math.min(opts.numKeep(), numCtx / 2));
        int[] input = prompt.tokens();
        if (!prompt.images().isEmpty() && input.length >= numCtx) {
            throw new IllegalArgumentException("the input length exceeds the context length: the prompt and its " + prompt.images().size()
                    + " image(s) take " + input.length + " positions, the context holds " + numCtx);
        }
        if (input.length >= numCtx) {
            if (!opts.shift()) {
                throw new IllegalArgumentException("the input length (" + input.length + " tokens) exceeds the context length (" + numCtx + ")");
            }
            // keep the first numKeep tokens and as much of the end as fits, leaving room to generate
            int room = numCtx / 2;
            int tail = Math.max(1, room - numKeep);
            int[] t = new int[numKeep + tail];
            System.arraycopy(input, 0, t, 0, numKeep);
            System.arraycopy(input, input.length - tail, t, numKeep, tail);
            input = t;
        }
        // reuse the cached prefix, but always evaluate at least the last prompt token to get its logits
        int reuse = 0;
        int limit = Math.min(used, input.length - 1);
        while (reuse < limit && cached[reuse] == input[reuse]) reuse++;
        // an image is evaluated whole (its rows may attend to each other): never resume in the middle of one
        Prompt.Image partly = prompt.imageAt(reuse);
        if (partly != null) reuse = partly.offset();
        used = reuse;

        long t0 = System.nanoTime();
        float[] logits = null;
        for (int i = reuse; i < input.length; ) {
            if (cancelled.getAsBoolean()) return new GenerationResult("cancel", input.length, System.nanoTime() - t0, 0, 0, textOf(input));
            Prompt.Image image = prompt.imageAt(i);
            final int from = i, at = used;
            final int[] in = input;
            int n;
            if (image != null) {
                n = image.length();
                logits = runner.onEngine(() -> model.forward(Batch.ofEmbeddings(cache, image.embeddings(), image.length(), at,
                        image.bidirectional()), Model.Output.LAST_LOGITS));
            } else {
                Prompt.Image next = null;
                for (Prompt.Image im : prompt.images()) if (im.offset() > i && (next == null || im.offset() < next.offset())) next = im;
                n = Math.min(numBatch, (next == null ? input.length : next.offset()) - i);
                final int count = n;
                logits = runner.onEngine(() -> model.forward(cache, in, from, count, at, false));
            }
            System.arraycopy(input, i, cached, used, n);
            used += n;
            i += n;
        }
        long promptNanos = System.nanoTime() - t0;
        int promptLength = input.length;
        input = textOf(input);

        int vocab = model.config().vocabSize();
        Sampler sampler = new Sampler(opts.sampler());
        StreamingDecoder decoder = new StreamingDecoder(tokenizer);
        StopMatcher stops = new StopMatcher(opts.stop());
        int maxTokens = opts.numPredict() >= 0 ? opts.numPredict() : opts.numPredict() == -2 ? Integer.MAX_VALUE : 10 * numCtx;
        int[] history = Arrays.copyOf(input, input.length + Math.min(maxTokens, 4 * numCtx) + 1);
        int historyLen = input.length;
        int generated = 0;
        String reason = "length";
        JsonConstraint json = opts.jsonFormat() && opts.grammar() == null ? new JsonConstraint() : null;
        GrammarConstraint grammar = opts.grammar() == null ? null : new GrammarConstraint(opts.grammar(), TokenTrie.of(tokenizer));
        float[] masked = grammar == null ? null : new float[vocab];
        long t1 = System.nanoTime();
        DecodeBatcher batcher = runner.batcher();
        batcher.enter();
        try {
            while (generated < maxTokens) {
                if (cancelled.getAsBoolean()) {
                    reason = "cancel";
                    break;
                }
                if (json != null && json.complete()) {
                    reason = "stop";
                    break;
                }
                if (grammar != null && grammar.finished()) {
                    reason = "stop";
                    break;
                }
                int token = sampler.sample(logits, 0, vocab, history, historyLen, numCtx);
                if (grammar != null && !grammar.allows(token)) {
                    // as llama.cpp and Ollama do: the model's own choice when the grammar allows it (mostly, inside
                    // strings), else a draw from the allowed tokens only
                    if (!grammar.mask(logits, vocab, masked)) {
                        reason = "stop";
                        break;
                    }
                    token = sampler.sample(masked, 0, vocab, history, historyLen, numCtx);
                    // the sampler's last-candidate fallback (rounding) could land on a refused token: take the best allowed
                    if (!grammar.allows(token)) token = argmax(masked, vocab);
                }
                if (grammar != null) grammar.accept(token);
                if (json != null && (tokenizer.isEog(token) || !json.accepts(tokenizer.tokenBytes(token)))) {
                    token = sampleAllowed(sampler, logits, vocab, history, historyLen, json);
                    if (token < 0) {
                        reason = "stop";
                        break;
                    }
                }
                if (json != null) json.feed(tokenizer.tokenBytes(token));
                if (tokenizer.isEog(token)) {
                    reason = "stop";
                    break;
                }
                generated++;
                if (observer != null) observer.token(token, logits, vocab);
                if (historyLen == history.length) history = Arrays.copyOf(history, history.length * 2);
                history[historyLen++] = token;
                String text = stops.push(decoder.next(token));
                if (!text.isEmpty()) onText.accept(text);
                if (stops.stopped()) {
                    reason = "stop";
                    break;
                }
                if (generated >= maxTokens) break;
                if (used >= numCtx) {
                    if (!opts.shift() || opts.numPredict() == -2) {
                        reason = "length";
                        break;
                    }
                    int discard = (used - numKeep) / 2;
                    model.shiftCache(cache, numKeep, discard, used);
                    System.arraycopy(cached, numKeep + discard, cached, numKeep, used - numKeep - discard);
                    used -= discard;
                }
                cached[used] = token;
                logits = batcher.step(cache, token, used);
                used++;
            }
        } finally {
            batcher.leave();
        }
        if (!stops.stopped()) {
            String rest = stops.push(decoder.flush());
            rest += stops.stopped() ? "" : stops.flush();
            if (!rest.isEmpty()) onText.accept(rest);
        }
        long evalNanos = System.nanoTime() - t1;
        int[] context = Arrays.copyOf(history, historyLen);
        return new GenerationResult(reason, promptLength, promptNanos, generated, evalNanos, context);
    }

    /**
     * An embedding of {@code tokens}: the mean over the tokens of the model's final normed hidden states (not
     * normalised). Uses this sequence's cache, so the next generation starts from an empty cache.
     */
    public float[] embed(int[] tokens) {
        if (model.encoder()) return runner.embed(java.util.List.of(tokens)).getFirst();
        if (tokens.length == 0 || tokens.length > numCtx) throw new IllegalArgumentException("input of " + tokens.length + " tokens does not fit the context of " + numCtx);
        used = 0;
        int dim = model.config().dim();
        double[] sum = new double[dim];
        for (int i = 0; i < tokens.length; i += numBatch) {
            int n = Math.min(numBatch, tokens.length - i);
            final int from = i;
            float[] h = runner.onEngine(() -> model.hidden(cache, tokens, from, n, from));
            for (int t = 0; t < n; t++) for (int d = 0; d < dim; d++) sum[d] += h[t * dim + d];
        }
        float[] out = new float[dim];
        for (int d = 0; d < dim; d++) out[d] = (float) (sum[d] / tokens.length);
        return out;
    }

    /**
     * Samples again with every token the JSON constraint refuses masked out (llama.cpp does the same when the
     * freely sampled token breaks its grammar); -1 when no token can continue the output.
     */
    private int sampleAllowed(Sampler sampler, float[] logits, int vocab, int[] history, int historyLen, JsonConstraint json) {
        float[] masked = new float[vocab];
        boolean any = false;
        for (int id = 0; id < vocab; id++) {
            if (!tokenizer.isEog(id) && json.accepts(tokenizer.tokenBytes(id))) {
                masked[id] = logits[id];
                any = true;
            } else {
                masked[id] = Float.NEGATIVE_INFINITY;
            }
        }
        return any ? sampler.sample(masked, 0, vocab, history, historyLen, numCtx) : -1;
    }

    /** The prompt's token ids without the images' placeholders (for repetition penalties and the returned context). */
    private static int[] textOf(int[] input) {
        int n = 0;
        for (int t : input) if (t >= 0) n++;
        if (n == input.length) return input;
        int[] out = new int[n];
        n = 0;
        for (int t : input) if (t >= 0) out[n++] = t;
        return out;
    }

    private static int argmax(float[] values, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /** Forgets the cached tokens (the next prompt is evaluated from the start). */
    public void reset() {
        used = 0;
    }

    @Override
    public void close() {
        cache.close();
    }
}
