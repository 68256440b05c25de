package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.ActivationQuant.Activations;
import io.jollama.engine.tensor.ActivationQuant.DotType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static io.jollama.engine.tensor.KernelSupport.*;
import static io.jollama.engine.tensor.QuantSupport.*;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.NE;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * F16 weights against activations rounded to f16. The vector path widens halves with integer operations (the Vector
 * API has no half-to-float conversion).
 * <p>
 * The home of F16: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics).
 */
final class F16Format {
    private F16Format() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.F16, DotType.F16, F16Format::dequantize, F16Format::quantize,
            F16Format::vector, F16Format::scalar, null);

    static void vector(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), vend = cols & ~15;
        final float[] f = a.f();
        final int x0 = (t0 + 0) * cols;
        final int x1 = (t0 + 1) * cols;
        final int x2 = (t0 + 2) * cols;
        final int x3 = (t0 + 3) * cols;
        final float[] lanes = new float[16];
        for (int r = r0; r < r1; r++) {
            final long ro = r * rowBytes;
            FloatVector acc0 = FloatVector.zero(F512);
            FloatVector acc1 = FloatVector.zero(F512);
            FloatVector acc2 = FloatVector.zero(F512);
            FloatVector acc3 = FloatVector.zero(F512);
            float tail0 = 0, tail1 = 0, tail2 = 0, tail3 = 0;
            for (int c = 0; c < vend; c += 16) {
                final IntVector h = (IntVector) ShortVector.fromMemorySegment(S256, w, ro + 2L * c, LE).convertShape(S2I, I512, 0);
                    final IntVector mag = h.and(0x7fff).lanewise(LSHL, 13);
                    // exponent and mantissa move into place; multiplying by 2^112 rebases the exponent (and normalizes subnormals)
                    FloatVector wv = mag.reinterpretAsFloats().mul(0x1p112f);
                    // infinities and NaNs keep an all-ones exponent
                    wv = wv.blend(mag.or(0x7f800000).reinterpretAsFloats(), h.and(0x7c00).compare(EQ, 0x7c00).cast(F512));
                    wv = wv.reinterpretAsInts().or(h.and(0x80000000)).reinterpretAsFloats();
                acc0 = wv.fma(FloatVector.fromArray(F512, f, x0 + c), acc0);
                if (nt > 1) acc1 = wv.fma(FloatVector.fromArray(F512, f, x1 + c), acc1);
                if (nt > 2) acc2 = wv.fma(FloatVector.fromArray(F512, f, x2 + c), acc2);
                if (nt > 3) acc3 = wv.fma(FloatVector.fromArray(F512, f, x3 + c), acc3);
            }
            for (int c = vend; c < cols; c++) {
                final float wv = f16(w, ro + 2L * c);
                tail0 += wv * f[x0 + c];
                if (nt > 1) tail1 += wv * f[x1 + c];
                if (nt > 2) tail2 += wv * f[x2 + c];
                if (nt > 3) tail3 += wv * f[x3 + c];
            }
            { acc0.intoArray(lanes, 0); out[(t0 + 0) * outRows + r] = sumLanes(lanes) + tail0; }
            if (nt > 1) { acc1.intoArray(lanes, 0); out[(t0 + 1) * outRows + r] = sumLanes(lanes) + tail1; }
            if (nt > 2) { acc2.intoArray(lanes, 0); out[(t0 + 2) * outRows + r] = sumLanes(lanes) + tail2; }
            if (nt > 3) { acc3.intoArray(lanes, 0); out[(t0 + 3) * outRows + r] = sumLanes(lanes) + tail3; }
        }
    }

    static void scalar(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols();
        final float[] f = a.f();
        for (int t = t0; t < t0 + nt; t++) {
            for (int r = r0; r < r1; r++) {
                long ro = r * rowBytes;
                float sum = 0;
                for (int c = 0; c < cols; c++) sum += f16(w, ro + 2L * c) * f[t * cols + c];
                out[t * outRows + r] = sum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) y[yo + i] = f16(s, offset + 2L * i);
    }

    static void quantize(float[] x, int xo, int n, byte[] y, int yo) {
        for (int i = 0; i < n; i++) putShort(y, yo + 2 * i, Float.floatToFloat16(x[xo + i]));
    }
}
