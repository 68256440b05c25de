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
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

/**
 * Q5_0 repacked for 16 rows at a time ({@link Repack}). Per block column (32 values, value = d·(q − 16), q = nibble |
 * fifth bit &lt;&lt; 4), the 16 rows' 352 bytes:
 * <pre>
 *   [0, 32)      d of rows 0..15 (f16)
 *   [32, 96)     short 2r + p: the fifth bits of row r's values 2c+p (bit c) and 16+2c+p (bit 8+c), c = 0..7
 *   [96, 352)    byte 32c + 2r + p: quant byte 2c + p of row r (c = 0..7): value 2c+p in its low nibble, 16+2c+p in its high one
 * </pre>
 * The values (0..31) are multiplied unsigned, low and high nibbles summed apart (eight products each fit a 16-bit
 * lane); the −16 offset comes off once per block through the activation sum.
 */
final class Q5_0Packed {
    private Q5_0Packed() {}

    static final Repack.Layout LAYOUT = new Repack.Layout(Q5_0Packed::packGroup, Q5_0Packed::unpackRow, Q5_0Packed::vector1,
            Q5_0Packed::vector1x2, Q5_0Packed::vector4, Q5_0Packed::panel);

    static final int BLOCK = 22, SB = GROUP * BLOCK;

    static void packGroup(byte[] src, byte[] dst, int cols) {
        int nb = cols / 32, rowBytes = nb * BLOCK;
        for (int b = 0; b < nb; b++) {
            int o = b * SB;
            for (int r = 0; r < GROUP; r++) {
                int s0 = r * rowBytes + b * BLOCK;
                dst[o + 2 * r] = src[s0];
                dst[o + 2 * r + 1] = src[s0 + 1];
                int qh = (u8(src, s0 + 2)) | u8(src, s0 + 3) << 8 | u8(src, s0 + 4) << 16 | u8(src, s0 + 5) << 24;
                for (int p = 0; p < 2; p++) {
                    int bits = 0;
                    for (int c = 0; c < 8; c++) {
                        bits |= ((qh >>> (2 * c + p)) & 1) << c;
                        bits |= ((qh >>> (16 + 2 * c + p)) & 1) << (8 + c);
                    }
                    dst[o + 32 + 4 * r + 2 * p] = (byte) bits;
                    dst[o + 33 + 4 * r + 2 * p] = (byte) (bits >> 8);
                }
                for (int k = 0; k < 16; k++) dst[o + 96 + 32 * (k >> 1) + 2 * r + (k & 1)] = src[s0 + 6 + k];
            }
        }
    }

    static void unpackRow(byte[] group, int r, byte[] row, int cols) {
        int nb = cols / 32;
        for (int b = 0; b < nb; b++) {
            int o = b * SB, d0 = b * BLOCK;
            row[d0] = group[o + 2 * r];
            row[d0 + 1] = group[o + 2 * r + 1];
            int qh = 0;
            for (int p = 0; p < 2; p++) {
                int bits = u8(group, o + 32 + 4 * r + 2 * p) | u8(group, o + 33 + 4 * r + 2 * p) << 8;
                for (int c = 0; c < 8; c++) {
                    qh |= ((bits >> c) & 1) << (2 * c + p);
                    qh |= ((bits >> (8 + c)) & 1) << (16 + 2 * c + p);
                }
            }
            for (int i = 0; i < 4; i++) row[d0 + 2 + i] = (byte) (qh >>> (8 * i));
            for (int k = 0; k < 16; k++) row[d0 + 6 + k] = group[o + 96 + 32 * (k >> 1) + 2 * r + (k & 1)];
        }
    }

    // Written out in full, as Q4_KPacked's (C2 boxes vectors returned by helpers it does not inline); vector4 is
    // vector1 for four activation vectors, each with the same operations in the same order.

    static void vector1(MemorySegment w, int cols, int g0, int g1, Activations a, int t0, float[] out, int outRows) {
        final int nb = cols / 32;
        final int[] qp = a.qPairs();
        final float[] ad = a.d();
        final int[] bs = a.bsums32();
        final int p0 = (t0 * cols) >> 1;
        final int e0 = t0 * nb;
        for (int g = g0; g < g1; g++) {
            final long go = (long) g * nb * SB;
            FloatVector acc0 = FloatVector.zero(F512);
            for (int b = 0; b < nb; b++) {
                final long bo = go + (long) b * SB;
                final int pb = 16 * b;
                // the fifth bits, moved to bit 4 of the chunk's values: bit c (low nibbles) and bit 8+c (high nibbles)
                final ShortVector qh = ShortVector.fromMemorySegment(S512, w, bo + 32, LE), qh4 = qh.lanewise(LSHL, 4);
                ShortVector l0 = ShortVector.zero(S512), h0 = l0;
                for (int c = 0; c < 8; c++) {
                    final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 96 + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    final ShortVector lo = v.and((short) 0xF).or(qh4.lanewise(LSHR, c).and((short) 0x10));
                    final ShortVector hi = v.lanewise(LSHR, 4).or(qh.lanewise(LSHR, 4 + c).and((short) 0x10));
                    final int pi = pb + c;
                    l0 = l0.add(lo.mul(IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts()));
                    h0 = h0.add(hi.mul(IntVector.broadcast(I512, qp[p0 + pi + 8]).reinterpretAsShorts()));
                }
                // d of the 16 rows from f16: exponent and mantissa moved to a float's place are the value·2^-112
                final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x, y;
                x = l0.reinterpretAsInts();
                y = h0.reinterpretAsInts();
                acc0 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(y.lanewise(ASHR, 16))
                        .sub(16 * bs[e0 + b]).convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0);
            }
            final int r = g * GROUP;
            acc0.intoArray(out, t0 * outRows + r);
        }
    }

    /** vector1 for groups g and g+1 together: two streams from memory, and each activation broadcast serves both. */
    static void vector1x2(MemorySegment w, int cols, int g, Activations a, int t0, float[] out, int outRows) {
        final int nb = cols / 32;
        final int[] qp = a.qPairs();
        final float[] ad = a.d();
        final int[] bs = a.bsums32();
        final int p0 = (t0 * cols) >> 1;
        final int e0 = t0 * nb;
        final long go = (long) g * nb * SB, gB = (long) nb * SB;
        FloatVector acc0 = FloatVector.zero(F512), accB = acc0;
        for (int b = 0; b < nb; b++) {
            final long bo = go + (long) b * SB, boB = bo + gB;
            final int pb = 16 * b;
            final ShortVector qh = ShortVector.fromMemorySegment(S512, w, bo + 32, LE), qh4 = qh.lanewise(LSHL, 4);
            final ShortVector qhB = ShortVector.fromMemorySegment(S512, w, boB + 32, LE), qh4B = qhB.lanewise(LSHL, 4);
            ShortVector l0 = ShortVector.zero(S512), h0 = l0, lB = l0, hB = l0;
            for (int c = 0; c < 8; c++) {
                final int pi = pb + c;
                final ShortVector aL = IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts(), aH = IntVector.broadcast(I512, qp[p0 + pi + 8]).reinterpretAsShorts();
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 96 + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                l0 = l0.add(v.and((short) 0xF).or(qh4.lanewise(LSHR, c).and((short) 0x10)).mul(aL));
                h0 = h0.add(v.lanewise(LSHR, 4).or(qh.lanewise(LSHR, 4 + c).and((short) 0x10)).mul(aH));
                v = (ShortVector) ByteVector.fromMemorySegment(B256, w, boB + 96 + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                lB = lB.add(v.and((short) 0xF).or(qh4B.lanewise(LSHR, c).and((short) 0x10)).mul(aL));
                hB = hB.add(v.lanewise(LSHR, 4).or(qhB.lanewise(LSHR, 4 + c).and((short) 0x10)).mul(aH));
            }
            IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
            FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            IntVector x = l0.reinterpretAsInts(), y = h0.reinterpretAsInts();
            acc0 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(y.lanewise(ASHR, 16))
                    .sub(16 * bs[e0 + b]).convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0);
            dh = (IntVector) ShortVector.fromMemorySegment(S256, w, boB, LE).convertShape(S2I, I512, 0);
            d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            x = lB.reinterpretAsInts();
            y = hB.reinterpretAsInts();
            accB = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(y.lanewise(ASHR, 16))
                    .sub(16 * bs[e0 + b]).convert(I2F, 0)).fma(d.mul(ad[e0 + b]), accB);
        }
        acc0.intoArray(out, t0 * outRows + g * GROUP);
        accB.intoArray(out, t0 * outRows + (g + 1) * GROUP);
    }

    static void vector4(MemorySegment w, int cols, int g0, int g1, Activations a, int t0, float[] out, int outRows) {
        final int nb = cols / 32;
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
                final int pb = 16 * b;
                // the fifth bits, moved to bit 4 of the chunk's values: bit c (low nibbles) and bit 8+c (high nibbles)
                final ShortVector qh = ShortVector.fromMemorySegment(S512, w, bo + 32, LE), qh4 = qh.lanewise(LSHL, 4);
                ShortVector l0 = ShortVector.zero(S512), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
                for (int c = 0; c < 8; c++) {
                    final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 96 + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    final ShortVector lo = v.and((short) 0xF).or(qh4.lanewise(LSHR, c).and((short) 0x10));
                    final ShortVector hi = v.lanewise(LSHR, 4).or(qh.lanewise(LSHR, 4 + c).and((short) 0x10));
                    final int pi = pb + c;
                    l0 = l0.add(lo.mul(IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts()));
                    h0 = h0.add(hi.mul(IntVector.broadcast(I512, qp[p0 + pi + 8]).reinterpretAsShorts()));
                    l1 = l1.add(lo.mul(IntVector.broadcast(I512, qp[p1 + pi]).reinterpretAsShorts()));
                    h1 = h1.add(hi.mul(IntVector.broadcast(I512, qp[p1 + pi + 8]).reinterpretAsShorts()));
                    l2 = l2.add(lo.mul(IntVector.broadcast(I512, qp[p2 + pi]).reinterpretAsShorts()));
                    h2 = h2.add(hi.mul(IntVector.broadcast(I512, qp[p2 + pi + 8]).reinterpretAsShorts()));
                    l3 = l3.add(lo.mul(IntVector.broadcast(I512, qp[p3 + pi]).reinterpretAsShorts()));
                    h3 = h3.add(hi.mul(IntVector.broadcast(I512, qp[p3 + pi + 8]).reinterpretAsShorts()));
                }
                // d of the 16 rows from f16: exponent and mantissa moved to a float's place are the value·2^-112
                final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x, y;
                x = l0.reinterpretAsInts();
                y = h0.reinterpretAsInts();
                acc0 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(y.lanewise(ASHR, 16))
                        .sub(16 * bs[e0 + b]).convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0);
                x = l1.reinterpretAsInts();
                y = h1.reinterpretAsInts();
                acc1 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(y.lanewise(ASHR, 16))
                        .sub(16 * bs[e1 + b]).convert(I2F, 0)).fma(d.mul(ad[e1 + b]), acc1);
                x = l2.reinterpretAsInts();
                y = h2.reinterpretAsInts();
                acc2 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(y.lanewise(ASHR, 16))
                        .sub(16 * bs[e2 + b]).convert(I2F, 0)).fma(d.mul(ad[e2 + b]), acc2);
                x = l3.reinterpretAsInts();
                y = h3.reinterpretAsInts();
                acc3 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(y.lanewise(ASHR, 16))
                        .sub(16 * bs[e3 + b]).convert(I2F, 0)).fma(d.mul(ad[e3 + b]), acc3);
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
        final int nb = cols / 32;
        final long go = (long) g * nb * SB;
        for (int b = 0; b < nb; b++) {
            final long bo = go + (long) b * SB;
            final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            // row r's fifth bits: even values in the low 16 bits (bit c: value 2c, bit 8+c: 16+2c), odd ones in the high
            final IntVector qh = IntVector.fromMemorySegment(I512, w, bo + 32, LE);
            for (int c = 0; c < 8; c++) {
                final IntVector v = (IntVector) ShortVector.fromMemorySegment(S256, w, bo + 96 + 32L * c, LE).convertShape(S2I, I512, 0);
                final int o = base + 16 * (32 * b + 2 * c);
                ((FloatVector) v.and(15).or(qh.lanewise(LSHR, c).and(1).lanewise(LSHL, 4)).sub(16).convert(I2F, 0)).mul(d).intoArray(panel, o);
                ((FloatVector) v.lanewise(LSHR, 8).and(15).or(qh.lanewise(LSHR, 16 + c).and(1).lanewise(LSHL, 4)).sub(16).convert(I2F, 0)).mul(d).intoArray(panel, o + 16);
                ((FloatVector) v.lanewise(LSHR, 4).and(15).or(qh.lanewise(LSHR, 8 + c).and(1).lanewise(LSHL, 4)).sub(16).convert(I2F, 0)).mul(d).intoArray(panel, o + 16 * 16);
                ((FloatVector) v.lanewise(LSHR, 12).and(15).or(qh.lanewise(LSHR, 24 + c).and(1).lanewise(LSHL, 4)).sub(16).convert(I2F, 0)).mul(d).intoArray(panel, o + 16 * 17);
            }
        }
    }
}
