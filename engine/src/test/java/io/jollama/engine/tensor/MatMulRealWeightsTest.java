package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels on tensors written by llama-quantize: every 2-D tensor of the {@code llama-spm-*} models
 * (Q2_K … Q6_K, Q4_0 … Q5_1, Q8_0), read from the mapped files, against the float64 reference, the scalar path
 * and a batch.
 */
class MatMulRealWeightsTest {

    @Test
    void everyQuantizedTensorOfTheSpmModels() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(TensorTestData.arch())) {
            files = s.filter(p -> p.getFileName().toString().matches("llama-spm-.*\\.gguf")).sorted().toList();
        }
        assertEquals(10, files.size(), "expected the 10 llama-spm GGUFs");
        Map<GgmlType, Integer> checked = new EnumMap<>(GgmlType.class);
        for (Path f : files) {
            try (GgufFile g = GgufFile.open(f, true)) {
                for (GgufTensorInfo info : g.tensors()) {
                    if (info.shape().length != 2 || !info.type().isQuantized()) continue;
                    Tensor full = Tensor.of(g, info);
                    // the first 48 rows of each tensor are plenty, and keep the float64 reference quick
                    int rows = Math.min(48, full.rows());
                    Tensor w = new Tensor(full.name(), full.type(), new long[]{full.cols(), rows},
                            full.data().asSlice(0, rows * full.rowBytes()));
                    check(w, f.getFileName() + " " + info.name());
                    checked.merge(info.type(), 1, Integer::sum);
                }
            }
        }
        for (GgmlType t : List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
                GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K)) {
            assertTrue(checked.getOrDefault(t, 0) > 0, "no " + t + " tensor checked: " + checked);
        }
    }

    private static void check(Tensor w, String what) {
        int rows = w.rows(), cols = w.cols();
        float[] x = MatMulTest.randomActivations(cols, rows);
        float[] vec = new float[rows], sca = new float[rows];
        MatMul.matvec(w, x, vec, false);
        MatMul.matvec(w, x, sca, true);
        try {
            MatMulTest.assertNearReference(w, x, 1, vec, MatMulTest.tolerance(w.type()));
        } catch (AssertionError e) {
            throw new AssertionError(what + ": " + e.getMessage(), e);
        }
        float[] deq = new float[cols];
        for (int r = 0; r < rows; r++) {
            Dequant.row(w, r, deq, 0);
            double abs = 0;
            for (int c = 0; c < cols; c++) abs += Math.abs((double) deq[c] * x[c]);
            assertEquals(sca[r], vec[r], 2e-6 * abs, what + " row " + r + ": scalar vs vector");
        }
        // a batch of 3 against single vectors, on the real layout
        float[] xs = MatMulTest.randomActivations(3 * cols, 7);
        float[] batch = new float[3 * rows];
        MatMul.matmul(w, xs, 3, batch, false);
        float[] one = new float[rows];
        MatMul.matvec(w, java.util.Arrays.copyOfRange(xs, cols, 2 * cols), one, false);
        assertArrayEquals(one, java.util.Arrays.copyOfRange(batch, rows, 2 * rows), what + ": batch vs matvec");
    }
}
