package io.jollama.engine.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The quantized llama-spm files, with the checks the testdata README calls honest for an independent engine:
 * teacher-forced log-probs within 0.4 of llama.cpp's at every position, and the same arg-max wherever
 * llama.cpp's margin between its first two tokens exceeds 0.8. (Exact dequantization is DequantReferenceTest's.)
 */
class ForwardQuantizedTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm-q8_0.gguf", "llama-spm-q6_k.gguf", "llama-spm-q5_k_m.gguf", "llama-spm-q5_1.gguf",
            "llama-spm-q5_0.gguf", "llama-spm-q4_k_m.gguf", "llama-spm-q4_1.gguf", "llama-spm-q4_0.gguf",
            "llama-spm-q3_k_m.gguf", "llama-spm-q2_k.gguf"})
    void teacherForcedMatchesLlamaCpp(String file) throws Exception {
        Reference ref = Reference.arch(file);
        double worst = 0;
        int clear = 0, agreed = 0, freeRunChecked = 0;
        try (Model m = Models.load(ref.model(), true)) {
            int vocab = m.config().vocabSize();
            for (Reference.Case c : ref.cases()) {
                int[] all = ForwardF32Test.concat(c.promptTokens(), c.tokens());
                try (KvCache cache = m.newCache(256)) {
                    float[] logits = m.forward(cache, all, 0, all.length, 0, true);
                    boolean freeRunSoFar = true;
                    for (int i = 0; i < c.tokens().length; i++) {
                        int row = c.promptTokens().length - 1 + i;
                        double[] lp = ForwardF32Test.logSoftmax(logits, row * vocab, vocab);
                        Reference.Top5 t = c.top5().get(i);
                        for (int k = 0; k < 5; k++) worst = Math.max(worst, Math.abs(lp[t.ids()[k]] - t.logprobs()[k]));
                        double margin = t.logprobs()[0] - t.logprobs()[1];
                        int argmax = ForwardF32Test.argmax(logits, row * vocab, vocab);
                        if (margin > 0.8) {
                            clear++;
                            if (argmax == c.tokens()[i]) agreed++;
                            assertEquals(c.tokens()[i], argmax, file + " '" + c.prompt() + "' position " + i + " (margin " + margin + ")");
                        } else {
                            freeRunSoFar = false;
                        }
                        // free-running equality holds up to the first close call
                        if (freeRunSoFar) freeRunChecked++;
                    }
                }
            }
        }
        System.out.printf("%s: max |dlogprob| %.3f over the top-5 of 96 positions; arg-max agrees at %d/%d clear positions; %d leading tokens before any close call%n",
                file, worst, agreed, clear, freeRunChecked);
        assertTrue(worst < 0.4, file + ": " + worst);
        assertTrue(clear >= 9, "the reference has clear positions");
    }
}
