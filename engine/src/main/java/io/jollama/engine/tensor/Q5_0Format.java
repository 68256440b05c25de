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
 * Q5_0 weights (blocks of 32: f16 d, 32 high bits as a little-endian int, 16 bytes of nibbles; value j has high bit
 * j of the int, value = (nibble | high·16) − 16) against Q8_0 activations.
 * <p>
 * The home of Q5_0: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics); the packed kernels
 * are in {@link Q5_0Packed}.
 */
final class Q5_0Format {
    private Q5_0Format() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.Q5_0, DotType.Q8_0, Q5_0Format::dequantize, Q5_0Format::quantize,
            Q5_0Format::vector, Q5_0Format::scalar, Q5_0Packed.LAYOUT);

    // The per-vector code is written out four times (acc0..acc3): helpers are not inlined here (see KernelSupport).
    static void vector(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 32;
        final short[] q = a.q();
        final float[] ad = a.d();
        final ShortVector bits = ShortVector.fromArray(S256, LANE_BITS, 0);
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
                final long bo = ro + 22L * b;
                final float wd = f16(w, bo);
                final int qh = w.get(INT, bo + 2);
                final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 6, LE).convertShape(B2S, S256, 0);
                ShortVector lo = v.and((short) 0x0F);
                ShortVector hi = v.lanewise(ASHR, 4).and((short) 0x0F);
                // a clear high bit means the value is 16 lower
                lo = lo.sub((short) 16, ShortVector.broadcast(S256, (short) qh).and(bits).compare(EQ, 0));
                hi = hi.sub((short) 16, ShortVector.broadcast(S256, (short) (qh >>> 16)).and(bits).compare(EQ, 0));
                final int xo = b * 32;
                {
                    ShortVector p = lo.mul(ShortVector.fromArray(S256, q, x0 + xo)).add(hi.mul(ShortVector.fromArray(S256, q, x0 + xo + 16)));
                    acc0 = ((FloatVector) p.convertShape(S2I, I512, 0).convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d0 + b]), acc0);
                }
                if (nt > 1) {
                    ShortVector p = lo.mul(ShortVector.fromArray(S256, q, x1 + xo)).add(hi.mul(ShortVector.fromArray(S256, q, x1 + xo + 16)));
                    acc1 = ((FloatVector) p.convertShape(S2I, I512, 0).convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d1 + b]), acc1);
                }
                if (nt > 2) {
                    ShortVector p = lo.mul(ShortVector.fromArray(S256, q, x2 + xo)).add(hi.mul(ShortVector.fromArray(S256, q, x2 + xo + 16)));
                    acc2 = ((FloatVector) p.convertShape(S2I, I512, 0).convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d2 + b]), acc2);
                }
                if (nt > 3) {
                    ShortVector p = lo.mul(ShortVector.fromArray(S256, q, x3 + xo)).add(hi.mul(ShortVector.fromArray(S256, q, x3 + xo + 16)));
                    acc3 = ((FloatVector) p.convertShape(S2I, I512, 0).convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d3 + b]), acc3);
                }
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
                    long bo = ro + 22L * b;
                    int qh = w.get(INT, bo + 2);
                    int xo = t * cols + b * 32;
                    int isum = 0;
                    for (int j = 0; j < 16; j++) {
                        int v = u8(w, bo + 6 + j);
                        int lo = ((v & 15) | (((qh >>> j) & 1) << 4)) - 16;
                        int hi = ((v >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16;
                        isum += lo * q[xo + j] + hi * q[xo + j + 16];
                    }
                    sum += isum * (f16(w, bo) * a.d()[t * nb + b]);
                }
                out[t * outRows + r] = sum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int nb) {
        for (int b = 0; b < nb; b++) dequantizeBlock(s, offset + 22L * b, y, yo + 32 * b);
    }

    // block_q5_0: f16 d, u32 qh (bit j = 5th bit of value j), u8 qs[16]; offset by -16
    private static void dequantizeBlock(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        int qh = s.get(INT, bo + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, bo + 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[yo + j] = (((q & 0x0F) | h0) - 16) * d;
            y[yo + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }

    static void quantize(float[] x, int xo, int nb, byte[] y, int yo) {
        for (int b = 0; b < nb; b++) quantizeBlock(x, xo + 32 * b, y, yo + 22 * b);
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
        float d = max / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (byte) (int) (x[xo + j] * id + 16.5f)) & 0xFF;
            int q1 = Math.min(31, (byte) (int) (x[xo + 16 + j] * id + 16.5f)) & 0xFF;
            y[yo + 6 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        putInt(y, yo + 2, qh);
    }
}
