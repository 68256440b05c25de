package io.jollama.engine.runner;

import io.jollama.engine.TestData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The warm-up runs batch and single-token passes and leaves nothing behind: generation is unchanged after it. */
class RunnerWarmUpTest {

    private static int[] generate(Runner runner) {
        int[] prompt = runner.tokenizer().encode("Once upon a time", true, true);
        try (Sequence s = runner.newSequence()) {
            return s.generate(prompt, GenerateOptions.greedy(12), x -> {}, () -> false).context();
        }
    }

    @Test
    void warmUpLeavesGenerationUnchanged() throws Exception {
        int[] cold;
        try (Runner runner = Runner.load(TestData.path("models/stories260K-f32.gguf"), 128, 512, true)) {
            cold = generate(runner);
        }
        try (Runner runner = Runner.load(TestData.path("models/stories260K-f32.gguf"), 128, 512, true)) {
            runner.warmUp();
            assertArrayEquals(cold, generate(runner));
        }
    }

    @Test
    void warmUpFitsTinyContextsAndBatches() throws Exception {
        for (int[] ctxBatch : new int[][]{{4, 512}, {8, 1}, {64, 3}}) {
            try (Runner runner = Runner.load(TestData.path("models/stories260K-f32.gguf"), ctxBatch[0], ctxBatch[1], true)) {
                runner.warmUp();
                assertEquals(ctxBatch[0], runner.numCtx());
            }
        }
    }
}
