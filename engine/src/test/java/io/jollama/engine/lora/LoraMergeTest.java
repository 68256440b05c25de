package io.jollama.engine.lora;

import io.jollama.engine.TestData;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.tensor.Dequant;
import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Merged weights equal W + (alpha/r)·B·A computed independently, in the weight's own type. */
class LoraMergeTest {

    @TempDir
    Path tmp;

    /** W + scale·B·A with the product as a full matrix, element by element (float64). */
    static double[] expected(float[] w, float[] a, float[] b, int nIn, int nOut, int rank, double scale) {
        double[] out = new double[w.length];
        for (int o = 0; o < nOut; o++) {
            for (int i = 0; i < nIn; i++) {
                double s = 0;
                for (int k = 0; k < rank; k++) s += (double) b[o * rank + k] * a[k * nIn + i];
                out[o * nIn + i] = w[o * nIn + i] + scale * s;
            }
        }
        return out;
    }

    @Test
    void mergesIntoF32WeightsWithAlphaOverRank() throws IOException {
        Path base = TestData.path("models/arch/qwen2-f32.gguf");
        List<String> names = List.of("blk.0.attn_q.weight", "blk.1.ffn_down.weight", "token_embd.weight");
        Path adapter = RandomLora.write(base, tmp.resolve("a.gguf"), 7, 4, 8f, names, 0);
        try (GgufFile before = GgufFile.open(base, false); GgufFile merged = GgufFile.open(base, false); GgufFile ad = GgufFile.open(adapter, true)) {
            assertEquals(2f, LoraMerge.scale(ad, LoraMerge.pairs(merged, ad).getFirst()));
            LoraMerge.apply(merged, List.of(ad));
            for (String n : names) {
                Tensor w = Tensor.of(before, n), m = Tensor.of(merged, n);
                float[] a = Dequant.all(Tensor.of(ad, n + ".lora_a")), b = Dequant.all(Tensor.of(ad, n + ".lora_b"));
                double[] want = expected(Dequant.all(w), a, b, w.cols(), w.rows(), 4, 2.0);
                float[] got = Dequant.all(m);
                float[] orig = Dequant.all(w);
                double maxDelta = 0;
                for (int i = 0; i < got.length; i++) {
                    assertEquals(want[i], got[i], 1e-6 * Math.max(1, Math.abs(want[i])), n + "[" + i + "]");
                    maxDelta = Math.max(maxDelta, Math.abs(got[i] - orig[i]));
                }
                assertTrue(maxDelta > 0.05, n + ": the adapter changes the weights (max change " + maxDelta + ")");
            }
            // weights the adapter does not name are untouched
            assertEquals(-1, before.tensorData("blk.0.attn_k.weight").mismatch(merged.tensorData("blk.0.attn_k.weight")));
        }
    }

    @Test
    void mergesIntoQuantizedWeightsAndKeepsTheirType() throws IOException {
        Path base = TestData.path("models/arch/llama-spm-q8_0.gguf");
        List<String> names = List.of("blk.0.attn_v.weight", "blk.1.ffn_up.weight");
        Path adapter = RandomLora.write(base, tmp.resolve("q.gguf"), 11, 8, 0f, names, 0); // no alpha: scale 1
        try (GgufFile before = GgufFile.open(base, false); GgufFile merged = GgufFile.open(base, false); GgufFile ad = GgufFile.open(adapter, true)) {
            LoraMerge.apply(merged, List.of(ad));
            for (String n : names) {
                Tensor w = Tensor.of(before, n), m = Tensor.of(merged, n);
                assertEquals(GgmlType.Q8_0, m.type());
                float[] a = Dequant.all(Tensor.of(ad, n + ".lora_a")), b = Dequant.all(Tensor.of(ad, n + ".lora_b"));
                double[] want = expected(Dequant.all(w), a, b, w.cols(), w.rows(), 8, 1.0);
                float[] got = Dequant.all(m);
                for (int blk = 0; blk < got.length / 32; blk++) {
                    double amax = 0;
                    for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(want[blk * 32 + i]));
                    for (int i = 0; i < 32; i++) {
                        // Q8_0 keeps each value within half a step (amax/127) plus the f16 rounding of the scale
                        assertEquals(want[blk * 32 + i], got[blk * 32 + i], amax / 127 * 0.5 + amax * 1e-3, n + "[" + (blk * 32 + i) + "]");
                    }
                }
            }
        }
    }

    @Test
    void refusesAdaptersThatDoNotFit() throws IOException {
        Path base = TestData.path("models/arch/qwen2-f32.gguf");
        Path wrong = RandomLora.write(base, tmp.resolve("w.gguf"), 1, 4, 8f, List.of("blk.0.attn_q.weight"), 16);
        Path other = RandomLora.write(TestData.path("models/arch/llama-bpe-f32.gguf"), tmp.resolve("o.gguf"), 1, 4, 8f, List.of("blk.0.attn_q.weight"), 0);
        try (GgufFile b = GgufFile.readHeader(base); GgufFile w = GgufFile.readHeader(wrong); GgufFile o = GgufFile.readHeader(other)) {
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> LoraMerge.pairs(b, w));
            assertTrue(e.getMessage().contains("does not fit the model: blk.0.attn_q.weight"), e.getMessage());
            e = assertThrows(GgufFormatException.class, () -> LoraMerge.pairs(b, o));
            assertTrue(e.getMessage().contains("the adapter is for the llama architecture, the model is qwen2"), e.getMessage());
        }
    }
}
