package io.jollama.engine.sample;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a logits row with llama.cpp's sampler chain, in its order:
 * repetition/presence/frequency penalties over the last {@code repeat_last_n} tokens, top-k, typical-p, top-p,
 * min-p, temperature, then a draw from the softmax (or the arg-max when the temperature is 0).
 * One sampler per generation: it owns the random generator, so a fixed seed gives the same text.
 */
public final class Sampler {
    private final SamplerOptions o;
    private final SplittableRandom random;
    // candidate buffers reused across tokens
    private int[] ids = new int[0];
    private float[] logits = new float[0];
    private double[] probs = new double[0];

    public Sampler(SamplerOptions options) {
        this.o = options;
        long seed = options.seed() < 0 ? System.nanoTime() ^ Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L : options.seed();
        this.random = new SplittableRandom(seed);
    }

    public SamplerOptions options() {
        return o;
    }

    /**
     * Samples from {@code vocab} logits at {@code row[off..]}. {@code history[0..historyLen)} are the tokens of the
     * sequence so far (prompt and generated), the penalties look at the last {@code repeat_last_n} of them.
     * The logits row is not modified.
     */
    public int sample(float[] row, int off, int vocab, int[] history, int historyLen, int contextSize) {
        ensure(vocab);
        int n = vocab;
        for (int i = 0; i < n; i++) {
            ids[i] = i;
            logits[i] = row[off + i];
        }
        applyPenalties(history, historyLen, contextSize);
        if (o.temperature() <= 0) {
            int best = 0;
            for (int i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
            return ids[best];
        }
        n = topK(n);
        n = typical(n);
        n = topP(n);
        n = minP(n);
        float t = o.temperature();
        for (int i = 0; i < n; i++) logits[i] /= t;
        softmax(n);
        double u = random.nextDouble();
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += probs[i];
            if (u < acc) return ids[i];
        }
        return ids[n - 1];
    }

    private void ensure(int vocab) {
        if (ids.length < vocab) {
            ids = new int[vocab];
            logits = new float[vocab];
            probs = new double[vocab];
        }
    }

    private void applyPenalties(int[] history, int historyLen, int contextSize) {
        int lastN = o.repeatLastN() < 0 ? contextSize : o.repeatLastN();
        if (lastN == 0 || historyLen == 0) return;
        if (o.repeatPenalty() == 1f && o.presencePenalty() == 0f && o.frequencyPenalty() == 0f) return;
        int from = Math.max(0, historyLen - lastN);
        // count occurrences; ids are still the identity here, so logits[token] is the token's logit
        java.util.HashMap<Integer, Integer> counts = new java.util.HashMap<>();
        for (int i = from; i < historyLen; i++) counts.merge(history[i], 1, Integer::sum);
        for (var e : counts.entrySet()) {
            int tok = e.getKey();
            if (tok < 0 || tok >= logits.length) continue;
            int count = e.getValue();
            float l = logits[tok];
            l = l <= 0 ? l * o.repeatPenalty() : l / o.repeatPenalty();
            l -= count * o.frequencyPenalty() + o.presencePenalty();
            logits[tok] = l;
        }
    }

    /** Sorts candidates [0, n) by logit, descending (partially: only the first k need to be in order). */
    private void sortDescending(int n, int k) {
        if (k < n && k <= 128) {
            // selection of the k best by a bounded insertion, cheaper than sorting a large vocabulary
            for (int i = 0; i < k; i++) {
                int best = i;
                for (int j = i + 1; j < n; j++) if (logits[j] > logits[best]) best = j;
                swap(i, best);
            }
            return;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int[] ni = new int[n];
        float[] nl = new float[n];
        for (int i = 0; i < n; i++) {
            ni[i] = ids[order[i]];
            nl[i] = logits[order[i]];
        }
        System.arraycopy(ni, 0, ids, 0, n);
        System.arraycopy(nl, 0, logits, 0, n);
    }

    private boolean sorted;

    private int topK(int n) {
        sorted = false;
        int k = o.topK();
        if (k <= 0 || k >= n) return n;
        sortDescending(n, k);
        sorted = true;
        return k;
    }

    private void ensureSorted(int n) {
        if (!sorted) {
            sortDescending(n, n);
            sorted = true;
        }
    }

    private void softmax(int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = Math.exp(logits[i] - max);
            sum += probs[i];
        }
        for (int i = 0; i < n; i++) probs[i] /= sum;
    }

    private int topP(int n) {
        float p = o.topP();
        if (p >= 1f || n <= 1) return n;
        ensureSorted(n);
        softmax(n);
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += probs[i];
            if (cum >= p) return i + 1;
        }
        return n;
    }

    private int minP(int n) {
        float p = o.minP();
        if (p <= 0f || n <= 1) return n;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i]);
        float threshold = max + (float) Math.log(p);
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (logits[i] >= threshold) {
                ids[kept] = ids[i];
                logits[kept] = logits[i];
                kept++;
            }
        }
        return Math.max(kept, 1);
    }

    /** Locally typical sampling: keep the tokens whose surprise is closest to the entropy, up to mass p. */
    private int typical(int n) {
        float p = o.typicalP();
        if (p >= 1f || n <= 1) return n;
        softmax(n);
        double entropy = 0;
        for (int i = 0; i < n; i++) if (probs[i] > 0) entropy -= probs[i] * Math.log(probs[i]);
        Integer[] order = new Integer[n];
        double[] shifted = new double[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            shifted[i] = Math.abs(-Math.log(probs[i]) - entropy);
        }
        Arrays.sort(order, (a, b) -> Double.compare(shifted[a], shifted[b]));
        double cum = 0;
        int keep = n;
        for (int i = 0; i < n; i++) {
            cum += probs[order[i]];
            if (cum > p) {
                keep = i + 1;
                break;
            }
        }
        int[] ni = new int[keep];
        float[] nl = new float[keep];
        for (int i = 0; i < keep; i++) {
            ni[i] = ids[order[i]];
            nl[i] = logits[order[i]];
        }
        System.arraycopy(ni, 0, ids, 0, keep);
        System.arraycopy(nl, 0, logits, 0, keep);
        sorted = false;
        return keep;
    }

    private void swap(int a, int b) {
        int ti = ids[a];
        ids[a] = ids[b];
        ids[b] = ti;
        float tl = logits[a];
        logits[a] = logits[b];
        logits[b] = tl;
    }
}
