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
 * Q5_1 weights (blocks of 32: f16 d, f16 m, 32 high bits as a little-endian int, 16 bytes of nibbles; value =
 * d·(nibble | high·16) + m) against Q8_1 activations.
 * <p>
 * The home of Q5_1: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics).
 */
final class Q5_1Format {
    private Q5_1Format() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.Q5_1, DotType.Q8_1, Q5_1Format::dequantize, Q5_1Format::quantize,
            Q5_1Format::vector, Q5_1Format::scalar, null);

    // The per-vector code is written out four times (acc0..acc3): helpers are not inlined here (see KernelSupport).
    static void vector(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 32;
        final short[] q = a.q();
        final float[] ad = a.d(), as = a.s();
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
            float m0 = 0;
            float m1 = 0;
            float m2 = 0;
            float m3 = 0;
            for (int b = 0; b < nb; b++) {
                final long bo = ro + 24L * b;
                final float wd = f16(w, bo), wm = f16(w, bo + 2);
                final int qh = w.get(INT, bo + 4);
                final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 8, LE).convertShape(B2S, S256, 0);
                ShortVector lo = v.and((short) 0x0F);
                ShortVector hi = v.lanewise(ASHR, 4).and((short) 0x0F);
                lo = lo.add((short) 16, ShortVector.broadcast(S256, (short) qh).and(bits).compare(NE, 0));
                hi = hi.add((short) 16, ShortVector.broadcast(S256, (short) (qh >>> 16)).and(bits).compare(NE, 0));
                final int xo = b * 32;
                {
                    ShortVector p = lo.mul(ShortVector.fromArray(S256, q, x0 + xo)).add(hi.mul(ShortVector.fromArray(S256, q, x0 + xo + 16)));
                    acc0 = ((FloatVector) p.convertShape(S2I, I512, 0).convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d0 + b]), acc0);
                    m0 += wm * as[d0 + b];
                }
                if (nt > 1) {
                    ShortVector p = lo.mul(ShortVector.fromArray(S256, q, x1 + xo)).add(hi.mul(ShortVector.fromArray(S256, q, x1 + xo + 16)));
                    acc1 = ((FloatVector) p.convertShape(S2I, I512, 0).convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d1 + b]), acc1);
                    m1 += wm * as[d1 + b];
                }
                if (nt > 2) {
                    ShortVector p = lo.mul(ShortVector.fromArray(S256, q, x2 + xo)).add(hi.mul(ShortVector.fromArray(S256, q, x2 + xo + 16)));
                    acc2 = ((FloatVector) p.convertShape(S2I, I512, 0).convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d2 + b]), acc2);
                    m2 += wm * as[d2 + b];
                }
                if (nt > 3) {
                    ShortVector p = lo.mul(ShortVector.fromArray(S256, q, x3 + xo)).add(hi.mul(ShortVector.fromArray(S256, q, x3 + xo + 16)));
                    acc3 = ((FloatVector) p.convertShape(S2I, I512, 0).convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d3 + b]), acc3);
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
                    long bo = ro + 24L * b;
                    int qh = w.get(INT, bo + 4);
                    int xo = t * cols + b * 32;
                    int isum = 0;
                    for (int j = 0; j < 16; j++) {
                        int v = u8(w, bo + 8 + j);
                        int lo = (v & 15) | (((qh >>> j) & 1) << 4);
                        int hi = (v >> 4) | (((qh >>> (j + 16)) & 1) << 4);
                        isum += lo * q[xo + j] + hi * q[xo + j + 16];
                    }
                    sum += isum * (f16(w, bo) * a.d()[t * nb + b]);
                    msum += f16(w, bo + 2) * a.s()[t * nb + b];
                }
                out[t * outRows + r] = sum + msum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int nb) {
        for (int b = 0; b < nb; b++) dequantizeBlock(s, offset + 24L * b, y, yo + 32 * b);
    }

    // block_q5_1: f16 d, f16 m, u32 qh, u8 qs[16]; value = q*d + m
    private static void dequantizeBlock(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        float m = f16(s, bo + 2);
        int qh = s.get(INT, bo + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, bo + 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[yo + j] = ((q & 0x0F) | h0) * d + m;
            y[yo + j + 16] = ((q >>> 4) | h1) * d + m;
        }
    }

    static void quantize(float[] x, int xo, int nb, byte[] y, int yo) {
        for (int b = 0; b < nb; b++) quantizeBlock(x, xo + 32 * b, y, yo + 24 * b);
    }

    private static void quantizeBlock(float[] x, int xo, byte[] y, int yo) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        putShort(y, yo + 2, toF16(min));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = (int) ((x[xo + j] - min) * id + 0.5f) & 0xFF;
            int q1 = (int) ((x[xo + 16 + j] - min) * id + 0.5f) & 0xFF;
            y[yo + 8 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        putInt(y, yo + 4, qh);
    }
}
