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
 * Q2_K weights (super-blocks of 256: 16 bytes of 4-bit scale | 4-bit min per 16 values, 64 bytes of 2-bit quants,
 * f16 d, f16 dmin; value = d·scale·q − dmin·min) against Q8_K activations. Sub-block s = 8n + 2j + h (n, h in 0..1,
 * j in 0..3) is bits 2j..2j+1 of quant bytes 32n + 16h .. +15.
 * <p>
 * The home of Q2_K: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics).
 */
final class Q2_KFormat {
    private Q2_KFormat() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.Q2_K, DotType.Q8_K, Q2_KFormat::dequantize, Q2_KFormat::quantize,
            Q2_KFormat::vector, Q2_KFormat::scalar, null);

    // The per-vector code is written out four times (acc0..acc3): helpers are not inlined here (see KernelSupport).
    static void vector(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 256;
        final short[] q = a.q();
        final float[] ad = a.d();
        final int[] bsums = a.bsums();
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
            float m0 = 0;
            float m1 = 0;
            float m2 = 0;
            float m3 = 0;
            for (int b = 0; b < nb; b++) {
                final long bo = ro + 84L * b;
                final float wd = f16(w, bo + 80), wmin = f16(w, bo + 82);
                // scales and mins with two wide loads: per-byte segment reads cost more than the arithmetic
                final long sl = w.get(LONG, bo), sh = w.get(LONG, bo + 8);
                int summs0 = 0;
                int summs1 = 0;
                int summs2 = 0;
                int summs3 = 0;
                for (int s = 0; s < 8; s++) {
                    int lo = (int) (sl >>> (8 * s)) & 0xFF, hi = (int) (sh >>> (8 * s)) & 0xFF;
                    sc[s] = lo & 15;
                    sc[s + 8] = hi & 15;
                    {
                        summs0 += (lo >> 4) * bsums[(d0 + b) * 16 + s] + (hi >> 4) * bsums[(d0 + b) * 16 + s + 8];
                    }
                    if (nt > 1) {
                        summs1 += (lo >> 4) * bsums[(d1 + b) * 16 + s] + (hi >> 4) * bsums[(d1 + b) * 16 + s + 8];
                    }
                    if (nt > 2) {
                        summs2 += (lo >> 4) * bsums[(d2 + b) * 16 + s] + (hi >> 4) * bsums[(d2 + b) * 16 + s + 8];
                    }
                    if (nt > 3) {
                        summs3 += (lo >> 4) * bsums[(d3 + b) * 16 + s] + (hi >> 4) * bsums[(d3 + b) * 16 + s + 8];
                    }
                }
                IntVector isum0 = IntVector.zero(I512);
                IntVector isum1 = IntVector.zero(I512);
                IntVector isum2 = IntVector.zero(I512);
                IntVector isum3 = IntVector.zero(I512);
                for (int n = 0; n < 2; n++) {
                    for (int h = 0; h < 2; h++) {
                        final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 16 + 32 * n + 16 * h, LE).convertShape(B2S, S256, 0);
                        final int s0 = 8 * n + h;
                        // the scale is folded into the weights: |q·scale·x| ≤ 3·15·127, four such sums fit in 16 bits
                        final ShortVector w0 = v.and((short) 3).mul((short) sc[s0]);
                        final ShortVector w1 = v.lanewise(ASHR, 2).and((short) 3).mul((short) sc[s0 + 2]);
                        final ShortVector w2 = v.lanewise(ASHR, 4).and((short) 3).mul((short) sc[s0 + 4]);
                        final ShortVector w3 = v.lanewise(ASHR, 6).and((short) 3).mul((short) sc[s0 + 6]);
                        final int xo = 256 * b + 16 * s0;
                        {
                            ShortVector p = w0.mul(ShortVector.fromArray(S256, q, x0 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x0 + xo + 32)))
                                    .add(w2.mul(ShortVector.fromArray(S256, q, x0 + xo + 64))).add(w3.mul(ShortVector.fromArray(S256, q, x0 + xo + 96)));
                            isum0 = isum0.add((IntVector) p.convertShape(S2I, I512, 0));
                        }
                        if (nt > 1) {
                            ShortVector p = w0.mul(ShortVector.fromArray(S256, q, x1 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x1 + xo + 32)))
                                    .add(w2.mul(ShortVector.fromArray(S256, q, x1 + xo + 64))).add(w3.mul(ShortVector.fromArray(S256, q, x1 + xo + 96)));
                            isum1 = isum1.add((IntVector) p.convertShape(S2I, I512, 0));
                        }
                        if (nt > 2) {
                            ShortVector p = w0.mul(ShortVector.fromArray(S256, q, x2 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x2 + xo + 32)))
                                    .add(w2.mul(ShortVector.fromArray(S256, q, x2 + xo + 64))).add(w3.mul(ShortVector.fromArray(S256, q, x2 + xo + 96)));
                            isum2 = isum2.add((IntVector) p.convertShape(S2I, I512, 0));
                        }
                        if (nt > 3) {
                            ShortVector p = w0.mul(ShortVector.fromArray(S256, q, x3 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x3 + xo + 32)))
                                    .add(w2.mul(ShortVector.fromArray(S256, q, x3 + xo + 64))).add(w3.mul(ShortVector.fromArray(S256, q, x3 + xo + 96)));
                            isum3 = isum3.add((IntVector) p.convertShape(S2I, I512, 0));
                        }
                    }
                }
                {
                    acc0 = ((FloatVector) isum0.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d0 + b]), acc0);
                    m0 += wmin * ad[d0 + b] * summs0;
                }
                if (nt > 1) {
                    acc1 = ((FloatVector) isum1.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d1 + b]), acc1);
                    m1 += wmin * ad[d1 + b] * summs1;
                }
                if (nt > 2) {
                    acc2 = ((FloatVector) isum2.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d2 + b]), acc2);
                    m2 += wmin * ad[d2 + b] * summs2;
                }
                if (nt > 3) {
                    acc3 = ((FloatVector) isum3.convert(I2F, 0)).fma(FloatVector.broadcast(F512, wd * ad[d3 + b]), acc3);
                    m3 += wmin * ad[d3 + b] * summs3;
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
                    long bo = ro + 84L * b;
                    float dy = a.d()[t * nb + b];
                    int isum = 0, summs = 0;
                    for (int s = 0; s < 16; s++) {
                        int n = s / 8, j = (s % 8) / 2, h = s % 2;
                        int sc = u8(w, bo + s);
                        int xo = t * cols + 256 * b + 16 * s;
                        int ps = 0;
                        for (int l = 0; l < 16; l++) ps += ((u8(w, bo + 16 + 32 * n + 16 * h + l) >> (2 * j)) & 3) * q[xo + l];
                        isum += (sc & 15) * ps;
                        summs += (sc >> 4) * a.bsums()[(t * nb + b) * 16 + s];
                    }
                    sum += isum * (f16(w, bo + 80) * dy);
                    msum += f16(w, bo + 82) * dy * summs;
                }
                out[t * outRows + r] = sum - msum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int nb) {
        for (int b = 0; b < nb; b++) dequantizeBlock(s, offset + 84L * b, y, yo + 256 * b);
    }

    // block_q2_K: u8 scales[16] (low nibble scale, high nibble min), u8 qs[64] (2 bits), f16 d, f16 dmin
    private static void dequantizeBlock(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo + 80);
        float min = f16(s, bo + 82);
        long q = bo + 16;
        int is = 0;
        for (int n = 0; n < 256; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    int sc = u8(s, bo + is++);
                    float dl = d * (sc & 0xF);
                    float ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) y[yo++] = dl * ((u8(s, q + 16 * half + l) >>> shift) & 3) - ml;
                }
            }
            q += 32;
        }
    }

    static void quantize(float[] x, int xo, int nb, byte[] y, int yo) {
        Scratch s = new Scratch();
        for (int b = 0; b < nb; b++) quantizeBlock(x, xo + 256 * b, y, yo + 84 * b, s);
    }

    private static void quantizeBlock(float[] x, int xo, byte[] y, int yo, Scratch s) {
        final float q4scale = 15.f;
        int[] L = s.L;
        float[] weights = s.weights, scales = s.scales, mins = s.mins;
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[xo + 16 * j + l]);
            scales[j] = makeQkx2Quants(16, 3, x, xo + 16 * j, weights, L, 16 * j, s, -0.5f, 0.1f, 15, true);
            mins[j] = s.theMin[0];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        // scales[16] at 0, qs[64] at 16, d at 80, dmin at 82
        if (maxScale > 0) {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; j++) y[yo + j] = (byte) nearestInt(iscale * scales[j]);
            putShort(y, yo + 80, toF16(maxScale / q4scale));
        } else {
            for (int j = 0; j < 16; j++) y[yo + j] = 0;
            putShort(y, yo + 80, toF16(0.f));
        }
        if (maxMin > 0) {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; j++) y[yo + j] = (byte) (y[yo + j] | (nearestInt(iscale * mins[j]) << 4));
            putShort(y, yo + 82, toF16(maxMin / q4scale));
        } else {
            putShort(y, yo + 82, toF16(0.f));
        }
        float dAll = viaF16(maxScale > 0 ? maxScale / q4scale : 0.f);
        float mAll = viaF16(maxMin > 0 ? maxMin / q4scale : 0.f);
        for (int j = 0; j < 16; j++) {
            int sc = y[yo + j] & 0xFF;
            float d = dAll * (sc & 0xF);
            if (d == 0) continue;
            float dm = mAll * (sc >>> 4);
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt((x[xo + 16 * j + ii] + dm) / d);
                L[16 * j + ii] = Math.max(0, Math.min(3, l));
            }
        }
        pack2Bit(L, y, yo + 16);
    }
}
