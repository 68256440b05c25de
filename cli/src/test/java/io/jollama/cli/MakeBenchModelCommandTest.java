package io.jollama.cli;

import io.jollama.engine.TestData;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.runner.GenerateOptions;
import io.jollama.engine.runner.GenerationResult;
import io.jollama.engine.runner.Runner;
import io.jollama.engine.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jollama make-bench-model} with small overrides (2 layers, dim 256): the file has the shape's metadata,
 * tokenizer and per-tensor types, loads, and generates; the same seed gives the same bytes.
 */
class MakeBenchModelCommandTest {

    @TempDir
    Path dir;

    @Test
    void smallTinyLlamaQ8_0LoadsAndGenerates() throws Exception {
        Path f = dir.resolve("tl.gguf");
        var r = BenchKernelsCommandTest.run("make-bench-model", "--shape", "tinyllama", "--type", "q8_0",
                "--layers", "2", "--dim", "256", "--ffn", "512", "-o", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 layers, dim 256"), r.out());
        try (GgufFile g = GgufFile.open(f, false)) {
            assertEquals("llama", g.getString("general.architecture", null));
            assertEquals(7, g.getInt("general.file_type", -1));
            assertEquals(4, g.getInt("llama.attention.head_count", -1));
            assertEquals(1, g.getInt("llama.attention.head_count_kv", -1)); // TinyLlama's group of 8, at least one
            assertEquals(32000, g.getStrings("tokenizer.ggml.tokens").length);
            assertEquals(GgmlType.Q8_0, g.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.F32, g.tensor("blk.0.attn_norm.weight").type());
            assertArrayEquals(new long[]{256, 32000}, g.tensor("output.weight").shape());
        }
        try (Runner runner = Runner.load(f, 64, 16, false)) {
            int[] prompt = runner.tokenizer().encode("Once upon a time", true, false);
            assertEquals(1, prompt[0]); // BOS of the llama SentencePiece vocabulary
            try (var s = runner.newSequence()) {
                GenerationResult g = s.generate(prompt, GenerateOptions.greedy(8), x -> {}, () -> false);
                assertEquals(8, g.evalCount());
                int[] gen = Arrays.copyOfRange(g.context(), prompt.length, g.context().length);
                // random weights still give a spread of tokens, not one token repeated (activations stay sane)
                assertTrue(Arrays.stream(gen).distinct().count() > 1, Arrays.toString(gen));
            }
        }
        // and jollama bench runs it, naming the file type as llama-bench does
        var b = BenchKernelsCommandTest.run("bench", f.toString(), "-p", "16", "-n", "4", "-r", "1");
        assertEquals(0, b.code(), b.err());
        for (String test : new String[]{"pp16", "tg4"}) {
            var m = java.util.regex.Pattern.compile("\\| llama Q8_0 \\|.*\\| " + test + " \\| ([0-9.]+) ±").matcher(b.out());
            assertTrue(m.find(), b.out());
            assertTrue(Double.parseDouble(m.group(1)) > 0, b.out());
        }
        Path again = dir.resolve("tl2.gguf");
        assertEquals(0, BenchKernelsCommandTest.run("make-bench-model", "--shape", "tinyllama", "--type", "q8_0",
                "--layers", "2", "--dim", "256", "--ffn", "512", "-o", again.toString()).code());
        assertEquals(-1, Files.mismatch(f, again));
    }

    @Test
    void smallQwenQ4_K_MHasBiasesTiedOutputAndTheQuantizeMix() throws Exception {
        Path f = dir.resolve("qw.gguf");
        // the vocabulary of a small qwen2 test model (--vocab), not Qwen's 151,936 tokens: their embedding matrix alone
        // took seconds to fill and quantize, and nothing checked here depends on the vocabulary's size
        var r = BenchKernelsCommandTest.run("make-bench-model", "--shape", "qwen2.5-0.5b", "--type", "Q4_K_M",
                "--layers", "2", "--dim", "256", "--ffn", "512",
                "--vocab", TestData.path("models/arch/qwen2-f32.gguf").toString(), "-o", f.toString());
        assertEquals(0, r.code(), r.err());
        try (GgufFile g = GgufFile.open(f, false)) {
            assertEquals("qwen2", g.getString("general.architecture", null));
            assertEquals(15, g.getInt("general.file_type", -1));
            assertTrue(!g.hasTensor("output.weight"));
            assertEquals(GgmlType.Q6_K, g.tensor("token_embd.weight").type()); // tied output: llama-quantize's Q6_K
            assertEquals(GgmlType.Q4_K, g.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q4_K, g.tensor("blk.0.attn_v.weight").type());
            assertEquals(GgmlType.Q6_K, g.tensor("blk.1.attn_v.weight").type()); // use_more_bits: the last eighth of 2 layers
            assertArrayEquals(new long[]{64}, g.tensor("blk.0.attn_k.bias").shape());
        }
        try (Runner runner = Runner.load(f, 64, 16, false); var s = runner.newSequence()) {
            int[] prompt = runner.tokenizer().encode("Hello world", true, false);
            GenerationResult g = s.generate(prompt, GenerateOptions.greedy(4), x -> {}, () -> false);
            assertEquals(4, g.evalCount());
        }
    }

    @Test
    void badInputIsAOneLineError() {
        var r = BenchKernelsCommandTest.run("make-bench-model", "--shape", "llama-70b", "--type", "q8_0", "-o", dir.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown shape 'llama-70b'"), r.err());
        r = BenchKernelsCommandTest.run("make-bench-model", "--shape", "tinyllama", "--type", "q9", "-o", dir.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unsupported quantization type q9"), r.err());
        r = BenchKernelsCommandTest.run("make-bench-model", "--shape", "tinyllama", "--type", "q8_0", "--dim", "100", "-o", dir.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--dim must be a positive multiple of the head size 64"), r.err());
        assertTrue(!r.err().contains("Exception"), r.err());
    }
}
