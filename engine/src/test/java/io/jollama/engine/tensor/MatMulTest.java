package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import io.jollama.engine.tensor.ActivationQuant.Activations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The matrix kernels of every weight type on random weights (quantized with {@link Quantize}) and random activations:
 * the Vector API path against a float64 reference (weights dequantized with {@link Dequant}, activations rounded to
 * the vec_dot type), the scalar path against the vector path, and batches against one vector at a time.
 */
class MatMulTest {

    /** Rows not a multiple of the thread count, nor of the 16-row block of batch products. */
    static final int ROWS = 37;

    static int colsFor(GgmlType t) {
        return switch (t.blockSize) {
            case 256 -> 768;       // 3 super-blocks
            case 32 -> 160;        // 5 blocks
            default -> 200;        // not a multiple of the 16-lane vectors: exercises the tail loop
        };
    }

    /**
     * Allowed |kernel − reference| as a fraction of Σ|w·x| (the float64 sum of absolute products).
     * Float32 accumulation of a few hundred terms is good to ~1e-6 of that sum. Q4_1/Q5_1 are looser by design:
     * ggml (and we) carry the min term through the activation block's s = f16(d·Σq), rounded to f16 with the
     * unrounded d, where the reference multiplies the dequantized weights exactly.
     */
    static double tolerance(GgmlType t) {
        return switch (t) {
            case Q4_1, Q5_1 -> 2e-3;
            default -> 1e-5;
        };
    }

    static Tensor randomTensor(GgmlType type, int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (float) (rnd.nextGaussian() * 0.2 + (i % 7 == 0 ? 0.05 : 0));
        byte[] bytes = Quantize.quantize(type, values);
        MemorySegment seg = Arena.ofAuto().allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return new Tensor("test." + type, type, new long[]{cols, rows}, seg);
    }

    static float[] randomActivations(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * (1 + (i % 5)));
        return x;
    }

    /** The activation values each kernel really multiplies by: q·d for the quantized vec_dot types, rounded floats otherwise. */
    static double[] effectiveActivations(GgmlType type, float[] x, int cols, int n) {
        Activations a = ActivationQuant.quantize(type, x, cols, n);
        double[] e = new double[cols * n];
        int bs = switch (a.type()) {
            case Q8_0, Q8_1 -> 32;
            case Q8_K -> 256;
            default -> 1;
        };
        for (int i = 0; i < e.length; i++) e[i] = bs == 1 ? a.f()[i] : (double) a.q()[i] * a.d()[i / bs];
        return e;
    }

    /** Checks out[t·rows + r] against the float64 reference for every row and vector. */
    static void assertNearReference(Tensor w, float[] xs, int n, float[] out, double tol) {
        int rows = w.rows(), cols = w.cols();
        float[] deq = Dequant.all(w);
        double[] act = effectiveActivations(w.type(), xs, cols, n);
        double worst = 0;
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double ref = 0, abs = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) deq[r * cols + c] * act[t * cols + c];
                    ref += p;
                    abs += Math.abs(p);
                }
                // an all-zero row (llama-spm zeroes some output rows) must give exactly 0
                double err = abs == 0 ? Math.abs(out[t * rows + r]) : Math.abs(out[t * rows + r] - ref) / abs;
                worst = Math.max(worst, err);
                if (!(err <= tol)) {
                    throw new AssertionError(w.type() + ": vector " + t + " row " + r + ": got " + out[t * rows + r]
                            + ", reference " + ref + " (error " + err + " of Σ|w·x| = " + abs + ", tolerance " + tol + ")");
                }
            }
        }
        assertTrue(worst <= tol);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void matvecMatchesFloat64Reference(GgmlType type) {
        int cols = colsFor(type);
        Tensor w = randomTensor(type, ROWS, cols, 11 + type.ordinal());
        float[] x = randomActivations(cols, 5);
        float[] vec = new float[ROWS], sca = new float[ROWS];
        MatMul.matvec(w, x, vec, false);
        assertNearReference(w, x, 1, vec, tolerance(type));
        MatMul.matvec(w, x, sca, true);
        assertNearReference(w, x, 1, sca, tolerance(type));
        // scalar and vector differ only in the order of float additions
        for (int r = 0; r < ROWS; r++) assertEquals(sca[r], vec[r], 2e-6 * absSum(w, x, r), type + " row " + r);
        // the public entry point uses one of the two
        float[] pub = new float[ROWS];
        MatMul.matvec(w, x, pub);
        assertArrayEquals(MatMul.SCALAR ? sca : vec, pub);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void matmulEqualsMatvecPerVector(GgmlType type) {
        int cols = colsFor(type);
        Tensor w = randomTensor(type, ROWS, cols, 23 + type.ordinal());
        for (int n : new int[]{2, 7, 9}) {   // 7 and 9: batches that are not a multiple of the 4-vector tile
            float[] xs = randomActivations(cols * n, 100 + n);
            for (boolean scalar : new boolean[]{false, true}) {
                float[] batch = new float[ROWS * n];
                MatMul.matmul(w, xs, n, batch, scalar);
                float[] one = new float[ROWS];
                for (int t = 0; t < n; t++) {
                    float[] x = java.util.Arrays.copyOfRange(xs, t * cols, (t + 1) * cols);
                    MatMul.matvec(w, x, one, scalar);
                    // identical arithmetic per vector, so identical bits
                    assertArrayEquals(one, java.util.Arrays.copyOfRange(batch, t * ROWS, (t + 1) * ROWS),
                            type + " n=" + n + " vector " + t + (scalar ? " (scalar)" : " (vector)"));
                }
                assertNearReference(w, xs, n, batch, tolerance(type));
            }
        }
    }

    @Test
    void matvecRangeComputesOnlyItsRows() {
        Tensor w = randomTensor(GgmlType.Q4_K, ROWS, 512, 3);
        float[] x = randomActivations(512, 4);
        float[] all = new float[ROWS], part = new float[ROWS];
        java.util.Arrays.fill(part, Float.NaN);
        MatMul.matvec(w, x, all);
        MatMul.matvecRange(w, x, part, 5, 20);
        for (int r = 0; r < ROWS; r++) {
            if (r >= 5 && r < 20) assertEquals(all[r], part[r]);
            else assertTrue(Float.isNaN(part[r]));
        }
    }

    @Test
    void badShapesAndTypesAreClearErrors() {
        Tensor w = randomTensor(GgmlType.Q8_0, 4, 64, 1);
        var e1 = assertThrows(IllegalArgumentException.class, () -> MatMul.matvec(w, new float[63], new float[4]));
        assertTrue(e1.getMessage().contains("input has 63 values"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> MatMul.matvec(w, new float[64], new float[3]));
        assertTrue(e2.getMessage().contains("output"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> MatMul.matmul(w, new float[64], 0, new float[4]));
        assertTrue(e3.getMessage().contains("batch size"), e3.getMessage());
        Tensor iq = new Tensor("iq", GgmlType.IQ2_XXS, new long[]{256, 1}, Arena.ofAuto().allocate(66));
        var e4 = assertThrows(UnsupportedOperationException.class, () -> MatMul.matvec(iq, new float[256], new float[1]));
        assertTrue(e4.getMessage().contains("IQ2_XXS"), e4.getMessage());
        Tensor shortData = new Tensor("short", GgmlType.Q8_0, new long[]{64, 4}, Arena.ofAuto().allocate(100));
        var e5 = assertThrows(IllegalArgumentException.class, () -> MatMul.matvec(shortData, new float[64], new float[4]));
        assertTrue(e5.getMessage().contains("bytes of data"), e5.getMessage());
    }

    private static double absSum(Tensor w, float[] x, int r) {
        float[] row = new float[w.cols()];
        Dequant.row(w, r, row, 0);
        double s = 0;
        for (int c = 0; c < row.length; c++) s += Math.abs((double) row[c] * x[c]);
        return s;
    }
}
