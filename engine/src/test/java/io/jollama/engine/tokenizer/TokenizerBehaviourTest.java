package io.jollama.engine.tokenizer;

import io.jollama.engine.TestData;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerBehaviourTest {

    static Tokenizer load(String relative) throws IOException {
        try (GgufFile f = GgufFile.open(TestData.dir().resolve(relative))) {
            return Tokenizer.fromGguf(f);
        }
    }

    /** Feeds tokens one by one; returns what each next() gave, then flush() last. */
    static List<String> stream(Tokenizer tok, int[] tokens) {
        StreamingDecoder d = new StreamingDecoder(tok);
        List<String> parts = new ArrayList<>();
        for (int t : tokens) parts.add(d.next(t));
        parts.add(d.flush());
        return parts;
    }

    @Test
    void streamingJoinsSpmByteFallbackTokens() throws IOException {
        Tokenizer tok = load("models/arch/llama-spm-q8_0.gguf"); // 512 pieces: no non-ASCII characters at all
        String text = "caf\u00e9 \uD83E\uDD99!"; // é is 2 UTF-8 bytes, 🦙 is 4
        int[] ids = tok.encode(text, false, false);
        long byteTokens = Arrays.stream(ids).filter(t -> tok.tokenText(t).startsWith("<0x")).count();
        assertEquals(6, byteTokens, "é and 🦙 fall back to 2 + 4 byte tokens: " + Arrays.toString(ids));
        List<String> parts = stream(tok, ids);
        assertEquals(tok.decode(ids), String.join("", parts).substring(1)); // decode drops the space prefix
        assertTrue(parts.contains("\u00e9"), "é emitted whole: " + parts);
        assertTrue(parts.contains("\uD83E\uDD99"), "🦙 emitted whole: " + parts);
        int llama = parts.indexOf("\uD83E\uDD99");
        assertEquals(List.of("", "", ""), parts.subList(llama - 3, llama), "nothing while 🦙 is incomplete");
        assertFalse(parts.stream().anyMatch(p -> p.contains("\uFFFD")));
    }

    @Test
    void streamingJoinsBpeByteTokens() throws IOException {
        Tokenizer tok = load("models/arch/qwen2-f32.gguf"); // byte-level BPE: ids 0..255 are the byte symbols
        String text = "a\u20ac\uD83E\uDD99"; // € is 3 UTF-8 bytes, 🦙 is 4
        int[] ids = tok.encode(text, false, false);
        assertEquals(text, tok.decode(ids));
        List<String> parts = stream(tok, ids);
        assertEquals(tok.decode(ids), String.join("", parts));
        assertTrue(parts.contains("\u20ac") || parts.stream().anyMatch(p -> p.endsWith("\u20ac")), "€ whole: " + parts);
        assertTrue(parts.stream().anyMatch(p -> p.endsWith("\uD83E\uDD99")), "🦙 whole: " + parts);
        assertTrue(parts.stream().filter(String::isEmpty).count() >= 2, "some tokens completed no character: " + parts);
        assertFalse(parts.stream().anyMatch(p -> p.contains("\uFFFD")));
    }

    @Test
    void streamingFlushesAnIncompleteCharacterAsReplacement() throws IOException {
        Tokenizer tok = load("models/arch/llama-spm-q8_0.gguf");
        int e2 = tok.encode("\u20ac", false, false)[1]; // [▁, <0xE2>, <0x82>, <0xAC>]
        assertEquals("<0xE2>", tok.tokenText(e2));
        StreamingDecoder d = new StreamingDecoder(tok);
        assertEquals("", d.next(e2));
        assertEquals("\uFFFD", d.flush());
        assertEquals("", d.flush());
    }

    @Test
    void specialTokensAreParsedOnlyWhenAsked() throws IOException {
        Tokenizer qwen = load("models/arch/qwen2-f32.gguf");
        String chat = "<|im_start|>user\nHi<|im_end|>";
        int[] parsed = qwen.encode(chat, true, true);
        assertEquals(1022, parsed[0]);
        assertEquals(1023, parsed[parsed.length - 1]);
        int[] literal = qwen.encode(chat, true, false);
        assertFalse(Arrays.stream(literal).anyMatch(t -> t == 1022 || t == 1023), Arrays.toString(literal));
        assertEquals(chat, qwen.decode(literal));
        assertEquals("user\nHi", qwen.decode(parsed), "control tokens produce no text");
        assertArrayEquals(new byte[0], qwen.tokenBytes(1022));
        assertEquals("<|im_start|>", qwen.tokenText(1022));

        Tokenizer spm = load("models/arch/llama-spm-q8_0.gguf");
        assertArrayEquals(new int[] {1, 1}, Arrays.copyOf(spm.encode("<s>Hi", true, true), 2));
        assertNotEquals(1, spm.encode("<s>Hi", true, false)[1]);
    }

    @Test
    void phi3StripsSpacesAfterItsChatTokens() throws IOException {
        Tokenizer phi3 = load("models/arch/phi3-f32.gguf");
        int user = 516;
        assertEquals("<|user|>", phi3.tokenText(user));
        int[] withNewline = phi3.encode("<|user|>\nHello", true, true);
        assertEquals(user, withNewline[1]);
        assertArrayEquals(phi3.encode("<|user|>Hello", true, true), withNewline, "rstrip drops the newline after <|user|>");
    }

    @Test
    void specialIdsFlagsAndEndOfGeneration() throws IOException {
        Tokenizer spm = load("vocab/ggml-vocab-llama-spm.gguf");
        assertEquals(32000, spm.vocabSize());
        assertEquals(1, spm.bos());
        assertEquals(2, spm.eos());
        assertTrue(spm.addBos());
        assertFalse(spm.addEos());
        assertTrue(spm.isEog(2));
        assertFalse(spm.isEog(1));
        assertTrue(spm.isControl(1));
        assertFalse(spm.isControl(100));
        assertEquals(1, spm.encode("Hello", true, false)[0]);
        assertEquals(" the", new String(spm.tokenBytes(spm.encode("the", false, false)[0]), StandardCharsets.UTF_8));
        int byteA = Arrays.asList(textsOf(spm)).indexOf("<0x41>");
        assertArrayEquals(new byte[] {'A'}, spm.tokenBytes(byteA));

        Tokenizer llama3 = load("vocab/ggml-vocab-llama-bpe.gguf");
        assertTrue(llama3.addBos());
        assertEquals(128000, llama3.bos());
        assertEquals(128000, llama3.encode("Hi", true, false)[0]);
        int eotId = Arrays.asList(textsOf(llama3)).indexOf("<|eot_id|>");
        assertTrue(llama3.isEog(eotId), "<|eot_id|> ends generation");
        assertTrue(llama3.isEog(llama3.eos()));

        Tokenizer qwen = load("vocab/ggml-vocab-qwen2.gguf");
        assertFalse(qwen.addBos());
        List<String> texts = Arrays.asList(textsOf(qwen));
        assertTrue(qwen.isEog(texts.indexOf("<|im_end|>")));
        assertTrue(qwen.isEog(texts.indexOf("<|endoftext|>")));
        assertFalse(qwen.isEog(texts.indexOf("<|im_start|>")));

        Tokenizer phi3 = load("models/arch/phi3-f32.gguf");
        assertTrue(phi3.isEog(515), "<|end|>");
        assertTrue(phi3.isEog(512), "<|endoftext|>");
        assertThrows(IllegalArgumentException.class, () -> phi3.tokenText(phi3.vocabSize()));
    }

    @Test
    void wordPieceWrapsInClsAndSep() throws IOException {
        Tokenizer bert = load("vocab/ggml-vocab-bert-bge.gguf");
        int[] plain = bert.encode("Hello, World!", false, false);
        assertArrayEquals(new int[] {7592, 1010, 2088, 999}, plain, "lower-cased words and punctuation");
        int[] wrapped = bert.encode("Hello, World!", true, false);
        assertEquals(101, wrapped[0], "[CLS]");
        assertEquals(102, wrapped[wrapped.length - 1], "[SEP]");
        assertArrayEquals(plain, Arrays.copyOfRange(wrapped, 1, wrapped.length - 1));
        assertEquals(" hello, world!", bert.decode(wrapped), "[CLS]/[SEP] give no text; clean_spaces joins the punctuation");
        assertArrayEquals(new int[] {100}, bert.encode("\u2603\u2603", false, false), "a word with no pieces is [UNK]");
    }

    @Test
    void gemma4StyleBpeKeepsRawUtf8AndSpaceMarks(@TempDir Path tmp) throws IOException {
        // a hand-made vocabulary in Gemma 4's shape: ▁ for spaces, raw UTF-8 pieces, <0xNN> byte fallback
        List<String> tokens = new ArrayList<>(List.of("<pad>", "<eos>", "<bos>"));
        for (int b = 0; b < 256; b++) tokens.add(String.format("<0x%02X>", b));
        tokens.addAll(List.of("\u2581", "h", "e", "l", "o", "w", "he", "ll", "hell", "hello", "\u2581hello", "\n", "\n\n"));
        int[] types = new int[tokens.size()];
        Arrays.fill(types, 1);
        types[0] = types[1] = types[2] = 3;
        for (int b = 0; b < 256; b++) types[3 + b] = 6;
        Path file = tmp.resolve("gemma4.gguf");
        new GgufWriter().put("general.architecture", "gemma4").put("tokenizer.ggml.model", "gemma4")
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings(tokens.toArray(String[]::new)))
                .put("tokenizer.ggml.token_type", GgufValue.ofInts(types))
                .put("tokenizer.ggml.merges", GgufValue.ofStrings("h e", "l l", "he ll", "hell o", "\u2581 hello"))
                .putU32("tokenizer.ggml.bos_token_id", 2).putU32("tokenizer.ggml.eos_token_id", 1)
                .putBool("tokenizer.ggml.add_bos_token", false).write(file);
        Tokenizer tok;
        try (GgufFile f = GgufFile.open(file)) {
            tok = Tokenizer.fromGguf(f);
        }
        int hello = tokens.indexOf("hello"), spaceHello = tokens.indexOf("\u2581hello"), nn = tokens.indexOf("\n\n"), w = tokens.indexOf("w");
        int[] ids = tok.encode("hello hello\n\nw\u00e9", true, false);
        assertArrayEquals(new int[] {2, hello, spaceHello, nn, w, 3 + 0xC3, 3 + 0xA9}, ids,
                "BOS forced; merges over raw characters; a newline run that is a token stays whole; é as bytes");
        assertEquals("hello hello\n\nw\u00e9", tok.decode(ids));
        assertEquals(" hello", new String(tok.tokenBytes(spaceHello), StandardCharsets.UTF_8));
        assertTrue(tok.isEog(1));
    }

    static String[] textsOf(Tokenizer t) {
        String[] r = new String[t.vocabSize()];
        for (int i = 0; i < r.length; i++) r[i] = t.tokenText(i);
        return r;
    }

    @Test
    void unknownModelsAreRefusedByName(@TempDir Path tmp) throws IOException {
        Path unknownModel = tmp.resolve("m.gguf");
        new GgufWriter().put("tokenizer.ggml.model", "sentencepiece-x")
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings("a", "b")).write(unknownModel);
        try (GgufFile f = GgufFile.open(unknownModel)) {
            var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(f));
            assertTrue(e.getMessage().contains("'sentencepiece-x'"), e.getMessage());
        }
        Path unknownPre = tmp.resolve("p.gguf");
        new GgufWriter().put("tokenizer.ggml.model", "gpt2").put("tokenizer.ggml.pre", "no-such-pre")
                .put("tokenizer.ggml.tokens", GgufValue.ofStrings("a", "b"))
                .put("tokenizer.ggml.merges", GgufValue.ofStrings("a b")).write(unknownPre);
        try (GgufFile f = GgufFile.open(unknownPre)) {
            var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(f));
            assertTrue(e.getMessage().contains("'no-such-pre'"), e.getMessage());
        }
        Path none = tmp.resolve("n.gguf");
        new GgufWriter().put("general.architecture", "llama").write(none);
        try (GgufFile f = GgufFile.open(none)) {
            var e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(f));
            assertTrue(e.getMessage().contains("tokenizer.ggml.model"), e.getMessage());
        }
    }

    @Test
    void encodingThousandsOfTokensTakesMilliseconds() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 40_000; i++) {
            sb.append("Paragraph ").append(i).append(": the quick brown fox jumps over the lazy dog; caf\u00e9 \u043d\u0435\u0449\u043e ")
              .append("\u6211\u60f3\u5728apple\u5de5\u4f5c ").append(i * 7919).append(" \uD83E\uDD99.cpp\n\n    indented();\n");
        }
        String text = sb.toString();
        for (String vocab : List.of("vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-llama-bpe.gguf", "vocab/ggml-vocab-qwen2.gguf", "vocab/ggml-vocab-deepseek-llm.gguf")) {
            Tokenizer tok = load(vocab);
            for (int i = 0; i < 3; i++) tok.encode(text, true, true); // warm up
            int[] ids = null;
            long ms = Long.MAX_VALUE; // best of three: the machine is shared
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                ids = tok.encode(text, true, true);
                ms = Math.min(ms, (System.nanoTime() - t0) / 1_000_000);
            }
            System.out.printf("%-40s %6d tokens in %4d ms%n", vocab, ids.length, ms);
            assertTrue(ids.length > 5_000, "a long text gives thousands of tokens");
            assertTrue(ms < 3_000, // generous: the machine is shared; quadratic work would take far longer
                     vocab + " took " + ms + " ms for " + ids.length + " tokens");
            int[] withoutBos = tok.addBos() ? Arrays.copyOfRange(ids, 1, ids.length) : ids;
            assertEquals(text, tok.decode(withoutBos), vocab + ": decode gives the text back");
        }
    }
}
