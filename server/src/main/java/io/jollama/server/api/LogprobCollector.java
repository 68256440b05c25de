package io.jollama.server.api;

import io.jollama.engine.sample.Logprobs;
import io.jollama.engine.tokenizer.Tokenizer;
import io.jollama.server.api.InferenceTypes.Logprob;
import io.jollama.server.api.InferenceTypes.TopLogprob;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The log-probabilities of a generation as the API shows them (spec §8.6): the engine computes them
 * ({@link Logprobs}), this gives each token its text and bytes. Entries wait in {@code pending} until the next chunk
 * is written; {@code all} is the non-streaming answer's list.
 */
final class LogprobCollector {
    private final Tokenizer tok;
    private final int top;
    private final List<Logprob> pending = new ArrayList<>();
    final List<Logprob> all = new ArrayList<>();

    private LogprobCollector(Tokenizer tok, int top) {
        this.tok = tok;
        this.top = top;
    }

    /** A collector when the request asked for {@code logprobs}, else null. */
    static LogprobCollector of(Boolean logprobs, Integer topLogprobs, Tokenizer tok) {
        return Boolean.TRUE.equals(logprobs) ? new LogprobCollector(tok, topLogprobs == null ? 0 : topLogprobs) : null;
    }

    /** The entries since the last chunk (null when there are none or nothing was asked). */
    static List<Logprob> drain(LogprobCollector c) {
        if (c == null || c.pending.isEmpty()) return null;
        List<Logprob> out = List.copyOf(c.pending);
        c.pending.clear();
        return out;
    }

    /** The engine's token observer: called with each sampled token and the logits it was sampled from. */
    void add(int token, float[] logits, int vocab) {
        Logprobs.Entry e = Logprobs.of(token, logits, vocab, top);
        List<TopLogprob> best = new ArrayList<>();
        for (Logprobs.TokenLogprob t : e.top()) best.add(new TopLogprob(piece(t.token()), t.logprob(), bytes(t.token())));
        Logprob entry = new Logprob(piece(token), e.chosen().logprob(), bytes(token), best);
        pending.add(entry);
        all.add(entry);
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
