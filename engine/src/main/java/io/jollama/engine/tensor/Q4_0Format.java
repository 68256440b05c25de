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
 * Q4_0 weights (blocks of 32: f16 d, 16 bytes of nibbles; value j is the low nibble of byte j, j+16 the high one,
 * minus 8) against Q8_0 activations.
 * <p>
 * The home of Q4_0: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics); the packed kernels
 * are in {@link Q4_0Packed}.
 */
final class Q4_0Format {
    private Q4_0Format() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.Q4_0, DotType.Q8_0, Q4_0Format::dequantize, Q4_0Format::quantize,
            Q4_0Format::vector, Q4_0Format::scalar, Q4_0Packed.LAYOUT);

    static void vector(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 32;
        final short[] q = a.q();
        final float[] ad = a.d();
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
            for (int b = 0; b < nb; b++) {
                final long bo = ro + 18L * b;
                final float wd = f16(w, bo);
                // nibbles are split in 16-bit lanes: x86 has no byte shifts, and byte lanes would cost extra instructions
                final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 2, LE).convertShape(B2S, S256, 0);
                final ShortVector lo = v.and((short) 0x0F).sub((short) 8);
                final ShortVector hi = v.lanewise(ASHR, 4).and((short) 0x0F).sub((short) 8);
                final int xo = b * 32;
                acc0 = block32(lo, hi, q, x0 + xo, wd * ad[d0 + b], acc0);
                if (nt > 1) acc1 = block32(lo, hi, q, x1 + xo, wd * ad[d1 + b], acc1);
                if (nt > 2) acc2 = block32(lo, hi, q, x2 + xo, wd * ad[d2 + b], acc2);
                if (nt > 3) acc3 = block32(lo, hi, q, x3 + xo, wd * ad[d3 + b], acc3);
            }
            { acc0.intoArray(lanes, 0); out[(t0 + 0) * outRows + r] = sumLanes(lanes); }
            if (nt > 1) { acc1.intoArray(lanes, 0); out[(t0 + 1) * outRows + r] = sumLanes(lanes); }
            if (nt > 2) { acc2.intoArray(lanes, 0); out[(t0 + 2) * outRows + r] = sumLanes(lanes); }
            if (nt > 3) { acc3.intoArray(lanes, 0); out[(t0 + 3) * outRows + r] = sumLanes(lanes); }
        }
    }

    static void scalar(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 32;
        final short[] q = a.q();
        for (int t = t0; t < t0 + nt; t++) {
            for (int r = r0; r < r1; r++) {
                long ro = r * rowBytes;
                float sum = 0;
                for (int b = 0; b < nb; b++) {
                    long bo = ro + 18L * b;
                    int xo = t * cols + b * 32;
                    int isum = 0;
                    for (int j = 0; j < 16; j++) {
                        int v = u8(w, bo + 2 + j);
                        isum += ((v & 15) - 8) * q[xo + j] + ((v >> 4) - 8) * q[xo + j + 16];
                    }
                    sum += isum * (f16(w, bo) * a.d()[t * nb + b]);
                }
                out[t * outRows + r] = sum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int nb) {
        for (int b = 0; b < nb; b++) dequantizeBlock(s, offset + 18L * b, y, yo + 32 * b);
    }

    // block_q4_0: f16 d, u8 qs[16]; low nibbles are values 0..15, high nibbles values 16..31, offset by -8
    private static void dequantizeBlock(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, bo + 2 + j);
            y[yo + j] = ((q & 0x0F) - 8) * d;
            y[yo + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    static void quantize(float[] x, int xo, int nb, byte[] y, int yo) {
        for (int b = 0; b < nb; b++) quantizeBlock(x, xo + 32 * b, y, yo + 18 * b);
    }

    private static void quantizeBlock(float[] x, int xo, byte[] y, int yo) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) (int) (x[xo + j] * id + 8.5f));
            int q1 = Math.min(15, (byte) (int) (x[xo + 16 + j] * id + 8.5f));
            y[yo + 2 + j] = (byte) (q0 | (q1 << 4));
        }
    }
}
