package io.jollama.engine.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** F32 models: greedy tokens equal llama.cpp's exactly; log-probs within the tolerances of the testdata README. */
class ForwardF32Test {

    static int argmax(float[] logits, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[off + i] > logits[off + best]) best = i;
        return best;
    }

    static double[] logSoftmax(float[] logits, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(logits[off + i] - max);
        double lse = max + Math.log(sum);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = logits[off + i] - lse;
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe-f32.gguf", "qwen2-f32.gguf", "qwen3-f32.gguf", "phi3-f32.gguf", "gemma3-f32.gguf"})
    void greedyMatchesLlamaCpp(String file) throws Exception {
        Reference ref = Reference.arch(file);
        try (Model m = Models.load(ref.model(), true)) {
            int vocab = m.config().vocabSize();
            for (Reference.Case c : ref.cases()) {
                try (KvCache cache = m.newCache(256)) {
                    int[] p = c.promptTokens();
                    float[] logits = m.forward(cache, p, 0, p.length, 0, false);
                    int pos = p.length;
                    int[] got = new int[c.tokens().length];
                    for (int i = 0; i < got.length; i++) {
                        got[i] = argmax(logits, 0, vocab);
                        logits = m.forward(cache, got, i, 1, pos++, false);
                    }
                    assertArrayEquals(c.tokens(), got, file + " prompt '" + c.prompt() + "'");
                }
            }
        }
    }

    /**
     * Teacher-forced log-probs: with an F32 cache against llama.cpp's f32-KV/no-flash-attention variant (README: 1e-4),
     * and with the default F16 cache (flash-attention roundings emulated) against its default references (README: 3e-2 for
     * plain f32 math, about 5e-3 reachable with the emulation; we hold ourselves to 6e-3).
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe-f32.gguf", "qwen2-f32.gguf", "qwen3-f32.gguf", "phi3-f32.gguf", "gemma3-f32.gguf"})
    void teacherForcedLogprobsMatch(String file) throws Exception {
        Reference ref = Reference.arch(file);
        double worstF32 = worst(ref, ref.f32KvCases(), KvCache.Type.F32);
        double worstF16 = worst(ref, ref.cases(), KvCache.Type.F16);
        System.out.printf("%s: max |dlogprob| F32 cache vs f32-KV variant %.2e; F16 cache vs default references %.2e%n", file, worstF32, worstF16);
        // gemma3's GELU is ggml's f16 table, emulated: the README measured 5.3e-4 for that and allows 1e-3
        double f32Tolerance = file.startsWith("gemma3") ? 1e-3 : 1e-4;
        assertTrue(worstF32 < f32Tolerance, file + ": " + worstF32);
        assertTrue(worstF16 < 6e-3, file + ": " + worstF16);
    }

    static double worst(Reference ref, java.util.List<Reference.Case> cases, KvCache.Type type) throws Exception {
        double worst = 0;
        try (Model m = Models.load(ref.model(), false)) {
            int vocab = m.config().vocabSize();
            for (Reference.Case c : cases) {
                int[] all = concat(c.promptTokens(), c.tokens());
                try (KvCache cache = m.newCache(256, type)) {
                    // the whole sequence as one batch: logits at every position
                    float[] logits = m.forward(cache, all, 0, all.length, 0, true);
                    for (int i = 0; i < c.tokens().length; i++) {
                        int row = c.promptTokens().length - 1 + i;
                        double[] lp = logSoftmax(logits, row * vocab, vocab);
                        Reference.Top5 t = c.top5().get(i);
                        for (int k = 0; k < 5; k++) worst = Math.max(worst, Math.abs(lp[t.ids()[k]] - t.logprobs()[k]));
                    }
                }
            }
        }
        return worst;
    }

    static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
