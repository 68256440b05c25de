package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link MatMul#matmulRange}: only its rows, each bit-equal to the whole product, file layout and packed. */
class MatMulRangeTest {

    private static void checkRange(Tensor w, int n, int from, int to) {
        float[] xs = MatMulTest.randomActivations(w.cols() * n, 9);
        float[] all = new float[w.rows() * n], part = new float[w.rows() * n];
        Arrays.fill(part, Float.NaN);
        MatMul.matmulExact(w, xs, n, all);
        MatMul.matmulRange(w, xs, n, part, from, to);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < w.rows(); r++) {
                int i = t * w.rows() + r;
                if (r >= from && r < to) assertEquals(all[i], part[i], w.type() + " vector " + t + " row " + r);
                else assertTrue(Float.isNaN(part[i]), w.type() + " vector " + t + " row " + r + " written outside the range");
            }
        }
    }

    @Test
    void fileLayoutRowsOfABatch() {
        checkRange(MatMulTest.randomTensor(GgmlType.Q5_K, MatMulTest.ROWS, 512, 3), 6, 5, 30);
        checkRange(MatMulTest.randomTensor(GgmlType.Q8_0, MatMulTest.ROWS, 96, 4), 3, 0, MatMulTest.ROWS);
    }

    @Test
    void packedGroupsOfABatch() {
        Tensor w = Repack.pack(MatMulTest.randomTensor(GgmlType.Q4_K, 64, 512, 5), Arena.ofAuto());
        checkRange(w, 5, 16, 48);
        if (w.packed()) {
            var e = assertThrows(IllegalArgumentException.class, () -> MatMul.matmulRange(w, new float[512 * 2], 2, new float[128], 3, 16));
            assertTrue(e.getMessage().contains("whole groups of 16"), e.getMessage());
        }
    }

    @Test
    void rangeOutsideTheMatrixIsAClearError() {
        Tensor w = MatMulTest.randomTensor(GgmlType.Q8_0, 4, 32, 6);
        var e = assertThrows(IllegalArgumentException.class, () -> MatMul.matmulRange(w, new float[64], 2, new float[8], 2, 5));
        assertTrue(e.getMessage().contains("row range [2, 5) outside [0, 4)"), e.getMessage());
    }
}
