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
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;

/**
 * Q6_K repacked for 16 rows at a time ({@link Repack}). A row's 256 six-bit values q (0..63, value = d·scale·(q − 32))
 * are split into low nibbles and high 2-bit pairs; per super-block column, the 16 rows' 3360 bytes:
 * <pre>
 *   [0, 32)        d of rows 0..15 (f16)
 *   [32, 288)      byte 16s + r: the int8 scale of sub-block s (16 values) of row r
 *   [288, 2336)    byte 32c + 2r + p: low 4 bits of value 2c+p | those of value 128+2c+p &lt;&lt; 4, of row r (c = 0..63)
 *   [2336, 3360)   byte 32e + 2r + p: the high 2 bits of values 4e+p, 128+4e+p, 4e+2+p, 128+4e+2+p (bits 0-1, 2-3, 4-5, 6-7)
 * </pre>
 */
final class Q6_KPacked {
    private Q6_KPacked() {}

    // no two-group kernel: its code grew past what C2 inlines in one method, and a vector operation it does
    // not inline falls back to Java (measured: a third of a 3B model's decode time)
    static final Repack.Layout LAYOUT = new Repack.Layout(Q6_KPacked::packGroup, Q6_KPacked::unpackRow, Q6_KPacked::vector1,
            null, Q6_KPacked::vector4, Q6_KPacked::panel);

    static final int BLOCK = 210, SB = GROUP * BLOCK;
    private static final int NIB = 288, HIGH = 2336;

    /** The 256 values (0..63) of a ggml Q6_K block at off, in order. */
    private static void values(byte[] src, int off, int[] q) {
        for (int n = 0; n < 2; n++) {
            int ql = off + 64 * n, qh = off + 128 + 32 * n, y = 128 * n;
            for (int l = 0; l < 32; l++) {
                q[y + l] = (u8(src, ql + l) & 0xF) | ((u8(src, qh + l) & 3) << 4);
                q[y + l + 32] = (u8(src, ql + l + 32) & 0xF) | (((u8(src, qh + l) >> 2) & 3) << 4);
                q[y + l + 64] = (u8(src, ql + l) >> 4) | (((u8(src, qh + l) >> 4) & 3) << 4);
                q[y + l + 96] = (u8(src, ql + l + 32) >> 4) | (((u8(src, qh + l) >> 6) & 3) << 4);
            }
        }
    }

    static void packGroup(byte[] src, byte[] dst, int cols) {
        int nb = cols / 256, rowBytes = nb * BLOCK;
        int[] q = new int[256];
        for (int b = 0; b < nb; b++) {
            int o = b * SB;
            for (int r = 0; r < GROUP; r++) {
                int s0 = r * rowBytes + b * BLOCK;
                values(src, s0, q);
                dst[o + 2 * r] = src[s0 + 208];
                dst[o + 2 * r + 1] = src[s0 + 209];
                for (int s = 0; s < 16; s++) dst[o + 32 + 16 * s + r] = src[s0 + 192 + s];
                for (int c = 0; c < 64; c++) {
                    for (int p = 0; p < 2; p++) {
                        int lo = q[2 * c + p], hi = q[128 + 2 * c + p];
                        dst[o + NIB + 32 * c + 2 * r + p] = (byte) ((lo & 15) | (hi & 15) << 4);
                    }
                }
                for (int e = 0; e < 32; e++) {
                    for (int p = 0; p < 2; p++) {
                        int bits = (q[4 * e + p] >> 4) | (q[128 + 4 * e + p] >> 4) << 2
                                | (q[4 * e + 2 + p] >> 4) << 4 | (q[128 + 4 * e + 2 + p] >> 4) << 6;
                        dst[o + HIGH + 32 * e + 2 * r + p] = (byte) bits;
                    }
                }
            }
        }
    }

    static void unpackRow(byte[] group, int r, byte[] row, int cols) {
        int nb = cols / 256;
        int[] q = new int[256];
        for (int b = 0; b < nb; b++) {
            int o = b * SB, d0 = b * BLOCK;
            for (int c = 0; c < 64; c++) {
                for (int p = 0; p < 2; p++) {
                    int nib = u8(group, o + NIB + 32 * c + 2 * r + p);
                    int bits = u8(group, o + HIGH + 32 * (c >> 1) + 2 * r + p) >> (4 * (c & 1));
                    q[2 * c + p] = (nib & 15) | (bits & 3) << 4;
                    q[128 + 2 * c + p] = (nib >> 4) | ((bits >> 2) & 3) << 4;
                }
            }
            for (int n = 0; n < 2; n++) {
                int ql = d0 + 64 * n, qh = d0 + 128 + 32 * n, y = 128 * n;
                for (int l = 0; l < 32; l++) {
                    row[ql + l] = (byte) ((q[y + l] & 15) | (q[y + l + 64] & 15) << 4);
                    row[ql + l + 32] = (byte) ((q[y + l + 32] & 15) | (q[y + l + 96] & 15) << 4);
                    row[qh + l] = (byte) ((q[y + l] >> 4) | (q[y + l + 32] >> 4) << 2 | (q[y + l + 64] >> 4) << 4 | (q[y + l + 96] >> 4) << 6);
                }
            }
            for (int s = 0; s < 16; s++) row[d0 + 192 + s] = group[o + 32 + 16 * s + r];
            row[d0 + 208] = group[o + 2 * r];
            row[d0 + 209] = group[o + 2 * r + 1];
        }
    }

    // Written out in full, as Q4_KPacked's (C2 boxes vectors returned by helpers it does not inline); vector4 is
    // vector1 for four activation vectors, each with the same operations in the same order.

    static void vector1(MemorySegment w, int cols, int g0, int g1, Activations a, int t0, float[] out, int outRows) {
        final int nb = cols / 256;
        final int[] qp = a.qPairs();
        final float[] ad = a.d();
        final int p0 = (t0 * cols) >> 1;
        final int e0 = t0 * nb;
        for (int g = g0; g < g1; g++) {
            final long go = (long) g * nb * SB;
            FloatVector acc0 = FloatVector.zero(F512);
            for (int b = 0; b < nb; b++) {
                final long bo = go + (long) b * SB;
                IntVector is0 = IntVector.zero(I512);
                for (int m = 0; m < 8; m++) {
                    ShortVector l0 = ShortVector.zero(S512), h0 = l0;
                    final long no = bo + NIB + 256L * m, ho = bo + HIGH + 128L * m;
                    final int pb = 128 * b + 8 * m;
                    for (int e = 0; e < 4; e++) {
                        // two chunks share a byte of high bits: bits 0-3 for the even chunk, 4-7 for the odd one
                        final ShortVector hb = (ShortVector) ByteVector.fromMemorySegment(B256, w, ho + 32L * e, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                        for (int odd = 0; odd < 2; odd++) {
                            final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, no + 64L * e + 32L * odd, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                            final ShortVector h = hb.lanewise(LSHR, 4 * odd);
                            final ShortVector lo = v.and((short) 0xF).or(h.and((short) 3).lanewise(LSHL, 4)).sub((short) 32);
                            final ShortVector hi = v.lanewise(LSHR, 4).or(h.and((short) 0xC).lanewise(LSHL, 2)).sub((short) 32);
                            final int pi = pb + 2 * e + odd;
                            l0 = l0.add(lo.mul(IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts()));
                            h0 = h0.add(hi.mul(IntVector.broadcast(I512, qp[p0 + pi + 64]).reinterpretAsShorts()));
                        }
                    }
                    final IntVector scL = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 32 + 16L * m, LE).convertShape(B2I, I512, 0);
                    final IntVector scH = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 160 + 16L * m, LE).convertShape(B2I, I512, 0);
                    IntVector x, y;
                    x = l0.reinterpretAsInts(); y = h0.reinterpretAsInts();
                    is0 = is0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).mul(scL)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16).add(y.lanewise(ASHR, 16)).mul(scH));
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

    static void vector4(MemorySegment w, int cols, int g0, int g1, Activations a, int t0, float[] out, int outRows) {
        final int nb = cols / 256;
        final int[] qp = a.qPairs();
        final float[] ad = a.d();
        final int p0 = (t0 * cols) >> 1, p1 = p0 + (cols >> 1), p2 = p1 + (cols >> 1), p3 = p2 + (cols >> 1);
        final int e0 = t0 * nb, e1 = e0 + nb, e2 = e1 + nb, e3 = e2 + nb;
        for (int g = g0; g < g1; g++) {
            final long go = (long) g * nb * SB;
            FloatVector acc0 = FloatVector.zero(F512), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int b = 0; b < nb; b++) {
                final long bo = go + (long) b * SB;
                IntVector is0 = IntVector.zero(I512), is1 = is0, is2 = is0, is3 = is0;
                for (int m = 0; m < 8; m++) {
                    ShortVector l0 = ShortVector.zero(S512), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
                    final long no = bo + NIB + 256L * m, ho = bo + HIGH + 128L * m;
                    final int pb = 128 * b + 8 * m;
                    for (int e = 0; e < 4; e++) {
                        // two chunks share a byte of high bits: bits 0-3 for the even chunk, 4-7 for the odd one
                        final ShortVector hb = (ShortVector) ByteVector.fromMemorySegment(B256, w, ho + 32L * e, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                        for (int odd = 0; odd < 2; odd++) {
                            final ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B256, w, no + 64L * e + 32L * odd, LE).convertShape(ZERO_EXTEND_B2S, S512, 0);
                            final ShortVector h = hb.lanewise(LSHR, 4 * odd);
                            final ShortVector lo = v.and((short) 0xF).or(h.and((short) 3).lanewise(LSHL, 4)).sub((short) 32);
                            final ShortVector hi = v.lanewise(LSHR, 4).or(h.and((short) 0xC).lanewise(LSHL, 2)).sub((short) 32);
                            final int pi = pb + 2 * e + odd;
                            l0 = l0.add(lo.mul(IntVector.broadcast(I512, qp[p0 + pi]).reinterpretAsShorts()));
                            h0 = h0.add(hi.mul(IntVector.broadcast(I512, qp[p0 + pi + 64]).reinterpretAsShorts()));
                            l1 = l1.add(lo.mul(IntVector.broadcast(I512, qp[p1 + pi]).reinterpretAsShorts()));
                            h1 = h1.add(hi.mul(IntVector.broadcast(I512, qp[p1 + pi + 64]).reinterpretAsShorts()));
                            l2 = l2.add(lo.mul(IntVector.broadcast(I512, qp[p2 + pi]).reinterpretAsShorts()));
                            h2 = h2.add(hi.mul(IntVector.broadcast(I512, qp[p2 + pi + 64]).reinterpretAsShorts()));
                            l3 = l3.add(lo.mul(IntVector.broadcast(I512, qp[p3 + pi]).reinterpretAsShorts()));
                            h3 = h3.add(hi.mul(IntVector.broadcast(I512, qp[p3 + pi + 64]).reinterpretAsShorts()));
                        }
                    }
                    final IntVector scL = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 32 + 16L * m, LE).convertShape(B2I, I512, 0);
                    final IntVector scH = (IntVector) ByteVector.fromMemorySegment(B128, w, bo + 160 + 16L * m, LE).convertShape(B2I, I512, 0);
                    IntVector x, y;
                    x = l0.reinterpretAsInts(); y = h0.reinterpretAsInts();
                    is0 = is0.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).mul(scL)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16).add(y.lanewise(ASHR, 16)).mul(scH));
                    x = l1.reinterpretAsInts(); y = h1.reinterpretAsInts();
                    is1 = is1.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).mul(scL)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16).add(y.lanewise(ASHR, 16)).mul(scH));
                    x = l2.reinterpretAsInts(); y = h2.reinterpretAsInts();
                    is2 = is2.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).mul(scL)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16).add(y.lanewise(ASHR, 16)).mul(scH));
                    x = l3.reinterpretAsInts(); y = h3.reinterpretAsInts();
                    is3 = is3.add(x.lanewise(LSHL, 16).lanewise(ASHR, 16).add(x.lanewise(ASHR, 16)).mul(scL)).add(y.lanewise(LSHL, 16).lanewise(ASHR, 16).add(y.lanewise(ASHR, 16)).mul(scH));
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
        final int nb = cols / 256;
        final long go = (long) g * nb * SB;
        for (int b = 0; b < nb; b++) {
            final long bo = go + (long) b * SB;
            final IntVector dh = (IntVector) ShortVector.fromMemorySegment(S256, w, bo, LE).convertShape(S2I, I512, 0);
                final FloatVector d = dh.and(0x7fff).lanewise(LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().or(dh.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
            for (int m = 0; m < 8; m++) {
                final FloatVector scL = d.mul((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B128, w, bo + 32 + 16L * m, LE).convertShape(B2I, I512, 0)).convert(I2F, 0));
                final FloatVector scH = d.mul((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B128, w, bo + 160 + 16L * m, LE).convertShape(B2I, I512, 0)).convert(I2F, 0));
                for (int c = 8 * m; c < 8 * m + 8; c++) {
                    // row r's nibble bytes (values 2c, 2c+1 low; 128+2c, 129+2c high) and their high-bit byte pair as 16-bit lanes
                    final IntVector v = (IntVector) ShortVector.fromMemorySegment(S256, w, bo + NIB + 32L * c, LE).convertShape(S2I, I512, 0);
                    final IntVector h = ((IntVector) ShortVector.fromMemorySegment(S256, w, bo + HIGH + 32L * (c >> 1), LE).convertShape(S2I, I512, 0)).lanewise(LSHR, 4 * (c & 1));
                    final int o = base + 16 * (256 * b + 2 * c);
                    ((FloatVector) v.and(15).or(h.and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(scL).intoArray(panel, o);
                    ((FloatVector) v.lanewise(LSHR, 8).and(15).or(h.lanewise(LSHR, 8).and(3).lanewise(LSHL, 4)).sub(32).convert(I2F, 0)).mul(scL).intoArray(panel, o + 16);
                    ((FloatVector) v.lanewise(LSHR, 4).and(15).or(h.and(0xC).lanewise(LSHL, 2)).sub(32).convert(I2F, 0)).mul(scH).intoArray(panel, o + 16 * 128);
                    ((FloatVector) v.lanewise(LSHR, 12).and(15).or(h.lanewise(LSHR, 8).and(0xC).lanewise(LSHL, 2)).sub(32).convert(I2F, 0)).mul(scH).intoArray(panel, o + 16 * 129);
                }
            }
        }
    }
}
