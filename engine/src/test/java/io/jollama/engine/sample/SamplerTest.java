package io.jollama.engine.sample;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SamplerTest {

    static SamplerOptions opts(float temp, int topK, float topP, float minP, float typical, int lastN, float rep, float pres, float freq, long seed) {
        return new SamplerOptions(temp, topK, topP, minP, typical, lastN, rep, pres, freq, seed);
    }

    static float[] randomLogits(int n, long seed) {
        Random r = new Random(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (r.nextGaussian() * 3);
        return l;
    }

    static Map<Integer, Integer> histogram(SamplerOptions o, float[] logits, int draws) {
        Sampler s = new Sampler(o);
        Map<Integer, Integer> h = new HashMap<>();
        for (int i = 0; i < draws; i++) h.merge(s.sample(logits, 0, logits.length, new int[0], 0, 0), 1, Integer::sum);
        return h;
    }

    @Test
    void temperatureZeroIsArgmax() {
        float[] l = randomLogits(1000, 1);
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        Sampler s = new Sampler(SamplerOptions.GREEDY);
        for (int i = 0; i < 5; i++) assertEquals(best, s.sample(l, 0, l.length, new int[0], 0, 0));
    }

    @Test
    void sameSeedSameSequenceDifferentSeedDiffers() {
        float[] l = randomLogits(500, 2);
        SamplerOptions o = SamplerOptions.DEFAULTS.withTemperature(1.5f).withSeed(42);
        Sampler a = new Sampler(o), b = new Sampler(o), c = new Sampler(o.withSeed(43));
        int same = 0;
        StringBuilder sa = new StringBuilder(), sc = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            int x = a.sample(l, 0, l.length, new int[0], 0, 0);
            assertEquals(x, b.sample(l, 0, l.length, new int[0], 0, 0));
            sa.append(x).append(',');
            sc.append(c.sample(l, 0, l.length, new int[0], 0, 0)).append(',');
        }
        assertNotEquals(sa.toString(), sc.toString());
    }

    @Test
    void topKOneIsGreedyAndTopKLimitsTheSupport() {
        float[] l = randomLogits(300, 3);
        Integer[] order = new Integer[l.length];
        for (int i = 0; i < l.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Float.compare(l[y], l[x]));
        var h1 = histogram(opts(1f, 1, 1f, 0f, 1f, 0, 1f, 0, 0, 7), l, 200);
        assertEquals(Map.of(order[0], 200), h1);
        var h5 = histogram(opts(5f, 5, 1f, 0f, 1f, 0, 1f, 0, 0, 7), l, 3000);
        assertTrue(h5.size() <= 5 && h5.size() >= 3, h5.toString());
        for (int tok : h5.keySet()) assertTrue(java.util.Arrays.asList(order).subList(0, 5).contains(tok));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // probabilities 0.5, 0.3, 0.15, 0.05
        float[] l = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        var h = histogram(opts(1f, 0, 0.75f, 0f, 1f, 0, 1f, 0, 0, 9), l, 5000);
        assertEquals(java.util.Set.of(0, 1), h.keySet());
        double share0 = h.get(0) / 5000.0;
        assertEquals(0.5 / 0.8, share0, 0.03);
    }

    @Test
    void minPDropsUnlikelyTokens() {
        float[] l = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        // min_p 0.2: threshold 0.1 → token 3 (0.05) goes, token 2 (0.15) stays
        var h = histogram(opts(1f, 0, 1f, 0.2f, 1f, 0, 1f, 0, 0, 11), l, 5000);
        assertEquals(java.util.Set.of(0, 1, 2), h.keySet());
    }

    @Test
    void typicalPKeepsTokensNearTheEntropy() {
        float[] l = {(float) Math.log(0.7), (float) Math.log(0.1), (float) Math.log(0.1), (float) Math.log(0.1)};
        var h = histogram(opts(1f, 0, 1f, 0f, 0.2f, 0, 1f, 0, 0, 13), l, 2000);
        // the entropy (~0.94) is closer to -log 0.7 (0.36) than to -log 0.1 (2.3): the typical set is {0}
        assertEquals(java.util.Set.of(0), h.keySet());
    }

    @Test
    void penaltiesFollowLlamaCpp() {
        float[] l = {2f, -2f, 1.9f, 0.5f};
        int[] history = {0, 0, 1, 3};
        // repeat penalty 2: token 0 (positive) 2 → 1, token 1 (negative) -2 → -4, token 3 0.5 → 0.25
        // frequency 0.1 per occurrence and presence 0.05: token 0: 1 - 0.2 - 0.05 = 0.75
        SamplerOptions o = opts(0f, 0, 1f, 0f, 1f, 64, 2f, 0.05f, 0.1f, 1);
        Sampler s = new Sampler(o);
        assertEquals(2, s.sample(l, 0, 4, history, history.length, 128), "token 2 wins once token 0 is penalised");
        // outside repeat_last_n the history does not count
        SamplerOptions shortWindow = opts(0f, 0, 1f, 0f, 1f, 1, 2f, 0.05f, 0.1f, 1);
        assertEquals(0, new Sampler(shortWindow).sample(l, 0, 4, history, history.length, 128));
        // repeat_last_n = 0 disables the penalties
        assertEquals(0, new Sampler(opts(0f, 0, 1f, 0f, 1f, 0, 2f, 0.05f, 0.1f, 1)).sample(l, 0, 4, history, history.length, 128));
    }

    @Test
    void logitsRowIsNotModifiedAndLargeVocabIsFast() {
        float[] l = randomLogits(152_000, 5);
        float[] copy = l.clone();
        Sampler s = new Sampler(SamplerOptions.DEFAULTS.withSeed(1));
        int[] hist = new int[64];
        for (int i = 0; i < 20; i++) s.sample(l, 0, l.length, hist, hist.length, 4096);
        assertArrayEquals(copy, l);
    }
}
