package io.jollama.engine.runner;

import io.jollama.engine.TestData;
import io.jollama.engine.sample.SamplerOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The generate loop on the real TinyStories model: text, stop sequences, limits, cancellation, context shift. */
class SequenceTest {
    static Runner runner;
    static JsonNode reference;

    @BeforeAll
    static void load() throws Exception {
        runner = Runner.load(TestData.path("models/stories260K-f32.gguf"), 128, 512, true);
        reference = JsonMapper.builder().build().readTree(TestData.path("models/stories260K-reference.json").toFile())
                .get("models").get("stories260K-f32.gguf");
    }

    @AfterAll
    static void close() {
        runner.close();
    }

    record Run(String text, GenerationResult result, List<String> pieces) {}

    static Run run(String prompt, GenerateOptions o) {
        try (Sequence s = runner.newSequence()) {
            return run(s, prompt, o);
        }
    }

    static Run run(Sequence s, String prompt, GenerateOptions o) {
        int[] tokens = runner.tokenizer().encode(prompt, true, true);
        List<String> pieces = new ArrayList<>();
        GenerationResult r = s.generate(tokens, o, pieces::add, () -> false);
        return new Run(String.join("", pieces), r, pieces);
    }

    @Test
    void greedyTextEqualsLlamaCpp() {
        for (JsonNode c : reference) {
            Run r = run(c.get("prompt").asString(), GenerateOptions.greedy(c.get("generated_token_ids").size()));
            assertEquals(c.get("generated_text").asString(), r.text(), c.get("prompt").asString());
            assertEquals("length", r.result().doneReason());
            assertEquals(c.get("generated_token_ids").size(), r.result().evalCount());
            assertEquals(c.get("prompt_token_ids").size(), r.result().promptEvalCount());
            assertTrue(r.pieces().size() > 10, "streamed in pieces");
        }
    }

    @Test
    void stopSequenceIsNeverEmittedEvenWhenSplitAcrossTokens() {
        // greedy continuation of "Once upon a time": ", there was a little girl named Lily. She loved to play..."
        GenerateOptions o = new GenerateOptions(64, List.of("girl named"), SamplerOptions.GREEDY, 4, true);
        Run r = run("Once upon a time", o);
        assertEquals(", there was a little ", r.text());
        assertEquals("stop", r.result().doneReason());
        GenerateOptions dot = new GenerateOptions(64, List.of("y. S"), SamplerOptions.GREEDY, 4, true);
        assertEquals(", there was a little girl named Lil", run("Once upon a time", dot).text());
    }

    @Test
    void numPredictLimitsAndContextIsReturned() {
        Run r = run("Once upon a time", GenerateOptions.greedy(5));
        assertEquals(5, r.result().evalCount());
        assertEquals("length", r.result().doneReason());
        assertEquals(5 + 5, r.result().context().length);
    }

    @Test
    void cancellationStopsWithinOneToken() {
        AtomicInteger pieces = new AtomicInteger();
        try (Sequence s = runner.newSequence()) {
            int[] tokens = runner.tokenizer().encode("Once upon a time", true, true);
            GenerationResult r = s.generate(tokens, GenerateOptions.greedy(100), t -> pieces.incrementAndGet(), () -> pieces.get() >= 3);
            assertEquals("cancel", r.doneReason());
            assertEquals(3, r.evalCount());
        }
    }

    @Test
    void contextShiftKeepsGeneratingPastTheWindow() {
        // context of 128: generating 300 tokens needs several shifts
        Run r = run("Once upon a time", GenerateOptions.greedy(300));
        assertEquals(300, r.result().evalCount());
        assertFalse(r.text().isBlank());
        // without shifting, generation ends at the window
        GenerateOptions noShift = new GenerateOptions(300, List.of(), SamplerOptions.GREEDY, 4, false);
        Run limited = run("Once upon a time", noShift);
        assertEquals("length", limited.result().doneReason());
        // 123 tokens fill positions 5..127, and the logits of the last position still give one more token
        assertEquals(128 - 5 + 1, limited.result().evalCount());
    }

    @Test
    void promptCacheReuseGivesTheSameText() {
        try (Sequence s = runner.newSequence()) {
            Run first = run(s, "Once upon a time", GenerateOptions.greedy(20));
            Run second = run(s, "Once upon a time", GenerateOptions.greedy(20));
            assertEquals(first.text(), second.text());
            // a longer prompt sharing the cached prefix
            Run third = run(s, "Once upon a time" + first.text(), GenerateOptions.greedy(10));
            try (Sequence fresh = runner.newSequence()) {
                assertEquals(run(fresh, "Once upon a time" + first.text(), GenerateOptions.greedy(10)).text(), third.text());
            }
        }
    }

    @Test
    void jsonModeOutputIsJson() throws Exception {
        for (SamplerOptions s : new SamplerOptions[]{SamplerOptions.GREEDY, SamplerOptions.DEFAULTS.withSeed(7)}) {
            GenerateOptions o = new GenerateOptions(120, List.of(), s, 4, true, true);
            Run r = run("Once upon a time", o);
            String text = r.text();
            assertTrue(text.startsWith("{"), text);
            io.jollama.engine.sample.JsonConstraint c = new io.jollama.engine.sample.JsonConstraint();
            assertTrue(c.feed(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), "a valid JSON prefix: " + text);
            if (r.result().doneReason().equals("stop")) {
                assertTrue(c.complete(), text);
                assertTrue(JsonMapper.builder().build().readTree(text).isObject(), text);
            }
        }
    }

    @Test
    void seededSamplingIsReproducible() {
        SamplerOptions o = SamplerOptions.DEFAULTS.withSeed(1234);
        GenerateOptions g = new GenerateOptions(40, List.of(), o, 4, true);
        assertEquals(run("Lily and Tom", g).text(), run("Lily and Tom", g).text());
    }
}
