package io.jollama.engine.tensor;

import io.jollama.engine.tensor.ActivationQuant.Activations;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static io.jollama.engine.tensor.KernelSupport.LE;
import static io.jollama.engine.tensor.Repack.*;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

/**
 * Q4_K repacked for 16 rows at a time ({@link Repack}). Per super-block column (256 values), the 16 rows' 2304 bytes:
 * <pre>
 *   [0, 32)      d of rows 0..15 (f16)
 *   [32, 64)     dmin of rows 0..15 (f16)
 *   [64, 192)    byte 16s + r: low 4 bits of scale s of row r | low 4 bits of min s &lt;&lt; 4   (s = sub-block 0..7)
 *   [192, 256)   int 4r: bits 4s..4s+1 the high 2 bits of scale s, bits 4s+2..4s+3 those of min s, of row r
 *   [256, 2304)  byte 32c + 2r + p: quant byte 2c + p of row r (c = 0..63)
 * </pre>
 * Quant byte k of a row holds value (k mod 32) + 64·(k div 32) in its low nibble and that + 32 in its high one.
 */
final class Q4_KPacked {
    private Q4_KPacked() {}

    static final int BLOCK = 144, SB = GROUP * BLOCK;

    static void packGroup(byte[] src, byte[] dst, int cols) {
        int nb = cols / 256, rowBytes = nb * BLOCK;
        for (int b = 0; b < nb; b++) {
            int o = b * SB;
            for (int r = 0; r < GROUP; r++) {
                int s0 = r * rowBytes + b * BLOCK;
                dst[o + 2 * r] = src[s0];
                dst[o + 2 * r + 1] = src[s0 + 1];
                dst[o + 32 + 2 * r] = src[s0 + 2];
                dst[o + 33 + 2 * r] = src[s0 + 3];
                int hi = 0;
                for (int s = 0; s < 8; s++) {
                    int sm = scaleMin(src, s0 + 4, s), sc = sm & 63, m = sm >> 8;
                    dst[o + 64 + 16 * s + r] = (byte) ((sc & 15) | (m & 15) << 4);
                    hi |= ((sc >> 4) | (m >> 4) << 2) << (4 * s);
                }
                for (int i = 0; i < 4; i++) dst[o + 192 + 4 * r + i] = (byte) (hi >>> (8 * i));
                for (int k = 0; k < 128; k++) dst[o + 256 + 32 * (k >> 1) + 2 * r + (k & 1)] = src[s0 + 16 + k];
            }
        }
    }

    static void unpackRow(byte[] group, int r, byte[] row, int cols) {
        int nb = cols / 256;
        for (int b = 0; b < nb; b++) {
            int o = b * SB, d0 = b * BLOCK;
            row[d0] = group[o + 2 * r];
            row[d0 + 1] = group[o + 2 * r + 1];
            row[d0 + 2] = group[o + 32 + 2 * r];
            row[d0 + 3] = group[o + 33 + 2 * r];
            int hi = 0;
            for (int i = 0; i < 4; i++) hi |= u8(group, o + 192 + 4 * r + i) << (8 * i);
            int[] sc = new int[8], m = new int[8];
            for (int s = 0; s < 8; s++) {
                int lo = u8(group, o + 64 + 16 * s + r), h = hi >>> (4 * s);
                sc[s] = (lo & 15) | (h & 3) << 4;
                m[s] = (lo >> 4) | ((h >> 2) & 3) << 4;
            }
            for (int j = 0; j < 4; j++) {
                row[d0 + 4 + j] = (byte) (sc[j] | (sc[j + 4] >> 4) << 6);
                row[d0 + 8 + j] = (byte) (m[j] | (m[j + 4] >> 4) << 6);
                row[d0 + 12 + j] = (byte) ((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
            }
            for (int k = 0; k < 128; k++) row[d0 + 16 + k] = group[o + 256 + 32 * (k >> 1) + 2 * r + (k & 1)];
        }
    }

    /** ggml's get_scale_min_k4: scale (bits 0-5) and min (bits 8-13) of sub-block j from the 12 bytes at off. */
    private static int scaleMin(byte[] q, int off, int j) {
        int sc, m;
        if (j < 4) {
            sc = u8(q, off + j) & 63;
            m = u8(q, off + j + 4) & 63;
        } else {
            sc = (u8(q, off + j + 4) & 0xF) | ((u8(q, off + j - 4) >> 6) << 4);
            m = (u8(q, off + j + 4) >> 4) | ((u8(q, off + j) >> 6) << 4);
        }
        return sc | (m << 8);
    }

    static void vector(MemorySegment w, int cols, int g0, int g1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int nb = cols / 256;
        final int[] qp = a.qPairs();
        final float[] ad = a.d();
        final int[] bs = a.bsums32();
        final int p0 = (t0 * cols) >> 1, p1 = p0 + (cols >> 1), p2 = p1 + (cols >> 1), p3 = p2 + (cols >> 1);
        final int e0 = t0 * nb, e1 = e0 + nb, e2 = e1 + nb, e3 = e2 + nb;
        for (int g = g0; g < g1; g++) {
            final long go = (long) g * nb * SB;
            FloatVector acc0 = FloatVector.zero(F512), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int b = 0; b < nb; b++) {
                final long bo = go + (long) b * SB;
                final IntVector highBits = IntVector.fromMemorySegment(I512, w, bo + 192, LE);
                IntVector is0 = IntVector.zero(I512), is1 = is0, is2 = is0, is3 = is0;
                for (int m = 0; m < 4; m++) {
                    ShortVector l0 = ShortVector.zero(S512), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
                    for (int c = 16 * m; c < 16 * m + 16; c++) {
                        ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 256 + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                        ShortVector lo = v.and((short) 0xF), hi = v.lanewise(LSHR, 4);
                        // pair index of values i, i+1 (low nibbles) and i+32, i+33 (high nibbles)
                        int pi = 128 * b + 32 * m + (c & 15);
                        l0 = l0.add(lo.mul(pair(qp[p0 + pi])));
                        h0 = h0.add(hi.mul(pair(qp[p0 + pi + 16])));
                        if (nt > 1) {
                            l1 = l1.add(lo.mul(pair(qp[p1 + pi])));
                            h1 = h1.add(hi.mul(pair(qp[p1 + pi + 16])));
                        }
                        if (nt > 2) {
                            l2 = l2.add(lo.mul(pair(qp[p2 + pi])));
                            h2 = h2.add(hi.mul(pair(qp[p2 + pi + 16])));
                        }
                        if (nt > 3) {
                            l3 = l3.add(lo.mul(pair(qp[p3 + pi])));
                            h3 = h3.add(hi.mul(pair(qp[p3 + pi + 16])));
                        }
                    }
                    final IntVector scL = scale(w, bo, highBits, 2 * m), scH = scale(w, bo, highBits, 2 * m + 1);
                    is0 = is0.add(pairSum(l0).mul(scL)).add(pairSum(h0).mul(scH));
                    if (nt > 1) is1 = is1.add(pairSum(l1).mul(scL)).add(pairSum(h1).mul(scH));
                    if (nt > 2) is2 = is2.add(pairSum(l2).mul(scL)).add(pairSum(h2).mul(scH));
                    if (nt > 3) is3 = is3.add(pairSum(l3).mul(scL)).add(pairSum(h3).mul(scH));
                }
                // the min term: Σ_s min_s · (sum of the activation quants of sub-block s)
                IntVector ms0 = IntVector.zero(I512), ms1 = ms0, ms2 = ms0, ms3 = ms0;
                for (int s = 0; s < 8; s++) {
                    final IntVector mn = min(w, bo, highBits, s);
                    ms0 = ms0.add(mn.mul(bs[(e0 + b) * 8 + s]));
                    if (nt > 1) ms1 = ms1.add(mn.mul(bs[(e1 + b) * 8 + s]));
                    if (nt > 2) ms2 = ms2.add(mn.mul(bs[(e2 + b) * 8 + s]));
                    if (nt > 3) ms3 = ms3.add(mn.mul(bs[(e3 + b) * 8 + s]));
                }
                final FloatVector d = halves(w, bo), dmin = halves(w, bo + 32);
                acc0 = ((FloatVector) is0.convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0).sub(((FloatVector) ms0.convert(I2F, 0)).mul(dmin.mul(ad[e0 + b])));
                if (nt > 1) acc1 = ((FloatVector) is1.convert(I2F, 0)).fma(d.mul(ad[e1 + b]), acc1).sub(((FloatVector) ms1.convert(I2F, 0)).mul(dmin.mul(ad[e1 + b])));
                if (nt > 2) acc2 = ((FloatVector) is2.convert(I2F, 0)).fma(d.mul(ad[e2 + b]), acc2).sub(((FloatVector) ms2.convert(I2F, 0)).mul(dmin.mul(ad[e2 + b])));
                if (nt > 3) acc3 = ((FloatVector) is3.convert(I2F, 0)).fma(d.mul(ad[e3 + b]), acc3).sub(((FloatVector) ms3.convert(I2F, 0)).mul(dmin.mul(ad[e3 + b])));
            }
            final int r = g * GROUP;
            acc0.intoArray(out, t0 * outRows + r);
            if (nt > 1) acc1.intoArray(out, (t0 + 1) * outRows + r);
            if (nt > 2) acc2.intoArray(out, (t0 + 2) * outRows + r);
            if (nt > 3) acc3.intoArray(out, (t0 + 3) * outRows + r);
        }
    }

    /** The 6-bit scales of sub-block s of the 16 rows. */
    private static IntVector scale(MemorySegment w, long bo, IntVector highBits, int s) {
        IntVector lo = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 64 + 16L * s, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
        return lo.and(15).or(highBits.lanewise(LSHR, 4 * s).and(3).lanewise(LSHL, 4));
    }

    /** The 6-bit mins of sub-block s of the 16 rows. */
    private static IntVector min(MemorySegment w, long bo, IntVector highBits, int s) {
        IntVector lo = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 64 + 16L * s, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
        return lo.lanewise(LSHR, 4).or(highBits.lanewise(LSHR, 4 * s + 2).and(3).lanewise(LSHL, 4));
    }
}
