package io.jollama.engine.sample;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LogprobsTest {

    @Test
    void logSoftmaxOfTheChosenTokenAndTheBestAlternatives() {
        // the fourth logit is padding beyond the vocabulary and must be ignored
        float[] logits = {1f, 3f, 2f, 100f};
        Logprobs.Entry e = Logprobs.of(2, logits, 3, 2);
        double lse = Math.log(Math.exp(1) + Math.exp(3) + Math.exp(2));
        assertEquals(2, e.chosen().token());
        assertEquals(2 - lse, e.chosen().logprob(), 1e-12);
        assertEquals(List.of(1, 2), e.top().stream().map(Logprobs.TokenLogprob::token).toList());
        assertEquals(3 - lse, e.top().getFirst().logprob(), 1e-12);
        double total = 0;
        for (float l : new float[]{1f, 3f, 2f}) total += Math.exp(l - lse);
        assertEquals(1.0, total, 1e-12, "probabilities sum to one");
    }

    @Test
    void topIsCutToTheVocabularyAndTiesKeepTheLowerId() {
        float[] logits = {5f, 5f};
        assertArrayEquals(new int[]{0, 1}, Logprobs.topIds(logits, 2, 4));
        assertEquals(List.of(), Logprobs.of(0, logits, 2, 0).top());
    }

    @Test
    void largeLogitsDoNotOverflow() {
        float[] logits = {1000f, 999f};
        Logprobs.Entry e = Logprobs.of(0, logits, 2, 1);
        assertEquals(-Math.log1p(Math.exp(-1)), e.chosen().logprob(), 1e-9);
    }
}
