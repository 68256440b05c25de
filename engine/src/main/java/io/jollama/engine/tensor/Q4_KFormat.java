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
 * Q4_K weights (super-blocks of 256: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins for 8 sub-blocks of 32, 128
 * bytes of nibbles; value = d·scale·q − dmin·min) against Q8_K activations. Sub-blocks 2j and 2j+1 are the low and
 * high nibbles of quant bytes 32j .. 32j+31.
 * <p>
 * The home of Q4_K: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics); the packed kernels
 * are in {@link Q4_KPacked}.
 */
final class Q4_KFormat {
    private Q4_KFormat() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.Q4_K, DotType.Q8_K, Q4_KFormat::dequantize, Q4_KFormat::quantize,
            Q4_KFormat::vector, Q4_KFormat::scalar, Q4_KPacked.LAYOUT);

    // The per-vector code is written out four times (acc0..acc3): helpers are not inlined here (see KernelSupport).
    static void vector(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 256;
        final short[] q = a.q();
        final float[] ad = a.d();
        final int[] bs32 = a.bsums32();
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
                final long bo = ro + 144L * b;
                final float wd = f16(w, bo), wmin = f16(w, bo + 2);
                // The 8 six-bit scales and mins, unpacked four at a time with 32-bit masks: byte j of
                // scales is the scale of sub-block j, byte j of mins its min (per-byte reads cost more than this).
                final int u0 = w.get(INT, bo + 4), u1 = w.get(INT, bo + 8), u2 = w.get(INT, bo + 12);
                final long scales = (u0 & 0x3f3f3f3fL) | ((long) ((u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4)) << 32);
                final long mins = (u1 & 0x3f3f3f3fL) | ((long) (((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4)) << 32);
                IntVector isum0 = IntVector.zero(I512);
                IntVector isum1 = IntVector.zero(I512);
                IntVector isum2 = IntVector.zero(I512);
                IntVector isum3 = IntVector.zero(I512);
                for (int j = 0; j < 4; j++) {
                    final int sc0 = (int) (scales >>> (16 * j)) & 0xFF, sc1 = (int) (scales >>> (16 * j + 8)) & 0xFF;
                    final ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 16 + 32 * j, LE).convertShape(B2S, S256, 0);
                    final ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 32 + 32 * j, LE).convertShape(B2S, S256, 0);
                    final ShortVector lo0 = v0.and((short) 0x0F), lo1 = v1.and((short) 0x0F);
                    final ShortVector hi0 = v0.lanewise(ASHR, 4).and((short) 0x0F), hi1 = v1.lanewise(ASHR, 4).and((short) 0x0F);
                    final int xo = 256 * b + 64 * j;
                    {
                        ShortVector pl = lo0.mul(ShortVector.fromArray(S256, q, x0 + xo)).add(lo1.mul(ShortVector.fromArray(S256, q, x0 + xo + 16)));
                        ShortVector ph = hi0.mul(ShortVector.fromArray(S256, q, x0 + xo + 32)).add(hi1.mul(ShortVector.fromArray(S256, q, x0 + xo + 48)));
                        isum0 = isum0.add(((IntVector) pl.convertShape(S2I, I512, 0)).mul(sc0)).add(((IntVector) ph.convertShape(S2I, I512, 0)).mul(sc1));
                    }
                    if (nt > 1) {
                        ShortVector pl = lo0.mul(ShortVector.fromArray(S256, q, x1 + xo)).add(lo1.mul(ShortVector.fromArray(S256, q, x1 + xo + 16)));
                        ShortVector ph = hi0.mul(ShortVector.fromArray(S256, q, x1 + xo + 32)).add(hi1.mul(ShortVector.fromArray(S256, q, x1 + xo + 48)));
                        isum1 = isum1.add(((IntVector) pl.convertShape(S2I, I512, 0)).mul(sc0)).add(((IntVector) ph.convertShape(S2I, I512, 0)).mul(sc1));
                    }
                    if (nt > 2) {
                        ShortVector pl = lo0.mul(ShortVector.fromArray(S256, q, x2 + xo)).add(lo1.mul(ShortVector.fromArray(S256, q, x2 + xo + 16)));
                        ShortVector ph = hi0.mul(ShortVector.fromArray(S256, q, x2 + xo + 32)).add(hi1.mul(ShortVector.fromArray(S256, q, x2 + xo + 48)));
                        isum2 = isum2.add(((IntVector) pl.convertShape(S2I, I512, 0)).mul(sc0)).add(((IntVector) ph.convertShape(S2I, I512, 0)).mul(sc1));
                    }
                    if (nt > 3) {
                        ShortVector pl = lo0.mul(ShortVector.fromArray(S256, q, x3 + xo)).add(lo1.mul(ShortVector.fromArray(S256, q, x3 + xo + 16)));
                        ShortVector ph = hi0.mul(ShortVector.fromArray(S256, q, x3 + xo + 32)).add(hi1.mul(ShortVector.fromArray(S256, q, x3 + xo + 48)));
                        isum3 = isum3.add(((IntVector) pl.convertShape(S2I, I512, 0)).mul(sc0)).add(((IntVector) ph.convertShape(S2I, I512, 0)).mul(sc1));
                    }
                }
                {
                    acc0 = ((FloatVector) isum0.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d0 + b]), acc0);
                    // the min term: Σ min_j·(sum of the activation quants of sub-block j)
                    int summs = 0;
                    for (int j = 0; j < 8; j++) summs += ((int) (mins >>> (8 * j)) & 0xFF) * bs32[(d0 + b) * 8 + j];
                    m0 += wmin * ad[d0 + b] * summs;
                }
                if (nt > 1) {
                    acc1 = ((FloatVector) isum1.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d1 + b]), acc1);
                    // the min term: Σ min_j·(sum of the activation quants of sub-block j)
                    int summs = 0;
                    for (int j = 0; j < 8; j++) summs += ((int) (mins >>> (8 * j)) & 0xFF) * bs32[(d1 + b) * 8 + j];
                    m1 += wmin * ad[d1 + b] * summs;
                }
                if (nt > 2) {
                    acc2 = ((FloatVector) isum2.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d2 + b]), acc2);
                    // the min term: Σ min_j·(sum of the activation quants of sub-block j)
                    int summs = 0;
                    for (int j = 0; j < 8; j++) summs += ((int) (mins >>> (8 * j)) & 0xFF) * bs32[(d2 + b) * 8 + j];
                    m2 += wmin * ad[d2 + b] * summs;
                }
                if (nt > 3) {
                    acc3 = ((FloatVector) isum3.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d3 + b]), acc3);
                    // the min term: Σ min_j·(sum of the activation quants of sub-block j)
                    int summs = 0;
                    for (int j = 0; j < 8; j++) summs += ((int) (mins >>> (8 * j)) & 0xFF) * bs32[(d3 + b) * 8 + j];
                    m3 += wmin * ad[d3 + b] * summs;
                }
            }
            { acc0.intoArray(lanes, 0); out[(t0 + 0) * outRows + r] = sumLanes(lanes) - m0; }
            if (nt > 1) { acc1.intoArray(lanes, 0); out[(t0 + 1) * outRows + r] = sumLanes(lanes) - m1; }
            if (nt > 2) { acc2.intoArray(lanes, 0); out[(t0 + 2) * outRows + r] = sumLanes(lanes) - m2; }
            if (nt > 3) { acc3.intoArray(lanes, 0); out[(t0 + 3) * outRows + r] = sumLanes(lanes) - m3; }
        }
    }

    static void scalar(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 256;
        final short[] q = a.q();
        for (int t = t0; t < t0 + nt; t++) {
            for (int r = r0; r < r1; r++) {
                long ro = r * rowBytes;
                float sum = 0, msum = 0;
                for (int b = 0; b < nb; b++) {
                    long bo = ro + 144L * b;
                    float dy = a.d()[t * nb + b];
                    int isum = 0, summs = 0;
                    for (int s = 0; s < 8; s++) {
                        int sm = scaleMinK4(w, bo + 4, s);
                        int xo = t * cols + 256 * b + 32 * s;
                        int ps = 0;
                        for (int l = 0; l < 32; l++) {
                            int v = u8(w, bo + 16 + 32 * (s / 2) + l);
                            ps += ((s & 1) == 0 ? v & 15 : v >> 4) * q[xo + l];
                        }
                        isum += (sm & 0xFF) * ps;
                        int bi = (t * nb + b) * 16 + 2 * s;
                        summs += (sm >> 8) * (a.bsums()[bi] + a.bsums()[bi + 1]);
                    }
                    sum += isum * (f16(w, bo) * dy);
                    msum += f16(w, bo + 2) * dy * summs;
                }
                out[t * outRows + r] = sum - msum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int nb) {
        for (int b = 0; b < nb; b++) dequantizeBlock(s, offset + 144L * b, y, yo + 256 * b);
    }

    // block_q4_K: f16 d, f16 dmin, u8 scales[12] (8 x (6-bit scale, 6-bit min)), u8 qs[128]
    private static void dequantizeBlock(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        float min = f16(s, bo + 2);
        long sb = bo + 4;
        long q = bo + 16;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
            int sm1 = scaleMinK4(s, sb, is);
            float d1 = d * (sm1 & 0xFF);
            float m1 = min * (sm1 >>> 8);
            int sm2 = scaleMinK4(s, sb, is + 1);
            float d2 = d * (sm2 & 0xFF);
            float m2 = min * (sm2 >>> 8);
            for (int l = 0; l < 32; l++) y[yo++] = d1 * (u8(s, q + l) & 0xF) - m1;
            for (int l = 0; l < 32; l++) y[yo++] = d2 * (u8(s, q + l) >>> 4) - m2;
        }
    }

    static void quantize(float[] x, int xo, int nb, byte[] y, int yo) {
        Scratch s = new Scratch();
        for (int b = 0; b < nb; b++) quantizeBlock(x, xo + 256 * b, y, yo + 144 * b, s);
    }

    private static void quantizeBlock(float[] x, int xo, byte[] y, int yo, Scratch s) {
        scaleMinBlock(x, xo, y, yo, s, 15, -1.f, 0.1f, 20);
        int[] L = s.L;
        int q = yo + 16;
        for (int j = 0; j < QK_K; j += 64, q += 32) {
            for (int l = 0; l < 32; l++) y[q + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
        }
    }
}
