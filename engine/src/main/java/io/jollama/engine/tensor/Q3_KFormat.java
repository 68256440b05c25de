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
 * Q3_K weights (super-blocks of 256: 32 bytes of high bits, 64 bytes of 2-bit quants, 12 bytes of 6-bit scales, f16
 * d; value = d·(scale−32)·(q − (high bit clear ? 4 : 0))) against Q8_K activations. Sub-block s = 8n + 2j + h uses
 * bits 2j..2j+1 of quant bytes 32n + 16h .. +15 and bit 4n + j of high bytes 16h .. +15.
 * <p>
 * The home of Q3_K: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics).
 */
final class Q3_KFormat {
    private Q3_KFormat() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.Q3_K, DotType.Q8_K, Q3_KFormat::dequantize, Q3_KFormat::quantize,
            Q3_KFormat::vector, Q3_KFormat::scalar, null);

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
                final long bo = ro + 110L * b;
                final float wd = f16(w, bo + 108);
                // the 16 six-bit scales, from two wide loads (per-byte segment reads cost more than the arithmetic)
                final long sl = w.get(LONG, bo + 96);
                final int sh = w.get(INT, bo + 104);
                for (int i = 0; i < 8; i++) {
                    int lo = (int) (sl >>> (8 * i)) & 0xFF;
                    int hs = 8 * (i & 3) + 2 * (i >> 2);
                    sc[i] = ((lo & 15) | (((sh >>> hs) & 3) << 4)) - 32;
                    sc[i + 8] = ((lo >> 4) | (((sh >>> (hs + 4)) & 3) << 4)) - 32;
                }
                IntVector isum0 = IntVector.zero(I512);
                IntVector isum1 = IntVector.zero(I512);
                IntVector isum2 = IntVector.zero(I512);
                IntVector isum3 = IntVector.zero(I512);
                for (int n = 0; n < 2; n++) {
                    for (int h = 0; h < 2; h++) {
                        final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 32 + 32 * n + 16 * h, LE).convertShape(B2S, S256, 0);
                        final ShortVector hm = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 16 * h, LE).convertShape(B2S, S256, 0);
                        final int s0 = 8 * n + h;
                        final int hb = 4 * n;
                        // scale folded in: |q·scale·x| ≤ 4·32·127, two such sums fit in 16 bits
                        final ShortVector w0 = v.and((short) 3).sub((short) 4, hm.and((short) (1 << hb)).compare(EQ, 0)).mul((short) sc[s0]);
                        final ShortVector w1 = v.lanewise(ASHR, 2).and((short) 3).sub((short) 4, hm.and((short) (2 << hb)).compare(EQ, 0)).mul((short) sc[s0 + 2]);
                        final ShortVector w2 = v.lanewise(ASHR, 4).and((short) 3).sub((short) 4, hm.and((short) (4 << hb)).compare(EQ, 0)).mul((short) sc[s0 + 4]);
                        final ShortVector w3 = v.lanewise(ASHR, 6).and((short) 3).sub((short) 4, hm.and((short) (8 << hb)).compare(EQ, 0)).mul((short) sc[s0 + 6]);
                        final int xo = 256 * b + 16 * s0;
                        {
                            ShortVector p0 = w0.mul(ShortVector.fromArray(S256, q, x0 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x0 + xo + 32)));
                            ShortVector p1 = w2.mul(ShortVector.fromArray(S256, q, x0 + xo + 64)).add(w3.mul(ShortVector.fromArray(S256, q, x0 + xo + 96)));
                            isum0 = isum0.add((IntVector) p0.convertShape(S2I, I512, 0)).add((IntVector) p1.convertShape(S2I, I512, 0));
                        }
                        if (nt > 1) {
                            ShortVector p0 = w0.mul(ShortVector.fromArray(S256, q, x1 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x1 + xo + 32)));
                            ShortVector p1 = w2.mul(ShortVector.fromArray(S256, q, x1 + xo + 64)).add(w3.mul(ShortVector.fromArray(S256, q, x1 + xo + 96)));
                            isum1 = isum1.add((IntVector) p0.convertShape(S2I, I512, 0)).add((IntVector) p1.convertShape(S2I, I512, 0));
                        }
                        if (nt > 2) {
                            ShortVector p0 = w0.mul(ShortVector.fromArray(S256, q, x2 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x2 + xo + 32)));
                            ShortVector p1 = w2.mul(ShortVector.fromArray(S256, q, x2 + xo + 64)).add(w3.mul(ShortVector.fromArray(S256, q, x2 + xo + 96)));
                            isum2 = isum2.add((IntVector) p0.convertShape(S2I, I512, 0)).add((IntVector) p1.convertShape(S2I, I512, 0));
                        }
                        if (nt > 3) {
                            ShortVector p0 = w0.mul(ShortVector.fromArray(S256, q, x3 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x3 + xo + 32)));
                            ShortVector p1 = w2.mul(ShortVector.fromArray(S256, q, x3 + xo + 64)).add(w3.mul(ShortVector.fromArray(S256, q, x3 + xo + 96)));
                            isum3 = isum3.add((IntVector) p0.convertShape(S2I, I512, 0)).add((IntVector) p1.convertShape(S2I, I512, 0));
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
                    long bo = ro + 110L * b;
                    int isum = 0;
                    for (int s = 0; s < 16; s++) {
                        int n = s / 8, j = (s % 8) / 2, h = s % 2;
                        int xo = t * cols + 256 * b + 16 * s;
                        int ps = 0;
                        for (int l = 0; l < 16; l++) {
                            int low = (u8(w, bo + 32 + 32 * n + 16 * h + l) >> (2 * j)) & 3;
                            boolean high = (u8(w, bo + 16 * h + l) & (1 << (4 * n + j))) != 0;
                            ps += (low - (high ? 0 : 4)) * q[xo + l];
                        }
                        isum += scaleQ3K(w, bo + 96, s) * ps;
                    }
                    sum += isum * (f16(w, bo + 108) * a.d()[t * nb + b]);
                }
                out[t * outRows + r] = sum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int nb) {
        for (int b = 0; b < nb; b++) dequantizeBlock(s, offset + 110L * b, y, yo + 256 * b);
    }

    // block_q3_K: u8 hmask[32] (high bit, set = no -4), u8 qs[64] (low 2 bits), u8 scales[12] (16 x 6 bit), f16 d
    private static void dequantizeBlock(MemorySegment s, long bo, float[] y, int yo) {
        float dAll = f16(s, bo + 108);
        long hm = bo;
        long q = bo + 32;
        long sb = bo + 96;
        int is = 0;
        int m = 1;
        for (int n = 0; n < 256; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    float dl = dAll * scaleQ3K(s, sb, is++);
                    for (int l = 0; l < 16; l++) {
                        int k = 16 * half + l;
                        int v = ((u8(s, q + k) >>> shift) & 3) - ((u8(s, hm + k) & m) != 0 ? 0 : 4);
                        y[yo++] = dl * v;
                    }
                }
                m <<= 1;
            }
            q += 32;
        }
    }

    static void quantize(float[] x, int xo, int nb, byte[] y, int yo) {
        Scratch s = new Scratch();
        for (int b = 0; b < nb; b++) quantizeBlock(x, xo + 256 * b, y, yo + 110 * b, s);
    }

    private static void quantizeBlock(float[] x, int xo, byte[] y, int yo, Scratch s) {
        int[] L = s.L;
        float[] scales = s.scales;
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = makeQ3Quants(16, 4, x, xo + 16 * j, L, 16 * j);
            float scale = Math.abs(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        // hmask[32] at 0, qs[64] at 32, scales[12] at 96, d at 108
        int sb = yo + 96;
        for (int j = 0; j < 12; j++) y[sb + j] = 0;
        if (maxScale != 0) {
            float iscale = -32.f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = (byte) nearestInt(iscale * scales[j]);
                l = Math.max(-32, Math.min(31, l)) + 32;
                if (j < 8) y[sb + j] = (byte) (l & 0xF);
                else y[sb + j - 8] = (byte) (y[sb + j - 8] | ((l & 0xF) << 4));
                l >>= 4;
                y[sb + j % 4 + 8] = (byte) (y[sb + j % 4 + 8] | (l << (2 * (j / 4))));
            }
            putShort(y, yo + 108, toF16(1 / iscale));
        } else {
            putShort(y, yo + 108, toF16(0.f));
        }
        float dAll = Float.float16ToFloat((short) ((y[yo + 108] & 0xFF) | (y[yo + 109] << 8)));
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? y[sb + j] & 0xF : (y[sb + j - 8] & 0xFF) >>> 4;
            int high = ((y[sb + 8 + j % 4] & 0xFF) >>> (2 * (j / 4))) & 3;
            int sc = (byte) ((low | (high << 4)) - 32);
            float d = dAll * sc;
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt(x[xo + 16 * j + ii] / d);
                L[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
            }
        }
        for (int j = 0; j < 32; j++) y[yo + j] = 0;
        int m = 0, hm = 1;
        for (int j = 0; j < QK_K; j++) {
            if (L[j] > 3) {
                y[yo + m] = (byte) (y[yo + m] | hm);
                L[j] -= 4;
            }
            if (++m == QK_K / 8) {
                m = 0;
                hm <<= 1;
            }
        }
        pack2Bit(L, y, yo + 32);
    }
}
