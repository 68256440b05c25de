package io.jollama.engine.tensor;

import io.jollama.engine.tensor.ActivationQuant.Activations;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static io.jollama.engine.tensor.KernelSupport.LE;
import static io.jollama.engine.tensor.Repack.*;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.S2I;
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

    static final Repack.Layout LAYOUT = new Repack.Layout(Q4_KPacked::packGroup, Q4_KPacked::unpackRow, Q4_KPacked::vector1,
            Q4_KPacked::vector1x2, Q4_KPacked::vector4, Q4_KPacked::panel);

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

    // The kernels below are written out in full: C2 boxes a vector returned by a helper it does not inline, and
    // it declines helpers called once per sub-block (too cold) in methods this large. vector4 is vector1 for four
    // activation vectors at once, with each vector's operations in the same order (so batches equal single vectors).

    static void vector1(MemorySegment w, int cols, int g0, int g1, Activations a, int t, float[] out, int outRows) {
        final int nb = cols / 256;
        final int[] qp = a.qPairs();
        final float[] ad = a.d();
        final int[] bs = a.bsums32();
        final int p0 = (t * cols) >> 1, e0 = t * nb;
        for (int g = g0; g < g1; g++) {
            final long go = (long) g * nb * SB;
            FloatVector acc0 = FloatVector.zero(F512);
            for (int b = 0; b < nb; b++) {
                final long bo = go + (long) b * SB;
                final IntVector highBits = IntVector.fromMemorySegment(I512, w, bo + 192, LE);
                IntVector is0 = IntVector.zero(I512), ms0 = is0;
                for (int m = 0; m < 4; m++) {
                    ShortVector l0 = ShortVector.zero(S512), h0 = l0;
                    final long co = bo + 256 + 512L * m;
                    final int pb = p0 + 128 * b + 32 * m;
                    for (int c = 0; c < 16; c++) {
                        final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, co + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                        final int pi = pb + c;
                        l0 = l0.add(v.and((short) 0xF).mul(IntVector.broadcast(I512, qp[pi]).reinterpretAsShorts()));
                        h0 = h0.add(v.lanewise(LSHR, 4).mul(IntVector.broadcast(I512, qp[pi + 16]).reinterpretAsShorts()));
                    }
                    final IntVector lo0 = l0.reinterpretAsInts(), hi0 = h0.reinterpretAsInts();
                    final IntVector sm0 = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 64 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                    final IntVector sm1 = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 80 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                    final IntVector hb = highBits.lanewise(LSHR, 8 * m);
                    is0 = is0.add(lo0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(lo0.lanewise(ASHR, 16))
                                    .mul(sm0.and(15).or(hb.and(3).lanewise(LSHL, 4))))
                             .add(hi0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(hi0.lanewise(ASHR, 16))
                                    .mul(sm1.and(15).or(hb.and(0x30))));
                    // the min term: min_s · (sum of the activation quants of sub-block s)
                    ms0 = ms0.add(sm0.lanewise(LSHR, 4).or(hb.and(0xC).lanewise(LSHL, 2)).mul(bs[(e0 + b) * 8 + 2 * m]))
                             .add(sm1.lanewise(LSHR, 4).or(hb.and(0xC0).lanewise(LSHR, 2)).mul(bs[(e0 + b) * 8 + 2 * m + 1]));
                }
                // d and dmin of the 16 rows from f16: exponent and mantissa moved to a float's place are the value·2^-112
                final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final IntVector mh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo + 32, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                final FloatVector dmin = mh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(mh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                acc0 = ((FloatVector) is0.convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0).sub(((FloatVector) ms0.convert(I2F, 0)).mul(dmin.mul(ad[e0 + b])));
            }
            acc0.intoArray(out, t * outRows + g * GROUP);
        }
    }

    /** vector1 for groups g and g+1 together: two streams from memory, and each activation broadcast serves both. */
    static void vector1x2(MemorySegment w, int cols, int g, Activations a, int t, float[] out, int outRows) {
        final int nb = cols / 256;
        final int[] qp = a.qPairs();
        final float[] ad = a.d();
        final int[] bs = a.bsums32();
        final int p0 = (t * cols) >> 1, e0 = t * nb;
        final long go = (long) g * nb * SB, gB = go + (long) nb * SB - go;
        FloatVector acc0 = FloatVector.zero(F512), accB = acc0;
        for (int b = 0; b < nb; b++) {
            final long bo = go + (long) b * SB, boB = bo + gB;
            final IntVector highBits = IntVector.fromMemorySegment(I512, w, bo + 192, LE);
            final IntVector highBitsB = IntVector.fromMemorySegment(I512, w, boB + 192, LE);
            IntVector is0 = IntVector.zero(I512), ms0 = is0, isB = is0, msB = is0;
            for (int m = 0; m < 4; m++) {
                ShortVector l0 = ShortVector.zero(S512), h0 = l0, lB = l0, hB = l0;
                final long co = bo + 256 + 512L * m, coB = co + gB;
                final int pb = p0 + 128 * b + 32 * m;
                for (int c = 0; c < 16; c++) {
                    final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, co + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    final ShortVector vB = (ShortVector) ByteVector.fromMemorySegment(B256, w, coB + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    final int pi = pb + c;
                    final ShortVector aL = IntVector.broadcast(I512, qp[pi]).reinterpretAsShorts(), aH = IntVector.broadcast(I512, qp[pi + 16]).reinterpretAsShorts();
                    l0 = l0.add(v.and((short) 0xF).mul(aL));
                    h0 = h0.add(v.lanewise(LSHR, 4).mul(aH));
                    lB = lB.add(vB.and((short) 0xF).mul(aL));
                    hB = hB.add(vB.lanewise(LSHR, 4).mul(aH));
                }
                final int bsL = bs[(e0 + b) * 8 + 2 * m], bsH = bs[(e0 + b) * 8 + 2 * m + 1];
                IntVector lo0 = l0.reinterpretAsInts(), hi0 = h0.reinterpretAsInts();
                IntVector sm0 = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 64 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                IntVector sm1 = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 80 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                IntVector hb = highBits.lanewise(LSHR, 8 * m);
                is0 = is0.add(lo0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(lo0.lanewise(ASHR, 16))
                                .mul(sm0.and(15).or(hb.and(3).lanewise(LSHL, 4))))
                         .add(hi0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(hi0.lanewise(ASHR, 16))
                                .mul(sm1.and(15).or(hb.and(0x30))));
                ms0 = ms0.add(sm0.lanewise(LSHR, 4).or(hb.and(0xC).lanewise(LSHL, 2)).mul(bsL))
                         .add(sm1.lanewise(LSHR, 4).or(hb.and(0xC0).lanewise(LSHR, 2)).mul(bsH));
                lo0 = lB.reinterpretAsInts();
                hi0 = hB.reinterpretAsInts();
                sm0 = (IntVector) ByteVector.fromMemorySegment(B128, w, boB + 64 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                sm1 = (IntVector) ByteVector.fromMemorySegment(B128, w, boB + 80 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                hb = highBitsB.lanewise(LSHR, 8 * m);
                isB = isB.add(lo0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(lo0.lanewise(ASHR, 16))
                                .mul(sm0.and(15).or(hb.and(3).lanewise(LSHL, 4))))
                         .add(hi0.lanewise(LSHL, 16).lanewise(ASHR, 16).add(hi0.lanewise(ASHR, 16))
                                .mul(sm1.and(15).or(hb.and(0x30))));
                msB = msB.add(sm0.lanewise(LSHR, 4).or(hb.and(0xC).lanewise(LSHL, 2)).mul(bsL))
                         .add(sm1.lanewise(LSHR, 4).or(hb.and(0xC0).lanewise(LSHR, 2)).mul(bsH));
            }
            IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
            IntVector mh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo + 32, LE).convertShape(S2I, I512, 0);
            FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            FloatVector dmin = mh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(mh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            acc0 = ((FloatVector) is0.convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0).sub(((FloatVector) ms0.convert(I2F, 0)).mul(dmin.mul(ad[e0 + b])));
            dh = (IntVector) ShortVector.fromMemorySegment(S256, w, boB, LE).convertShape(S2I, I512, 0);
            mh = (IntVector) ShortVector.fromMemorySegment(S256, w, boB + 32, LE).convertShape(S2I, I512, 0);
            d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            dmin = mh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(mh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            accB = ((FloatVector) isB.convert(I2F, 0)).fma(d.mul(ad[e0 + b]), accB).sub(((FloatVector) msB.convert(I2F, 0)).mul(dmin.mul(ad[e0 + b])));
        }
        acc0.intoArray(out, t * outRows + g * GROUP);
        accB.intoArray(out, t * outRows + (g + 1) * GROUP);
    }

    static void vector4(MemorySegment w, int cols, int g0, int g1, Activations a, int t0, float[] out, int outRows) {
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
                IntVector ms0 = is0, ms1 = is0, ms2 = is0, ms3 = is0;
                for (int m = 0; m < 4; m++) {
                    ShortVector l0 = ShortVector.zero(S512), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
                    final long co = bo + 256 + 512L * m;
                    final int pb = 128 * b + 32 * m;
                    for (int c = 0; c < 16; c++) {
                        final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, co + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                        final ShortVector lo = v.and((short) 0xF), hi = v.lanewise(LSHR, 4);
                        final int pi = pb + c;
                        l0 = l0.add(lo.mul(IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts()));
                        h0 = h0.add(hi.mul(IntVector.broadcast(I512, qp[p0 + pi + 16]).reinterpretAsShorts()));
                        l1 = l1.add(lo.mul(IntVector.broadcast(I512, qp[p1 + pi]).reinterpretAsShorts()));
                        h1 = h1.add(hi.mul(IntVector.broadcast(I512, qp[p1 + pi + 16]).reinterpretAsShorts()));
                        l2 = l2.add(lo.mul(IntVector.broadcast(I512, qp[p2 + pi]).reinterpretAsShorts()));
                        h2 = h2.add(hi.mul(IntVector.broadcast(I512, qp[p2 + pi + 16]).reinterpretAsShorts()));
                        l3 = l3.add(lo.mul(IntVector.broadcast(I512, qp[p3 + pi]).reinterpretAsShorts()));
                        h3 = h3.add(hi.mul(IntVector.broadcast(I512, qp[p3 + pi + 16]).reinterpretAsShorts()));
                    }
                    final IntVector sm0 = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 64 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                    final IntVector sm1 = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 80 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                    final IntVector hb = highBits.lanewise(LSHR, 8 * m);
                    final IntVector scL = sm0.and(15).or(hb.and(3).lanewise(LSHL, 4)), scH = sm1.and(15).or(hb.and(0x30));
                    final IntVector mnL = sm0.lanewise(LSHR, 4).or(hb.and(0xC).lanewise(LSHL, 2)), mnH = sm1.lanewise(LSHR, 4).or(hb.and(0xC0).lanewise(LSHR, 2));
                    IntVector x, y;
                    x = l0.reinterpretAsInts(); y = h0.reinterpretAsInts();
                    is0 = is0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).mul(scL)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16).add(y.lanewise(ASHR, 16)).mul(scH));
                    ms0 = ms0.add(mnL.mul(bs[(e0 + b) * 8 + 2 * m])).add(mnH.mul(bs[(e0 + b) * 8 + 2 * m + 1]));
                    x = l1.reinterpretAsInts(); y = h1.reinterpretAsInts();
                    is1 = is1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).mul(scL)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16).add(y.lanewise(ASHR, 16)).mul(scH));
                    ms1 = ms1.add(mnL.mul(bs[(e1 + b) * 8 + 2 * m])).add(mnH.mul(bs[(e1 + b) * 8 + 2 * m + 1]));
                    x = l2.reinterpretAsInts(); y = h2.reinterpretAsInts();
                    is2 = is2.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).mul(scL)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16).add(y.lanewise(ASHR, 16)).mul(scH));
                    ms2 = ms2.add(mnL.mul(bs[(e2 + b) * 8 + 2 * m])).add(mnH.mul(bs[(e2 + b) * 8 + 2 * m + 1]));
                    x = l3.reinterpretAsInts(); y = h3.reinterpretAsInts();
                    is3 = is3.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).mul(scL)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16).add(y.lanewise(ASHR, 16)).mul(scH));
                    ms3 = ms3.add(mnL.mul(bs[(e3 + b) * 8 + 2 * m])).add(mnH.mul(bs[(e3 + b) * 8 + 2 * m + 1]));
                }
                final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final IntVector mh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo + 32, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                final FloatVector dmin = mh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(mh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                acc0 = ((FloatVector) is0.convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0).sub(((FloatVector) ms0.convert(I2F, 0)).mul(dmin.mul(ad[e0 + b])));
                acc1 = ((FloatVector) is1.convert(I2F, 0)).fma(d.mul(ad[e1 + b]), acc1).sub(((FloatVector) ms1.convert(I2F, 0)).mul(dmin.mul(ad[e1 + b])));
                acc2 = ((FloatVector) is2.convert(I2F, 0)).fma(d.mul(ad[e2 + b]), acc2).sub(((FloatVector) ms2.convert(I2F, 0)).mul(dmin.mul(ad[e2 + b])));
                acc3 = ((FloatVector) is3.convert(I2F, 0)).fma(d.mul(ad[e3 + b]), acc3).sub(((FloatVector) ms3.convert(I2F, 0)).mul(dmin.mul(ad[e3 + b])));
            }
            final int r = g * GROUP;
            acc0.intoArray(out, t0 * outRows + r);
            acc1.intoArray(out, (t0 + 1) * outRows + r);
            acc2.intoArray(out, (t0 + 2) * outRows + r);
            acc3.intoArray(out, (t0 + 3) * outRows + r);
        }
    }

    /** Dequantizes group g into panel[base + j·16 + r] (value j of row r), for {@link FloatGemm}. */
    static void panel(MemorySegment w, int cols, int g, float[] panel, int base) {
        final int nb = cols / 256;
        final long go = (long) g * nb * SB;
        for (int b = 0; b < nb; b++) {
            final long bo = go + (long) b * SB;
            final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            final IntVector mh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo + 32, LE).convertShape(S2I, I512, 0);
            final FloatVector dmin = mh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(mh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            final IntVector highBits = IntVector.fromMemorySegment(I512, w, bo + 192, LE);
            for (int m = 0; m < 4; m++) {
                final IntVector sm0 = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 64 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                final IntVector sm1 = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 80 + 32L * m, LE).convertShape(ZERO_EXTEND_B2I, I512, 0);
                final IntVector hb = highBits.lanewise(LSHR, 8 * m);
                final FloatVector scL = d.mul((FloatVector) sm0.and(15).or(hb.and(3).lanewise(LSHL, 4)).convert(I2F, 0));
                final FloatVector scH = d.mul((FloatVector) sm1.and(15).or(hb.and(0x30)).convert(I2F, 0));
                final FloatVector mnL = dmin.mul((FloatVector) sm0.lanewise(LSHR, 4).or(hb.and(0xC).lanewise(LSHL, 2)).convert(I2F, 0)).neg();
                final FloatVector mnH = dmin.mul((FloatVector) sm1.lanewise(LSHR, 4).or(hb.and(0xC0).lanewise(LSHR, 2)).convert(I2F, 0)).neg();
                for (int c = 0; c < 16; c++) {
                    // row r's quant bytes 2c, 2c+1 as one 16-bit lane: values i, i+32 (low byte), i+1, i+33 (high byte)
                    final IntVector v = (IntVector) ShortVector.fromMemorySegment(S256, w, bo + 256 + 512L * m + 32L * c, LE).convertShape(S2I, I512, 0);
                    final int o = base + 16 * (256 * b + 64 * m + 2 * c);
                    ((FloatVector) v.and(15).convert(I2F, 0)).fma(scL, mnL).intoArray(panel, o);
                    ((FloatVector) v.lanewise(LSHR, 8).and(15).convert(I2F, 0)).fma(scL, mnL).intoArray(panel, o + 16);
                    ((FloatVector) v.lanewise(LSHR, 4).and(15).convert(I2F, 0)).fma(scH, mnH).intoArray(panel, o + 16 * 32);
                    ((FloatVector) v.lanewise(LSHR, 12).and(15).convert(I2F, 0)).fma(scH, mnH).intoArray(panel, o + 16 * 33);
                }
            }
        }
    }
}
