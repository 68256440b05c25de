package io.jollama.engine.model;

import io.jollama.engine.TestData;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Batched decoding: one {@link Model#forwardEach} pass over several sequences, each with its own cache
 * and position, gives every sequence exactly the logits of its token run alone.
 */
class ForwardEachTest {

    @Test
    void theF32StoriesModel() throws Exception {
        check("models/stories260K-f32.gguf");
    }

    /** Packed Q4_K/Q6_K matrices (rows in groups of 16) with an F16 cache. */
    @Test
    void aQuantizedModelWithPackedMatrices() throws Exception {
        check("models/arch/llama-spm-q4_k_m.gguf");
    }

    @Test
    void qwen2WithBiases() throws Exception {
        check("models/arch/qwen2-f32.gguf");
    }

    private static void check(String file) throws Exception {
        try (Model m = Models.load(TestData.path(file), false)) {
            int vocab = m.config().vocabSize();
            int[][] prompts = {{1, 7, 30, 11, 52}, {1, 9}, {1, 4, 4, 60, 2, 17, 33, 12, 40}, {1, 100 % vocab, 3}};
            int n = prompts.length;
            for (KvCache.Type type : KvCache.Type.values()) {
                KvCache[] batched = new KvCache[n], alone = new KvCache[n];
                try {
                    for (int i = 0; i < n; i++) {
                        batched[i] = m.newCache(32, type);
                        alone[i] = m.newCache(32, type);
                        m.forward(batched[i], prompts[i], 0, prompts[i].length, 0, false);
                        m.forward(alone[i], prompts[i], 0, prompts[i].length, 0, false);
                    }
                    // three steps: every sequence at its own position
                    for (int step = 0; step < 3; step++) {
                        int[] tokens = new int[n], pos = new int[n];
                        for (int i = 0; i < n; i++) {
                            tokens[i] = (5 + 13 * i + 7 * step) % vocab;
                            pos[i] = prompts[i].length + step;
                        }
                        float[] all = m.forwardEach(batched, tokens, pos);
                        assertEquals(n * vocab, all.length);
                        for (int i = 0; i < n; i++) {
                            float[] one = m.forward(alone[i], tokens, i, 1, pos[i], false);
                            assertArrayEquals(one, Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab),
                                    file + " " + type + " step " + step + " sequence " + i);
                        }
                    }
                } finally {
                    for (KvCache c : batched) if (c != null) c.close();
                    for (KvCache c : alone) if (c != null) c.close();
                }
            }
        }
    }
}
