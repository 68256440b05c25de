package io.jollama.engine.sample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Log-probabilities of a sampled token (Ollama's {@code logprobs}/{@code top_logprobs}): the log-softmax of the raw
 * logits, for the chosen token and the {@code top} most likely ones (highest first, the lower id first among equals).
 */
public final class Logprobs {

    private Logprobs() {}

    /** A token and its log-probability. */
    public record TokenLogprob(int token, double logprob) {}

    /** The chosen token and the {@code top} best alternatives (which may include it). */
    public record Entry(TokenLogprob chosen, List<TokenLogprob> top) {}

    /** @param vocab how many of {@code logits} are real tokens */
    public static Entry of(int token, float[] logits, int vocab, int top) {
        double lse = logSumExp(logits, vocab);
        List<TokenLogprob> best = new ArrayList<>();
        if (top > 0) {
            for (int id : topIds(logits, vocab, top)) best.add(new TokenLogprob(id, logits[id] - lse));
        }
        return new Entry(new TokenLogprob(token, logits[token] - lse), best);
    }

    /** log Σ exp(logits[i]) over the first {@code vocab} logits, computed from the maximum for stability. */
    public static double logSumExp(float[] logits, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[i] - max);
        return max + Math.log(sum);
    }

    /** The ids of the {@code k} largest logits, largest first; fewer when the vocabulary is smaller. */
    static int[] topIds(float[] logits, int vocab, int k) {
        int[] ids = new int[k];
        Arrays.fill(ids, -1);
        for (int i = 0; i < vocab; i++) {
            float v = logits[i];
            if (ids[k - 1] >= 0 && v <= logits[ids[k - 1]]) continue;
            int at = k - 1;
            while (at > 0 && (ids[at - 1] < 0 || v > logits[ids[at - 1]])) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
        }
        int n = 0;
        while (n < k && ids[n] >= 0) n++;
        return Arrays.copyOf(ids, n);
    }
}
