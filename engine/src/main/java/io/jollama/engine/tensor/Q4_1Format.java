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
import static io.jollama.engine.tensor.Quantize.toF16;
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
 * Q4_1 weights (blocks of 32: f16 d, f16 m, 16 bytes of nibbles; value = d·q + m) against Q8_1 activations.
 * <p>
 * The home of Q4_1: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics).
 */
final class Q4_1Format {
    private Q4_1Format() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.Q4_1, DotType.Q8_1, Q4_1Format::dequantize, Q4_1Format::quantize,
            Q4_1Format::vector, Q4_1Format::scalar, null);

    static void vector(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 32;
        final short[] q = a.q();
        final float[] ad = a.d(), as = a.s();
        final int x0 = (t0 + 0) * cols, d0 = (t0 + 0) * nb;
        final int x1 = (t0 + 1) * cols, d1 = (t0 + 1) * nb;
        final int x2 = (t0 + 2) * cols, d2 = (t0 + 2) * nb;
        final int x3 = (t0 + 3) * cols, d3 = (t0 + 3) * nb;
        final float[] lanes = new float[16];
        for (int r = r0; r < r1; r++) {
            final long ro = r * rowBytes;
            FloatVector acc0 = FloatVector.zero(F512);
            FloatVector acc1 = FloatVector.zero(F512);
            FloatVector acc2 = FloatVector.zero(F512);
            FloatVector acc3 = FloatVector.zero(F512);
            float m0 = 0;
            float m1 = 0;
            float m2 = 0;
            float m3 = 0;
            for (int b = 0; b < nb; b++) {
                final long bo = ro + 20L * b;
                final float wd = f16(w, bo), wm = f16(w, bo + 2);
                final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 4, LE).convertShape(B2S, S256, 0);
                final ShortVector lo = v.and((short) 0x0F);
                final ShortVector hi = v.lanewise(ASHR, 4).and((short) 0x0F);
                final int xo = b * 32;
                {
                    acc0 = block32(lo, hi, q, x0 + xo, wd * ad[d0 + b], acc0);
                    m0 += wm * as[d0 + b];
                }
                if (nt > 1) {
                    acc1 = block32(lo, hi, q, x1 + xo, wd * ad[d1 + b], acc1);
                    m1 += wm * as[d1 + b];
                }
                if (nt > 2) {
                    acc2 = block32(lo, hi, q, x2 + xo, wd * ad[d2 + b], acc2);
                    m2 += wm * as[d2 + b];
                }
                if (nt > 3) {
                    acc3 = block32(lo, hi, q, x3 + xo, wd * ad[d3 + b], acc3);
                    m3 += wm * as[d3 + b];
                }
            }
            { acc0.intoArray(lanes, 0); out[(t0 + 0) * outRows + r] = sumLanes(lanes) + m0; }
            if (nt > 1) { acc1.intoArray(lanes, 0); out[(t0 + 1) * outRows + r] = sumLanes(lanes) + m1; }
            if (nt > 2) { acc2.intoArray(lanes, 0); out[(t0 + 2) * outRows + r] = sumLanes(lanes) + m2; }
            if (nt > 3) { acc3.intoArray(lanes, 0); out[(t0 + 3) * outRows + r] = sumLanes(lanes) + m3; }
        }
    }

    static void scalar(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 32;
        final short[] q = a.q();
        for (int t = t0; t < t0 + nt; t++) {
            for (int r = r0; r < r1; r++) {
                long ro = r * rowBytes;
                float sum = 0, msum = 0;
                for (int b = 0; b < nb; b++) {
                    long bo = ro + 20L * b;
                    int xo = t * cols + b * 32;
                    int isum = 0;
                    for (int j = 0; j < 16; j++) {
                        int v = u8(w, bo + 4 + j);
                        isum += (v & 15) * q[xo + j] + (v >> 4) * q[xo + j + 16];
                    }
                    sum += isum * (f16(w, bo) * a.d()[t * nb + b]);
                    msum += f16(w, bo + 2) * a.s()[t * nb + b];
                }
                out[t * outRows + r] = sum + msum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int nb) {
        for (int b = 0; b < nb; b++) dequantizeBlock(s, offset + 20L * b, y, yo + 32 * b);
    }

    // block_q4_1: f16 d, f16 m, u8 qs[16]; value = q*d + m
    private static void dequantizeBlock(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        float m = f16(s, bo + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, bo + 4 + j);
            y[yo + j] = (q & 0x0F) * d + m;
            y[yo + j + 16] = (q >>> 4) * d + m;
        }
    }

    static void quantize(float[] x, int xo, int nb, byte[] y, int yo) {
        for (int b = 0; b < nb; b++) quantizeBlock(x, xo + 32 * b, y, yo + 20 * b);
    }

    private static void quantizeBlock(float[] x, int xo, byte[] y, int yo) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        putShort(y, yo + 2, toF16(min));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) (int) ((x[xo + j] - min) * id + 0.5f));
            int q1 = Math.min(15, (byte) (int) ((x[xo + 16 + j] - min) * id + 0.5f));
            y[yo + 4 + j] = (byte) (q0 | (q1 << 4));
        }
    }
}
