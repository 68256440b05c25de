package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.ActivationQuant.Activations;
import io.jollama.engine.tensor.ActivationQuant.DotType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry of weight formats: every type {@link GgmlType#supported} marks has exactly one registered format, and
 * each registered format's own functions fit together (quantize then dequantize comes back close, the vector and
 * scalar kernels give the float64 product for every tile width). Driven by the registry itself, so a new type is
 * checked as soon as it is registered.
 */
class WeightFormatsTest {

    static Stream<GgmlType> supportedTypes() {
        return Arrays.stream(GgmlType.values()).filter(t -> t.supported);
    }

    @Test
    void everySupportedTypeAndNoOtherHasAFormat() {
        for (GgmlType t : GgmlType.values()) {
            WeightFormat f = WeightFormats.find(t);
            if (!t.supported) {
                assertNull(f, t + " is not supported but has a format");
                continue;
            }
            assertNotNull(f, t + " is supported but has no format");
            assertSame(t, f.type());
            assertNotNull(f.dotType(), t.name());
            assertNotNull(f.dequant(), t.name());
            assertNotNull(f.vector(), t.name());
            assertNotNull(f.scalar(), t.name());
            assertSame(f.dotType(), ActivationQuant.dotType(t));
            assertEquals(f.quantize() != null, Quantize.canQuantizeTo(t), t.name());
            if (f.packed() != null) assertTrue(Repack.packable(t, 4 * t.blockSize, Repack.GROUP) || MatMul.SCALAR, t.name());
        }
    }

    /** Quantizing Gaussian values and dequantizing them again loses no more than the type's bits per weight allow. */
    @ParameterizedTest
    @MethodSource("supportedTypes")
    void dequantizeOfQuantizeComesBack(GgmlType t) {
        WeightFormat f = WeightFormats.of(t);
        assertNotNull(f.quantize(), t + " cannot be written");
        int n = 4 * 256;
        float[] x = new float[n];
        SplittableRandom rnd = new SplittableRandom(3 + t.ordinal());
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        byte[] bytes = new byte[Math.toIntExact(t.byteSize(n))];
        f.quantize().blocks(x, 0, n / t.blockSize, bytes, 0);
        float[] y = new float[n + 2];
        y[n] = y[n + 1] = 42;
        f.dequant().blocks(MemorySegment.ofArray(bytes), 0, y, 0, n / t.blockSize);
        assertEquals(42, y[n], "wrote past the end");
        double err = 0, sum = 0;
        for (int i = 0; i < n; i++) {
            err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            sum += x[i] * (double) x[i];
        }
        double rel = Math.sqrt(err / sum);
        double bits = 8.0 * t.typeSize / t.blockSize;
        // about 2^-bits of the range for a uniform quantizer; floats keep their mantissa (bf16: 8 bits)
        double bound = t == GgmlType.F32 ? 0 : t.isQuantized() ? Math.pow(2, 2 - bits) : 1.0 / 256;
        assertTrue(rel <= bound, t + ": relative RMS error " + rel + " above " + bound);
        // through the public entry points too
        assertArrayEquals(Arrays.copyOf(y, n), Dequant.all(new Tensor("t", t, new long[]{n}, MemorySegment.ofArray(Quantize.quantize(t, x)))));
    }

    /** Both kernels of every format, for 1 to 4 activation vectors at once, against the float64 product. */
    @ParameterizedTest
    @MethodSource("supportedTypes")
    void vectorAndScalarKernelsGiveTheProductForEveryTileWidth(GgmlType t) {
        WeightFormat f = WeightFormats.of(t);
        int rows = 5, cols = 512;
        Tensor w = MatMulTest.randomTensor(t, rows, cols, 31 + t.ordinal());
        float[] wf = Dequant.all(w);
        for (int nt = 1; nt <= KernelSupport.TILE; nt++) {
            float[] xs = MatMulTest.randomActivations(cols * nt, 7 + nt);
            Activations a = ActivationQuant.quantize(t, xs, cols, nt);
            double[] e = MatMulTest.effectiveActivations(t, xs, cols, nt);
            float[] sca = new float[rows * nt];
            f.scalar().rows(w.data(), w.rowBytes(), 0, rows, a, 0, nt, sca, rows);
            float[] vec = new float[rows * nt];
            if (KernelSupport.vectorUsable()) f.vector().rows(w.data(), w.rowBytes(), 0, rows, a, 0, nt, vec, rows);
            // ggml carries Q4_1/Q5_1's min term through the activations' f16 s, which the reference multiplies exactly
            double tol = f.dotType() == DotType.Q8_1 ? 2e-3 : 1e-5;
            for (int v = 0; v < nt; v++) {
                for (int r = 0; r < rows; r++) {
                    double ref = 0, abs = 0;
                    for (int c = 0; c < cols; c++) {
                        double p = (double) wf[r * cols + c] * e[v * cols + c];
                        ref += p;
                        abs += Math.abs(p);
                    }
                    String at = t + " nt=" + nt + " vector " + v + " row " + r;
                    assertEquals(ref, sca[v * rows + r], tol * abs, at + " (scalar)");
                    if (KernelSupport.vectorUsable()) {
                        assertEquals(ref, vec[v * rows + r], tol * abs, at + " (vector)");
                        assertEquals(sca[v * rows + r], vec[v * rows + r], 2e-6 * abs, at + " (vector against scalar)");
                    }
                }
            }
        }
    }
}
