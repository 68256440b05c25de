package io.jollama.engine.runner;

import io.jollama.engine.TestData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sequences of one runner that generate at the same time are decoded as one batch per step, and each one's greedy
 * output is what it generates alone.
 */
class ParallelDecodeTest {

    @Test
    void fourConcurrentStreamsDecodeTogetherAndEachKeepsItsOwnOutput() throws Exception {
        String[] prompts = {"Once upon a time", "The little dog", "Lily and Tom went to the park", "One day, a bird"};
        try (Runner runner = Runner.load(TestData.path("models/stories260K-f32.gguf"), 256, 512, false)) {
            List<String> alone = new ArrayList<>();
            for (String p : prompts) alone.add(generate(runner, p, null));
            long[] before = runner.decodeStats();

            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> together = new ArrayList<>();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (String p : prompts) together.add(ex.submit(() -> generate(runner, p, start)));
                start.countDown();
                for (int i = 0; i < prompts.length; i++) assertEquals(alone.get(i), together.get(i).get(), prompts[i]);
            }
            long[] after = runner.decodeStats();
            long steps = after[0] - before[0], tokens = after[1] - before[1];
            assertTrue(tokens >= 4 * 50, "decoded " + tokens + " tokens");
            assertTrue(tokens >= 2.5 * steps, "mean batch " + (double) tokens / steps + " over " + steps + " steps");
        }
    }

    private static String generate(Runner runner, String prompt, CountDownLatch start) throws InterruptedException {
        if (start != null) start.await();
        try (Sequence s = runner.newSequence()) {
            StringBuilder out = new StringBuilder();
            int[] tokens = runner.tokenizer().encode(prompt, true, true);
            GenerationResult r = s.generate(tokens, GenerateOptions.greedy(100), out::append, () -> false);
            return out + " [" + r.doneReason() + " after " + r.evalCount() + "]";
        }
    }
}
