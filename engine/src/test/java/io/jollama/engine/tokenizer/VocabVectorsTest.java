package io.jollama.engine.tokenizer;

import io.jollama.engine.TestData;
import io.jollama.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** llama.cpp's test-tokenizer-0 vectors: every vocab GGUF in testdata/vocab, add_special=false, parse_special=false. */
class VocabVectorsTest {

    record Case(String input, int[] expected) {}

    static List<Case> readCases(Path gguf) throws IOException {
        String inp = Files.readString(Path.of(gguf + ".inp"), StandardCharsets.UTF_8);
        List<String> out = Files.readAllLines(Path.of(gguf + ".out"), StandardCharsets.UTF_8);
        String sep = "\n__ggml_vocab_test__\n";
        List<String> inputs = new ArrayList<>();
        int pos = 0;
        while (pos < inp.length()) {
            int next = inp.indexOf(sep, pos);
            if (next < 0) { inputs.add(inp.substring(pos)); break; }
            inputs.add(inp.substring(pos, next));
            pos = next + sep.length();
        }
        assertEquals(inputs.size(), out.size(), "cases in " + gguf.getFileName() + ".inp vs .out");
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String line = out.get(i).strip();
            int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(inputs.get(i), ids));
        }
        return cases;
    }

    @Test
    void everyVocabPassesLlamaCppVectors() throws IOException {
        Path dir = TestData.dir().resolve("vocab");
        List<Path> vocabs;
        try (Stream<Path> s = Files.list(dir)) {
            vocabs = s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
        }
        assertFalse(vocabs.isEmpty(), "no vocab GGUFs in " + dir);
        List<String> failures = new ArrayList<>();
        StringBuilder summary = new StringBuilder();
        for (Path gguf : vocabs) {
            String name = gguf.getFileName().toString().replace("ggml-vocab-", "").replace(".gguf", "");
            Tokenizer tok;
            try (GgufFile f = GgufFile.open(gguf)) {
                tok = Tokenizer.fromGguf(f);
            } catch (IllegalArgumentException e) {
                summary.append(String.format("%-16s not supported: %s%n", name, e.getMessage()));
                failures.add(name + ": " + e.getMessage());
                continue;
            }
            List<Case> cases = readCases(gguf);
            int pass = 0, roundTrips = 0;
            for (Case c : cases) {
                int[] got = tok.encode(c.input(), false, false);
                if (Arrays.equals(got, c.expected())) {
                    pass++;
                } else if (failures.size() < 40) {
                    failures.add(name + ": " + show(c.input()) + " expected " + Arrays.toString(c.expected()) + " got " + Arrays.toString(got));
                }
                String decoded = tok.decode(c.expected());
                if (decoded.equals(c.input())) {
                    roundTrips++;
                } else if (!name.equals("bert-bge") && !hasCleanUpPattern(c.input())) {
                    // only WordPiece (lower-casing) and llama.cpp's clean_spaces pass may change the text
                    failures.add(name + ": decode " + show(decoded) + " instead of " + show(c.input()));
                }
            }
            summary.append(String.format("%-16s %d/%d   (decode gives the input back: %d/%d)%n", name, pass, cases.size(), roundTrips, cases.size()));
        }
        System.out.print(summary);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** Texts llama.cpp's clean_spaces detokenizer pass rewrites (" ?", " !", " .", " ,", " ' ", " 's", ...). */
    static boolean hasCleanUpPattern(String s) {
        return java.util.regex.Pattern.compile(" [?!.,]| ' | '(s|m|re|ve)").matcher(s).find();
    }

    static String show(String s) {
        return "\"" + s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + "\"";
    }
}
