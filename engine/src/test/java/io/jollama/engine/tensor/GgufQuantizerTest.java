package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufQuantizerTest {
    @TempDir
    Path tmp;

    private static Path stories(String kind) {
        return TensorTestData.models().resolve("stories260K-" + kind + ".gguf");
    }

    /** Q8_0 from F32 must reproduce llama-quantize's file tensor for tensor: same types, same bytes. */
    @Test
    void q8_0OfStoriesMatchesLlamaQuantize() throws IOException {
        Path out = tmp.resolve("q8.gguf");
        List<GgufQuantizer.Progress> progress = new ArrayList<>();
        GgufQuantizer.quantize(stories("f32"), out, FileType.Q8_0, progress::add);
        try (GgufFile ours = GgufFile.open(out); GgufFile theirs = GgufFile.open(stories("q8_0"));
             GgufFile source = GgufFile.open(stories("f32"))) {
            assertEquals(7, ours.getInt("general.file_type", -1));
            assertEquals(2, ours.getInt("general.quantization_version", -1));
            for (String key : source.metadata().keySet()) {
                if (!key.equals("general.file_type")) assertEquals(source.get(key).value().getClass(), ours.get(key).value().getClass(), key);
            }
            assertEquals(source.getStrings("tokenizer.ggml.tokens").length, ours.getStrings("tokenizer.ggml.tokens").length);
            assertEquals(theirs.tensors().size(), ours.tensors().size());
            int f16 = 0;
            for (GgufTensorInfo t : theirs.tensors()) {
                GgufTensorInfo o = ours.tensor(t.name());
                assertNotNull(o, t.name());
                assertEquals(t.type(), o.type(), t.name());
                assertArrayEquals(t.shape(), o.shape(), t.name());
                assertArrayEquals(theirs.tensorData(t).toArray(ValueLayout.JAVA_BYTE), ours.tensorData(o).toArray(ValueLayout.JAVA_BYTE), t.name());
                if (t.type() == GgmlType.F16) f16++;
            }
            assertEquals(5, f16, "the five 172-wide ffn_down tensors fall back to F16, as llama-quantize did");
        }
        GgufQuantizer.Progress last = progress.getLast();
        assertEquals(progress.size() - 1, last.tensorsDone());
        assertEquals(last.tensorsTotal(), last.tensorsDone());
        assertEquals(last.bytesTotal(), last.bytesDone());
        assertEquals(0, progress.getFirst().tensorsDone());
    }

    @Test
    void q4_K_MOfStoriesIsCloseToTheOriginal() throws IOException {
        Path out = tmp.resolve("q4km.gguf");
        GgufQuantizer.quantize(stories("f32"), out, FileType.Q4_K_M, null);
        try (GgufFile q = GgufFile.open(out); GgufFile src = GgufFile.open(stories("f32"))) {
            assertEquals(15, q.getInt("general.file_type", -1));
            FileType.ModelInfo model = FileType.ModelInfo.of(src);
            assertEquals(src.tensors().size(), q.tensors().size());
            for (GgufTensorInfo t : src.tensors()) {
                GgufTensorInfo o = q.tensor(t.name());
                // 64-wide rows do not fill 256-blocks: K-quants fall back (Q4_K → Q5_0, Q6_K → Q8_0); 172-wide → F16
                GgmlType expected = t.shape().length == 1 ? GgmlType.F32
                        : t.shape()[0] == 172 ? GgmlType.F16
                        : t.name().equals("output.weight") ? GgmlType.Q8_0
                        : t.name().contains("attn_v") || t.name().contains("ffn_down") ? (FileType.useMoreBits(FileType.layerOf(t.name()), 5) ? GgmlType.Q8_0 : GgmlType.Q5_0)
                        : GgmlType.Q5_0;
                assertEquals(expected, o.type(), t.name());
                assertEquals(FileType.Q4_K_M.typeFor(t.name(), t.shape(), model), o.type(), t.name());
                float[] a = Dequant.all(Tensor.of(src, t)), b = Dequant.all(Tensor.of(q, o));
                double se = 0, ss = 0;
                for (int i = 0; i < a.length; i++) {
                    se += (a[i] - b[i]) * (double) (a[i] - b[i]);
                    ss += a[i] * (double) a[i];
                }
                double rel = Math.sqrt(se / ss);
                double bound = switch (o.type()) {
                    case F32 -> 0;
                    case F16 -> 1e-3;
                    case Q8_0 -> 0.01;
                    default -> 0.1;
                };
                assertTrue(rel <= bound, t.name() + " " + o.type() + ": relative RMS error " + rel);
            }
        }
    }

    @Test
    void q4_K_MOfTheSpmModelGivesItsMix() throws IOException {
        // the Q8_0 model is quantized, so first make an F16 source from it, then quantize that to Q4_K_M
        Path f16 = tmp.resolve("spm-f16.gguf"), out = tmp.resolve("spm-q4km.gguf");
        Path q8 = TensorTestData.arch().resolve("llama-spm-q8_0.gguf");
        try (GgufFile src = GgufFile.open(q8)) {
            var w = new io.jollama.engine.gguf.GgufWriter().putAll(src.metadata());
            for (GgufTensorInfo t : src.tensors()) {
                float[] v = Dequant.all(Tensor.of(src, t));
                GgmlType type = t.shape().length == 1 ? GgmlType.F32 : GgmlType.F16;
                w.addTensor(t.name(), type, t.shape(), Quantize.quantize(type, v));
            }
            w.write(f16);
        }
        GgufQuantizer.quantize(f16, out, FileType.Q4_K_M, null);
        var ref = TensorTestData.reference(TensorTestData.arch().resolve("llama-spm-q4_k_m.gguf")).get("tensor_types");
        try (GgufFile q = GgufFile.open(out)) {
            for (GgufTensorInfo t : q.tensors()) assertEquals(ref.get(t.name()).asString(), t.type().name(), t.name());
        }
    }

    @Test
    void quantizedInputIsRefused() {
        Path out = tmp.resolve("never.gguf");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GgufQuantizer.quantize(stories("q8_0"), out, FileType.Q4_K_M, null));
        assertEquals("quantization is only supported for F16, BF16 and F32 models", e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void f16InputConvertsToo() throws IOException {
        Path out = tmp.resolve("from-f16.gguf");
        GgufQuantizer.quantize(stories("f16"), out, FileType.Q8_0, null);
        try (GgufFile q = GgufFile.open(out); GgufFile src = GgufFile.open(stories("f16"))) {
            Tensor a = Tensor.of(src, "blk.0.attn_q.weight"), b = Tensor.of(q, "blk.0.attn_q.weight");
            assertEquals(GgmlType.F16, a.type());
            assertEquals(GgmlType.Q8_0, b.type());
            float[] x = Dequant.all(a), y = Dequant.all(b);
            assertArrayEquals(Quantize.quantize(GgmlType.Q8_0, x), b.data().toArray(ValueLayout.JAVA_BYTE));
            for (int blk = 0; blk < x.length / 32; blk++) {
                float amax = 0;
                for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[32 * blk + i]));
                for (int i = 32 * blk; i < 32 * blk + 32; i++) {
                    // half a step of amax/127, plus the f16 rounding of the scale (127 * d * 2^-11)
                    assertEquals(x[i], y[i], amax / 254 + amax / 2048 * 1.01, "value " + i);
                }
            }
        }
    }
}
