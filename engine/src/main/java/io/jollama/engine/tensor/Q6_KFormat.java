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
 * Q6_K weights (super-blocks of 256: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8 scales (one per 16
 * values), f16 d; value = d·scale·((low | high·16) − 32)) against Q8_K activations. In half n (128 values), values
 * 32k + l (l in 0..31) take the low (k = 0, 1) or high (k = 2, 3) nibble of low byte 64n + l (k even) or 64n + 32 +
 * l (k odd), and bits 2k, 2k+1 of high byte 32n + l.
 * <p>
 * The home of Q6_K: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics); the packed kernels
 * are in {@link Q6_KPacked}.
 */
final class Q6_KFormat {
    private Q6_KFormat() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.Q6_K, DotType.Q8_K, Q6_KFormat::dequantize, Q6_KFormat::quantize,
            Q6_KFormat::vector, Q6_KFormat::scalar, Q6_KPacked.LAYOUT);

    // The per-vector code is written out four times (acc0..acc3): helpers are not inlined here (see KernelSupport).
    static void vector(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 256;
        final short[] q = a.q();
        final float[] ad = a.d();
        final int[] sc = new int[16];
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
                final long bo = ro + 210L * b;
                final float wd = f16(w, bo + 208);
                // the 16 int8 scales from two wide loads
                final long sl = w.get(LONG, bo + 192), sh = w.get(LONG, bo + 200);
                for (int s = 0; s < 8; s++) {
                    sc[s] = (byte) (sl >>> (8 * s));
                    sc[s + 8] = (byte) (sh >>> (8 * s));
                }
                IntVector isum0 = IntVector.zero(I512);
                IntVector isum1 = IntVector.zero(I512);
                IntVector isum2 = IntVector.zero(I512);
                IntVector isum3 = IntVector.zero(I512);
                for (int n = 0; n < 2; n++) {
                    for (int h = 0; h < 2; h++) {
                        final ShortVector la = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 64 * n + 16 * h, LE).convertShape(B2S, S256, 0);
                        final ShortVector lb = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 64 * n + 32 + 16 * h, LE).convertShape(B2S, S256, 0);
                        final ShortVector hv = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 128 + 32 * n + 16 * h, LE).convertShape(B2S, S256, 0);
                        // hv·16 puts high bits 0-1 at bits 4-5, hv·4 bits 2-3, hv bits 4-5, hv/4 bits 6-7
                        final ShortVector w0 = la.and((short) 0x0F).or(hv.lanewise(LSHL, 4).and((short) 0x30)).sub((short) 32);
                        final ShortVector w1 = lb.and((short) 0x0F).or(hv.lanewise(LSHL, 2).and((short) 0x30)).sub((short) 32);
                        final ShortVector w2 = la.lanewise(ASHR, 4).and((short) 0x0F).or(hv.and((short) 0x30)).sub((short) 32);
                        final ShortVector w3 = lb.lanewise(ASHR, 4).and((short) 0x0F).or(hv.lanewise(ASHR, 2).and((short) 0x30)).sub((short) 32);
                        final int s0 = 8 * n + h;
                        final int sc0 = sc[s0], sc1 = sc[s0 + 2], sc2 = sc[s0 + 4], sc3 = sc[s0 + 6];
                        final int xo = 256 * b + 16 * s0;
                        {
                            isum0 = isum0.add(((IntVector) w0.mul(ShortVector.fromArray(S256, q, x0 + xo)).convertShape(S2I, I512, 0)).mul(sc0))
                                    .add(((IntVector) w1.mul(ShortVector.fromArray(S256, q, x0 + xo + 32)).convertShape(S2I, I512, 0)).mul(sc1))
                                    .add(((IntVector) w2.mul(ShortVector.fromArray(S256, q, x0 + xo + 64)).convertShape(S2I, I512, 0)).mul(sc2))
                                    .add(((IntVector) w3.mul(ShortVector.fromArray(S256, q, x0 + xo + 96)).convertShape(S2I, I512, 0)).mul(sc3));
                        }
                        if (nt > 1) {
                            isum1 = isum1.add(((IntVector) w0.mul(ShortVector.fromArray(S256, q, x1 + xo)).convertShape(S2I, I512, 0)).mul(sc0))
                                    .add(((IntVector) w1.mul(ShortVector.fromArray(S256, q, x1 + xo + 32)).convertShape(S2I, I512, 0)).mul(sc1))
                                    .add(((IntVector) w2.mul(ShortVector.fromArray(S256, q, x1 + xo + 64)).convertShape(S2I, I512, 0)).mul(sc2))
                                    .add(((IntVector) w3.mul(ShortVector.fromArray(S256, q, x1 + xo + 96)).convertShape(S2I, I512, 0)).mul(sc3));
                        }
                        if (nt > 2) {
                            isum2 = isum2.add(((IntVector) w0.mul(ShortVector.fromArray(S256, q, x2 + xo)).convertShape(S2I, I512, 0)).mul(sc0))
                                    .add(((IntVector) w1.mul(ShortVector.fromArray(S256, q, x2 + xo + 32)).convertShape(S2I, I512, 0)).mul(sc1))
                                    .add(((IntVector) w2.mul(ShortVector.fromArray(S256, q, x2 + xo + 64)).convertShape(S2I, I512, 0)).mul(sc2))
                                    .add(((IntVector) w3.mul(ShortVector.fromArray(S256, q, x2 + xo + 96)).convertShape(S2I, I512, 0)).mul(sc3));
                        }
                        if (nt > 3) {
                            isum3 = isum3.add(((IntVector) w0.mul(ShortVector.fromArray(S256, q, x3 + xo)).convertShape(S2I, I512, 0)).mul(sc0))
                                    .add(((IntVector) w1.mul(ShortVector.fromArray(S256, q, x3 + xo + 32)).convertShape(S2I, I512, 0)).mul(sc1))
                                    .add(((IntVector) w2.mul(ShortVector.fromArray(S256, q, x3 + xo + 64)).convertShape(S2I, I512, 0)).mul(sc2))
                                    .add(((IntVector) w3.mul(ShortVector.fromArray(S256, q, x3 + xo + 96)).convertShape(S2I, I512, 0)).mul(sc3));
                        }
                    }
                }
                {
                    acc0 = ((FloatVector) isum0.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d0 + b]), acc0);
                }
                if (nt > 1) {
                    acc1 = ((FloatVector) isum1.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d1 + b]), acc1);
                }
                if (nt > 2) {
                    acc2 = ((FloatVector) isum2.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d2 + b]), acc2);
                }
                if (nt > 3) {
                    acc3 = ((FloatVector) isum3.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d3 + b]), acc3);
                }
            }
            { acc0.intoArray(lanes, 0); out[(t0 + 0) * outRows + r] = sumLanes(lanes); }
            if (nt > 1) { acc1.intoArray(lanes, 0); out[(t0 + 1) * outRows + r] = sumLanes(lanes); }
            if (nt > 2) { acc2.intoArray(lanes, 0); out[(t0 + 2) * outRows + r] = sumLanes(lanes); }
            if (nt > 3) { acc3.intoArray(lanes, 0); out[(t0 + 3) * outRows + r] = sumLanes(lanes); }
        }
    }

    static void scalar(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 256;
        final short[] q = a.q();
        for (int t = t0; t < t0 + nt; t++) {
            for (int r = r0; r < r1; r++) {
                long ro = r * rowBytes;
                float sum = 0;
                for (int b = 0; b < nb; b++) {
                    long bo = ro + 210L * b;
                    int isum = 0;
                    for (int n = 0; n < 2; n++) {
                        for (int k = 0; k < 4; k++) {
                            for (int l = 0; l < 32; l++) {
                                int low = u8(w, bo + 64 * n + ((k & 1) == 1 ? 32 : 0) + l);
                                int nib = k < 2 ? low & 15 : low >> 4;
                                int high = (u8(w, bo + 128 + 32 * n + l) >> (2 * k)) & 3;
                                int value = (nib | (high << 4)) - 32;
                                int scale = w.get(BYTE, bo + 192 + 8 * n + 2 * k + l / 16);
                                isum += scale * value * q[t * cols + 256 * b + 128 * n + 32 * k + l];
                            }
                        }
                    }
                    sum += isum * (f16(w, bo + 208) * a.d()[t * nb + b]);
                }
                out[t * outRows + r] = sum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int nb) {
        for (int b = 0; b < nb; b++) dequantizeBlock(s, offset + 210L * b, y, yo + 256 * b);
    }

    // block_q6_K: u8 ql[128] (low 4 bits), u8 qh[64] (high 2 bits), int8 scales[16], f16 d; values offset by -32
    private static void dequantizeBlock(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo + 208);
        long ql = bo;
        long qh = bo + 128;
        long sc = bo + 192;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(s, qh + l);
                int a = u8(s, ql + l);
                int b = u8(s, ql + l + 32);
                int q1 = ((a & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((b & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((b >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[yo + l] = d * i8(s, sc + is) * q1;
                y[yo + l + 32] = d * i8(s, sc + is + 2) * q2;
                y[yo + l + 64] = d * i8(s, sc + is + 4) * q3;
                y[yo + l + 96] = d * i8(s, sc + is + 6) * q4;
            }
            yo += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }

    static void quantize(float[] x, int xo, int nb, byte[] y, int yo) {
        Scratch s = new Scratch();
        for (int b = 0; b < nb; b++) quantizeBlock(x, xo + 256 * b, y, yo + 210 * b, s);
    }

    private static void quantizeBlock(float[] x, int xo, byte[] y, int yo, Scratch s) {
        int[] L = s.L;
        float[] scales = s.scales;
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        // ql[128] at 0, qh[64] at 128, int8 scales[16] at 192, d at 208
        if (maxAbsScale < GROUP_MAX_EPS) {
            for (int i = 0; i < 210; i++) y[yo + i] = 0;
            return;
        }
        float iscale = -128.f / maxScale;
        short dBits = toF16(1 / iscale);
        putShort(y, yo + 208, dBits);
        for (int ib = 0; ib < 16; ib++) y[yo + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        float dAll = Float.float16ToFloat(dBits);
        for (int j = 0; j < 16; j++) {
            float d = dAll * y[yo + 192 + j];
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt(x[xo + 16 * j + ii] / d);
                L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
            }
        }
        int ql = yo, qh = yo + 128;
        for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                y[ql + l] = (byte) (q1 | (q3 << 4));
                y[ql + l + 32] = (byte) (q2 | (q4 << 4));
                y[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
            }
        }
    }
}
