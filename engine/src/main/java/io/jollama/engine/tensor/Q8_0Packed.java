package io.jollama.engine.tensor;

import io.jollama.engine.tensor.ActivationQuant.Activations;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static io.jollama.engine.tensor.KernelSupport.LE;
import static io.jollama.engine.tensor.Repack.*;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.ASHR;

/**
 * Q8_0 repacked for 16 rows at a time ({@link Repack}). Per block column (32 values), the 16 rows' 544 bytes:
 * <pre>
 *   [0, 32)      d of rows 0..15 (f16)
 *   [32, 544)    byte 32c + 2r + p: quant 2c + p of row r (c = 0..15)
 * </pre>
 * Two int8·int8 products fit a 16-bit lane, so chunks are taken in pairs before widening.
 */
final class Q8_0Packed {
    private Q8_0Packed() {}

    static final Repack.Layout LAYOUT = new Repack.Layout(Q8_0Packed::packGroup, Q8_0Packed::unpackRow, Q8_0Packed::vector1,
            Q8_0Packed::vector1x2, Q8_0Packed::vector4, Q8_0Packed::panel);

    static final int BLOCK = 34, SB = GROUP * BLOCK;

    static void packGroup(byte[] src, byte[] dst, int cols) {
        int nb = cols / 32, rowBytes = nb * BLOCK;
        for (int b = 0; b < nb; b++) {
            int o = b * SB;
            for (int r = 0; r < GROUP; r++) {
                int s0 = r * rowBytes + b * BLOCK;
                dst[o + 2 * r] = src[s0];
                dst[o + 2 * r + 1] = src[s0 + 1];
                for (int k = 0; k < 32; k++) dst[o + 32 + 32 * (k >> 1) + 2 * r + (k & 1)] = src[s0 + 2 + k];
            }
        }
    }

    static void unpackRow(byte[] group, int r, byte[] row, int cols) {
        int nb = cols / 32;
        for (int b = 0; b < nb; b++) {
            int o = b * SB, d0 = b * BLOCK;
            row[d0] = group[o + 2 * r];
            row[d0 + 1] = group[o + 2 * r + 1];
            for (int k = 0; k < 32; k++) row[d0 + 2 + k] = group[o + 32 + 32 * (k >> 1) + 2 * r + (k & 1)];
        }
    }

    // Written out in full, as Q4_KPacked's (C2 boxes vectors returned by helpers it does not inline); vector4 is
    // vector1 for four activation vectors, each with the same operations in the same order.

    static void vector1(MemorySegment w, int cols, int g0, int g1, Activations a, int t0, float[] out, int outRows) {
        final int nb = cols / 32;
        final int[] qp = a.qPairs();
        final float[] ad = a.d();
        final int p0 = (t0 * cols) >> 1;
        final int e0 = t0 * nb;
        for (int g = g0; g < g1; g++) {
            final long go = (long) g * nb * SB;
            FloatVector acc0 = FloatVector.zero(F512);
            for (int b = 0; b < nb; b++) {
                final long bo = go + (long) b * SB;
                final int pb = 16 * b;
                IntVector is0 = IntVector.zero(I512);
                for (int c = 0; c < 16; c += 2) {
                    final ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 32 + 32L * c, LE).convertShape(B2S, S512, 0);
                    final ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 64 + 32L * c, LE).convertShape(B2S, S512, 0);
                    final int pi = pb + c;
                    IntVector x;
                    x = v0.mul(IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts()).add(v1.mul(IntVector.broadcast(I512, qp[p0 + pi + 1]).reinterpretAsShorts())).reinterpretAsInts();
                    is0 = is0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(x.lanewise(ASHR, 16));
                }
                // d of the 16 rows from f16: exponent and mantissa moved to a float's place are the value·2^-112
                final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                acc0 = ((FloatVector) is0.convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0);
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
        final int p0 = (t0 * cols) >> 1;
        final int e0 = t0 * nb;
        final long go = (long) g * nb * SB, gB = (long) nb * SB;
        FloatVector acc0 = FloatVector.zero(F512), accB = acc0;
        for (int b = 0; b < nb; b++) {
            final long bo = go + (long) b * SB, boB = bo + gB;
            final int pb = 16 * b;
            IntVector is0 = IntVector.zero(I512), isB = is0;
            for (int c = 0; c < 16; c += 2) {
                final int pi = pb + c;
                final ShortVector a0 = IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts(), a1 = IntVector.broadcast(I512, qp[p0 + pi + 1]).reinterpretAsShorts();
                IntVector x = ((ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 32 + 32L * c, LE).convertShape(B2S, S512, 0)).mul(a0)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 64 + 32L * c, LE).convertShape(B2S, S512, 0)).mul(a1)).reinterpretAsInts();
                is0 = is0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(x.lanewise(ASHR, 16));
                x = ((ShortVector) ByteVector.fromMemorySegment(B256, w, boB + 32 + 32L * c, LE).convertShape(B2S, S512, 0)).mul(a0)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B256, w, boB + 64 + 32L * c, LE).convertShape(B2S, S512, 0)).mul(a1)).reinterpretAsInts();
                isB = isB.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(x.lanewise(ASHR, 16));
            }
            IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
            FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            acc0 = ((FloatVector) is0.convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0);
            dh = (IntVector) ShortVector.fromMemorySegment(S256, w, boB, LE).convertShape(S2I, I512, 0);
            d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            accB = ((FloatVector) isB.convert(I2F, 0)).fma(d.mul(ad[e0 + b]), accB);
        }
        acc0.intoArray(out, t0 * outRows + g * GROUP);
        accB.intoArray(out, t0 * outRows + (g + 1) * GROUP);
    }

    static void vector4(MemorySegment w, int cols, int g0, int g1, Activations a, int t0, float[] out, int outRows) {
        final int nb = cols / 32;
        final int[] qp = a.qPairs();
        final float[] ad = a.d();
        final int p0 = (t0 * cols) >> 1, p1 = p0 + (cols >> 1), p2 = p1 + (cols >> 1), p3 = p2 + (cols >> 1);
        final int e0 = t0 * nb, e1 = e0 + nb, e2 = e1 + nb, e3 = e2 + nb;
        for (int g = g0; g < g1; g++) {
            final long go = (long) g * nb * SB;
            FloatVector acc0 = FloatVector.zero(F512), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int b = 0; b < nb; b++) {
                final long bo = go + (long) b * SB;
                final int pb = 16 * b;
                IntVector is0 = IntVector.zero(I512), is1 = is0, is2 = is0, is3 = is0;
                for (int c = 0; c < 16; c += 2) {
                    final ShortVector v0 = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 32 + 32L * c, LE).convertShape(B2S, S512, 0);
                    final ShortVector v1 = (ShortVector) ByteVector.fromMemorySegment(B256, w, bo + 64 + 32L * c, LE).convertShape(B2S, S512, 0);
                    final int pi = pb + c;
                    IntVector x;
                    x = v0.mul(IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts()).add(v1.mul(IntVector.broadcast(I512, qp[p0 + pi + 1]).reinterpretAsShorts())).reinterpretAsInts();
                    is0 = is0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(x.lanewise(ASHR, 16));
                    x = v0.mul(IntVector.broadcast(I512, qp[p1 + pi]).reinterpretAsShorts()).add(v1.mul(IntVector.broadcast(I512, qp[p1 + pi + 1]).reinterpretAsShorts())).reinterpretAsInts();
                    is1 = is1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(x.lanewise(ASHR, 16));
                    x = v0.mul(IntVector.broadcast(I512, qp[p2 + pi]).reinterpretAsShorts()).add(v1.mul(IntVector.broadcast(I512, qp[p2 + pi + 1]).reinterpretAsShorts())).reinterpretAsInts();
                    is2 = is2.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(x.lanewise(ASHR, 16));
                    x = v0.mul(IntVector.broadcast(I512, qp[p3 + pi]).reinterpretAsShorts()).add(v1.mul(IntVector.broadcast(I512, qp[p3 + pi + 1]).reinterpretAsShorts())).reinterpretAsInts();
                    is3 = is3.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16)).add(x.lanewise(ASHR, 16));
                }
                // d of the 16 rows from f16: exponent and mantissa moved to a float's place are the value·2^-112
                final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                acc0 = ((FloatVector) is0.convert(I2F, 0)).fma(d.mul(ad[e0 + b]), acc0);
                acc1 = ((FloatVector) is1.convert(I2F, 0)).fma(d.mul(ad[e1 + b]), acc1);
                acc2 = ((FloatVector) is2.convert(I2F, 0)).fma(d.mul(ad[e2 + b]), acc2);
                acc3 = ((FloatVector) is3.convert(I2F, 0)).fma(d.mul(ad[e3 + b]), acc3);
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
            for (int c = 0; c < 16; c++) {
                // row r's quants 2c, 2c+1 as one 16-bit lane
                final IntVector v = (IntVector) ShortVector.fromMemorySegment(S256, w, bo + 32 + 32L * c, LE).convertShape(S2I, I512, 0);
                final int o = base + 16 * (32 * b + 2 * c);
                ((FloatVector) v.lanewise(LSHL, 24).lanewise(ASHR, 24).convert(I2F, 0)).mul(d).intoArray(panel, o);
                ((FloatVector) v.lanewise(LSHL, 16).lanewise(ASHR, 24).convert(I2F, 0)).mul(d).intoArray(panel, o + 16);
            }
        }
    }
}
