package io.jollama.engine.model;

import io.jollama.engine.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The real TinyStories 260K model: greedy continuations identical to llama.cpp's, token for token. */
class StoriesTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-f32.gguf", "stories260K-f16.gguf", "stories260K-q8_0.gguf"})
    void greedyMatchesLlamaCpp(String file) throws Exception {
        JsonNode root = JsonMapper.builder().build().readTree(TestData.path("models/stories260K-reference.json").toFile());
        try (Model m = Models.load(TestData.path("models/" + file), true)) {
            int vocab = m.config().vocabSize();
            for (JsonNode c : root.get("models").get(file)) {
                int[] prompt = Reference.ints(c.get("prompt_token_ids"));
                int[] expected = Reference.ints(c.get("generated_token_ids"));
                try (KvCache cache = m.newCache(m.config().contextLength())) {
                    float[] logits = m.forward(cache, prompt, 0, prompt.length, 0, false);
                    int[] got = new int[expected.length];
                    for (int i = 0; i < got.length; i++) {
                        got[i] = ForwardF32Test.argmax(logits, 0, vocab);
                        if (i + 1 < got.length) logits = m.forward(cache, got, i, 1, prompt.length + i, false);
                    }
                    assertArrayEquals(expected, got, file + " prompt '" + c.get("prompt").asString() + "'");
                }
            }
        }
    }
}
