package io.jollama.engine.model;

import io.jollama.engine.runner.Runner;
import io.jollama.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Encoder models (bert, nomic-bert): tokens and pooled embeddings equal llama.cpp's {@code llama-embedding} on the
 * same random-weight files (written by {@link BertFixture}), several inputs in one forward pass.
 */
class EncoderTest {
    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"bert", "nomic-bert"})
    void embeddingsMatchLlamaCpp(String arch) throws Exception {
        JsonNode ref = JsonMapper.builder().build()
                .readTree(EncoderTest.class.getResourceAsStream("/bert-reference.json")).get("models").get(arch);
        Path file = dir.resolve(arch + ".gguf");
        BertFixture.write(file, arch);
        try (Runner runner = Runner.load(file, 512, 512, true)) {
            Model m = runner.model();
            assertTrue(m.encoder());
            assertEquals(arch.equals("bert") ? Pooling.CLS : Pooling.MEAN, m.pooling());
            Tokenizer tok = runner.tokenizer();
            List<int[]> inputs = new ArrayList<>();
            for (int i = 0; i < ref.get("prompts").size(); i++) {
                int[] ids = tok.encode(ref.get("prompts").get(i).asString(), true, true);
                assertArrayEquals(Reference.ints(ref.get("tokens").get(i)), ids, "tokens of prompt " + i);
                inputs.add(ids);
            }
            runner.warmUp();
            List<float[]> together = runner.embed(inputs);
            for (int i = 0; i < inputs.size(); i++) {
                double[] expected = Reference.doubles(ref.get("embeddings").get(i));
                float[] actual = together.get(i);
                assertEquals(expected.length, actual.length);
                double dot = 0, na = 0, nb = 0, maxDiff = 0;
                for (int d = 0; d < actual.length; d++) {
                    dot += expected[d] * actual[d];
                    na += expected[d] * expected[d];
                    nb += (double) actual[d] * actual[d];
                    maxDiff = Math.max(maxDiff, Math.abs(expected[d] - actual[d]));
                }
                double cosine = dot / Math.sqrt(na * nb);
                assertTrue(cosine > 0.99999, arch + " prompt " + i + ": cosine " + cosine);
                assertTrue(maxDiff < 2e-3, arch + " prompt " + i + ": max difference " + maxDiff);
                // one input alone gives the same vector as in the batch, up to rounding (a batch of 16 tokens or more
                // multiplies through float panels, a shorter one through the row kernels)
                assertArrayEquals(actual, runner.embed(List.of(inputs.get(i))).getFirst(), 1e-3f);
            }
        }
    }
}
