package io.jollama.engine.tokenizer;

import io.jollama.engine.TestData;
import io.jollama.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The tiny reference models: llama-server's /tokenize of each prompt (add_special, parse_special) and the text of
 * its generated tokens.
 */
class ReferenceModelsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Sample(String prompt, int[] promptTokens, int[] generated, String content) {}

    @Test
    void archModelsMatchLlamaServer() throws IOException {
        Path dir = TestData.dir().resolve("models/arch");
        List<Path> models;
        try (Stream<Path> s = Files.list(dir)) {
            models = s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
        }
        assertFalse(models.isEmpty(), "no models in " + dir);
        for (Path model : models) {
            JsonNode ref = JSON.readTree(Path.of(model + ".reference.json").toFile());
            List<Sample> samples = new ArrayList<>();
            for (JsonNode p : ref.get("prompts")) {
                samples.add(new Sample(p.get("prompt").asString(), ints(p.get("prompt_tokens")), ints(p.get("tokens")), p.get("content").asString()));
            }
            check(model, samples);
        }
    }

    @Test
    void stories260KMatchesLlamaCpp() throws IOException {
        Path dir = TestData.dir().resolve("models");
        JsonNode ref = JSON.readTree(dir.resolve("stories260K-reference.json").toFile());
        var names = ref.get("models").propertyNames().iterator();
        int n = 0;
        while (names.hasNext()) {
            String file = names.next();
            List<Sample> samples = new ArrayList<>();
            for (JsonNode p : ref.get("models").get(file)) {
                samples.add(new Sample(p.get("prompt").asString(), ints(p.get("prompt_token_ids")), ints(p.get("generated_token_ids")), p.get("generated_text").asString()));
            }
            check(dir.resolve(file), samples);
            n++;
        }
        assertEquals(3, n, "stories260K variants in the reference");
    }

    private static void check(Path model, List<Sample> samples) throws IOException {
        Tokenizer tok;
        try (GgufFile f = GgufFile.open(model)) {
            tok = Tokenizer.fromGguf(f);
        }
        String name = model.getFileName().toString();
        int decodeChecks = 0;
        for (Sample s : samples) {
            assertArrayEquals(s.promptTokens(), tok.encode(s.prompt(), true, true), name + ": tokens of " + s.prompt());
            StreamingDecoder dec = new StreamingDecoder(tok);
            StringBuilder streamed = new StringBuilder();
            for (int t : s.generated()) streamed.append(dec.next(t));
            streamed.append(dec.flush());
            assertEquals(s.content(), streamed.toString(), name + ": streamed text of the generation after " + s.prompt());
            // whole-sequence decode of prompt + generation: the prompt's text followed by the content,
            // unless llama.cpp's clean_spaces pass rewrites something
            int[] all = IntStream.concat(IntStream.of(s.promptTokens()), IntStream.of(s.generated())).toArray();
            boolean cleanSpaces = ((VocabTokenizer) tok).vocab.cleanSpaces;
            if (!cleanSpaces || !VocabVectorsTest.hasCleanUpPattern(tok.decode(s.promptTokens()) + s.content())) {
                assertEquals(tok.decode(s.promptTokens()) + s.content(), tok.decode(all), name + ": decode after " + s.prompt());
                decodeChecks++;
            }
        }
        System.out.printf("%-28s %d/%d prompt tokens, %d/%d streamed contents, %d/%d decodes (others rewritten by clean_spaces) match%n",
                name, samples.size(), samples.size(), samples.size(), samples.size(), decodeChecks, samples.size());
    }

    private static int[] ints(JsonNode array) {
        int[] r = new int[array.size()];
        for (int i = 0; i < r.length; i++) r[i] = array.get(i).asInt();
        return r;
    }
}
