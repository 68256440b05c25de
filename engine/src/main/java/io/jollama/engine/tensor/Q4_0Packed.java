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
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

/**
 * Q4_0 repacked for 16 rows at a time ({@link Repack}). Per block column (32 values), the 16 rows' 288 bytes:
 * <pre>
 *   [0, 32)      d of rows 0..15 (f16)
 *   [32, 288)    byte 32c + 2r + p: quant byte 2c + p of row r (c = 0..7): value 2c+p in its low nibble, 16+2c+p in its high one
 * </pre>
 * The nibbles (0..15) are multiplied unsigned; the −8 offset comes off once per block through the activation sum.
 */
final class Q4_0Packed {
    private Q4_0Packed() {}

    static final Repack.Layout LAYOUT = new Repack.Layout(Q4_0Packed::packGroup, Q4_0Packed::unpackRow, Q4_0Packed::vector1,
            Q4_0Packed::vector1x2, Q4_0Packed::vector4, Q4_0Packed::panel);

    static final int BLOCK = 18, SB = GROUP * BLOCK;

    static void packGroup(byte[] src, byte[] dst, int cols) {
        int nb = cols / 32, rowBytes = nb * BLOCK;
        for (int b = 0; b < nb; b++) {
            int o = b * SB;
            for (int r = 0; r < GROUP; r++) {
                int s0 = r * rowBytes + b * BLOCK;
                dst[o + 2 * r] = src[s0];
                dst[o + 2 * r + 1] = src[s0 + 1];
                for (int k = 0; k < 16; k++) dst[o + 32 + 32 * (k >> 1) + 2 * r + (k & 1)] = src[s0 + 2 + k];
            }
        }
    }

    static void unpackRow(byte[] group, int r, byte[] row, int cols) {
        int nb = cols / 32;
        for (int b = 0; b < nb; b++) {
            int o = b * SB, d0 = b * BLOCK;
            row[d0] = group[o + 2 * r];
            row[d0 + 1] = group[o + 2 * r + 1];
            for (int k = 0; k < 16; k++) row[d0 + 2 + k] = group[o + 32 + 32 * (k >> 1) + 2 * r + (k & 1)];
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
                ShortVector s0 = ShortVector.zero(S512);
                for (int c = 0; c < 8; c++) {
                    final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 32 + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    final ShortVector lo = v.and((short) 0xF), hi = v.lanewise(LSHR, 4);
                    final int pi = pb + c;
                    s0 = s0.add(lo.mul(IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I512, qp[p0 + pi + 8]).reinterpretAsShorts()));
                }
                // d of the 16 rows from f16: exponent and mantissa moved to a float's place are the value·2^-112
                final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x;
                x = s0.reinterpretAsInts();
                acc0 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).sub(8 * bs[e0 + b]).convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0);
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
            ShortVector s0 = ShortVector.zero(S512), sB = s0;
            for (int c = 0; c < 8; c++) {
                final int pi = pb + c;
                final ShortVector aL = IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts(), aH = IntVector.broadcast(I512, qp[p0 + pi + 8]).reinterpretAsShorts();
                ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 32 + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                s0 = s0.add(v.and((short) 0xF).mul(aL)).add(v.lanewise(LSHR, 4).mul(aH));
                v = (ShortVector) ByteVector.fromMemorySegment(B256, w, boB + 32 + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                sB = sB.add(v.and((short) 0xF).mul(aL)).add(v.lanewise(LSHR, 4).mul(aH));
            }
            IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
            FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            IntVector x = s0.reinterpretAsInts();
            acc0 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).sub(8 * bs[e0 + b]).convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0);
            dh = (IntVector) ShortVector.fromMemorySegment(S256, w, boB, LE).convertShape(S2I, I512, 0);
            d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            x = sB.reinterpretAsInts();
            accB = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).sub(8 * bs[e0 + b]).convert(I2F, 0)).fma(d.mul(ad[e0 + b]), accB);
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
                ShortVector s0 = ShortVector.zero(S512), s1 = s0, s2 = s0, s3 = s0;
                for (int c = 0; c < 8; c++) {
                    final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 32 + 32L * c, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                    final ShortVector lo = v.and((short) 0xF), hi = v.lanewise(LSHR, 4);
                    final int pi = pb + c;
                    s0 = s0.add(lo.mul(IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I512, qp[p0 + pi + 8]).reinterpretAsShorts()));
                    s1 = s1.add(lo.mul(IntVector.broadcast(I512, qp[p1 + pi]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I512, qp[p1 + pi + 8]).reinterpretAsShorts()));
                    s2 = s2.add(lo.mul(IntVector.broadcast(I512, qp[p2 + pi]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I512, qp[p2 + pi + 8]).reinterpretAsShorts()));
                    s3 = s3.add(lo.mul(IntVector.broadcast(I512, qp[p3 + pi]).reinterpretAsShorts())).add(hi.mul(IntVector.broadcast(I512, qp[p3 + pi + 8]).reinterpretAsShorts()));
                }
                // d of the 16 rows from f16: exponent and mantissa moved to a float's place are the value·2^-112
                final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector x;
                x = s0.reinterpretAsInts();
                acc0 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).sub(8 * bs[e0 + b]).convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0);
                x = s1.reinterpretAsInts();
                acc1 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).sub(8 * bs[e1 + b]).convert(I2F, 0)).fma(d.mul(ad[e1 + b]), acc1);
                x = s2.reinterpretAsInts();
                acc2 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).sub(8 * bs[e2 + b]).convert(I2F, 0)).fma(d.mul(ad[e2 + b]), acc2);
                x = s3.reinterpretAsInts();
                acc3 = ((FloatVector) x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).sub(8 * bs[e3 + b]).convert(I2F, 0)).fma(d.mul(ad[e3 + b]), acc3);
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
            for (int c = 0; c < 8; c++) {
                // row r's quant bytes 2c, 2c+1 as one 16-bit lane: values 2c, 16+2c (low byte), 2c+1, 17+2c (high byte)
                final IntVector v = (IntVector) ShortVector.fromMemorySegment(S256, w, bo + 32 + 32L * c, LE).convertShape(S2I, I512, 0);
                final int o = base + 16 * (32 * b + 2 * c);
                ((FloatVector) v.and(15).sub(8).convert(I2F, 0)).mul(d).intoArray(panel, o);
                ((FloatVector) v.lanewise(LSHR, 8).and(15).sub(8).convert(I2F, 0)).mul(d).intoArray(panel, o + 16);
                ((FloatVector) v.lanewise(LSHR, 4).and(15).sub(8).convert(I2F, 0)).mul(d).intoArray(panel, o + 16 * 16);
                ((FloatVector) v.lanewise(LSHR, 12).and(15).sub(8).convert(I2F, 0)).mul(d).intoArray(panel, o + 16 * 17);
            }
        }
    }
}
