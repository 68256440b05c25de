package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar, exact dequantization of ggml blocks to float, for every supported type.
 * It is the reference the fast kernels are tested against, and what embedding lookups use.
 * <p>
 * Block layouts are ggml's ({@code ggml-common.h}); each value is computed with the same float operations in the
 * same order as ggml's {@code dequantize_row_*}, so the results are bit-identical to ggml's.
 */
public final class Dequant {
    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequant() {}

    /** Reads the IEEE half at byte offset {@code off}. */
    public static float f16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(LE_SHORT, off));
    }

    /** Reads the bfloat16 at byte offset {@code off}. */
    public static float bf16(MemorySegment s, long off) {
        return Float.intBitsToFloat((s.get(LE_SHORT, off) & 0xFFFF) << 16);
    }

    /** F32, F16 or BF16: the unquantized float types. */
    public static boolean isFloat(GgmlType t) {
        return t == GgmlType.F32 || t == GgmlType.F16 || t == GgmlType.BF16;
    }

    private static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    private static int i8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }

    /**
     * Dequantizes {@code n} values (a multiple of the type's block size) whose blocks start at byte {@code offset}
     * of {@code src}, into {@code dst[dstOff .. dstOff+n)}.
     */
    public static void dequantize(GgmlType type, MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        if (n % type.blockSize != 0) throw new IllegalArgumentException(type + ": " + n + " is not a multiple of " + type.blockSize);
        int nb = n / type.blockSize;
        long ts = type.typeSize;
        switch (type) {
            case F32 -> MemorySegment.copy(src, LE_FLOAT, offset, dst, dstOff, n);
            case F16 -> { for (int i = 0; i < n; i++) dst[dstOff + i] = f16(src, offset + 2L * i); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[dstOff + i] = bf16(src, offset + 2L * i); }
            case Q8_0 -> { for (int b = 0; b < nb; b++) q8_0(src, offset + ts * b, dst, dstOff + 32 * b); }
            case Q4_0 -> { for (int b = 0; b < nb; b++) q4_0(src, offset + ts * b, dst, dstOff + 32 * b); }
            case Q4_1 -> { for (int b = 0; b < nb; b++) q4_1(src, offset + ts * b, dst, dstOff + 32 * b); }
            case Q5_0 -> { for (int b = 0; b < nb; b++) q5_0(src, offset + ts * b, dst, dstOff + 32 * b); }
            case Q5_1 -> { for (int b = 0; b < nb; b++) q5_1(src, offset + ts * b, dst, dstOff + 32 * b); }
            case Q2_K -> { for (int b = 0; b < nb; b++) q2_K(src, offset + ts * b, dst, dstOff + 256 * b); }
            case Q3_K -> { for (int b = 0; b < nb; b++) q3_K(src, offset + ts * b, dst, dstOff + 256 * b); }
            case Q4_K -> { for (int b = 0; b < nb; b++) q4_K(src, offset + ts * b, dst, dstOff + 256 * b); }
            case Q5_K -> { for (int b = 0; b < nb; b++) q5_K(src, offset + ts * b, dst, dstOff + 256 * b); }
            case Q6_K -> { for (int b = 0; b < nb; b++) q6_K(src, offset + ts * b, dst, dstOff + 256 * b); }
            default -> throw new UnsupportedOperationException("dequantization of " + type + " is not implemented");
        }
    }

    // block_q8_0: f16 d, int8 qs[32]
    private static void q8_0(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        for (int j = 0; j < 32; j++) y[yo + j] = i8(s, bo + 2 + j) * d;
    }

    // block_q4_0: f16 d, u8 qs[16]; low nibbles are values 0..15, high nibbles values 16..31, offset by -8
    private static void q4_0(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, bo + 2 + j);
            y[yo + j] = ((q & 0x0F) - 8) * d;
            y[yo + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    // block_q4_1: f16 d, f16 m, u8 qs[16]; value = q*d + m
    private static void q4_1(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        float m = f16(s, bo + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, bo + 4 + j);
            y[yo + j] = (q & 0x0F) * d + m;
            y[yo + j + 16] = (q >>> 4) * d + m;
        }
    }

    // block_q5_0: f16 d, u32 qh (bit j = 5th bit of value j), u8 qs[16]; offset by -16
    private static void q5_0(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        int qh = s.get(LE_INT, bo + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, bo + 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[yo + j] = (((q & 0x0F) | h0) - 16) * d;
            y[yo + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }

    // block_q5_1: f16 d, f16 m, u32 qh, u8 qs[16]; value = q*d + m
    private static void q5_1(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        float m = f16(s, bo + 2);
        int qh = s.get(LE_INT, bo + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, bo + 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            y[yo + j] = ((q & 0x0F) | h0) * d + m;
            y[yo + j + 16] = ((q >>> 4) | h1) * d + m;
        }
    }

    // block_q2_K: u8 scales[16] (low nibble scale, high nibble min), u8 qs[64] (2 bits), f16 d, f16 dmin
    private static void q2_K(MemorySegment s, long bo, float[] y, int yo) {
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

    /** The 6-bit signed scale j (0..15) of a Q3_K block, unpacked from its 12 scale bytes at {@code sb}. */
    static int q3kScale(MemorySegment s, long sb, int j) {
        int low = j < 8 ? u8(s, sb + j) & 0xF : u8(s, sb + j - 8) >>> 4;
        int high = (u8(s, sb + 8 + j % 4) >>> (2 * (j / 4))) & 3;
        return (low | (high << 4)) - 32;
    }

    // block_q3_K: u8 hmask[32] (high bit, set = no -4), u8 qs[64] (low 2 bits), u8 scales[12] (16 x 6 bit), f16 d
    private static void q3_K(MemorySegment s, long bo, float[] y, int yo) {
        float dAll = f16(s, bo + 108);
        long hm = bo;
        long q = bo + 32;
        long sb = bo + 96;
        int is = 0;
        int m = 1;
        for (int n = 0; n < 256; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    float dl = dAll * q3kScale(s, sb, is++);
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

    /** ggml's get_scale_min_k4: the 6-bit scale (low 8 bits of the result) and min (bits 8..15) of sub-block j. */
    static int scaleMinK4(MemorySegment s, long sb, int j) {
        int sc, mn;
        if (j < 4) {
            sc = u8(s, sb + j) & 63;
            mn = u8(s, sb + j + 4) & 63;
        } else {
            sc = (u8(s, sb + j + 4) & 0xF) | ((u8(s, sb + j - 4) >>> 6) << 4);
            mn = (u8(s, sb + j + 4) >>> 4) | ((u8(s, sb + j) >>> 6) << 4);
        }
        return sc | (mn << 8);
    }

    // block_q4_K: f16 d, f16 dmin, u8 scales[12] (8 x (6-bit scale, 6-bit min)), u8 qs[128]
    private static void q4_K(MemorySegment s, long bo, float[] y, int yo) {
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

    // block_q5_K: f16 d, f16 dmin, u8 scales[12], u8 qh[32] (5th bits), u8 qs[128]
    private static void q5_K(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        float min = f16(s, bo + 2);
        long sb = bo + 4;
        long qh = bo + 16;
        long ql = bo + 48;
        int u1 = 1, u2 = 2;
        for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32) {
            int sm1 = scaleMinK4(s, sb, is);
            float d1 = d * (sm1 & 0xFF);
            float m1 = min * (sm1 >>> 8);
            int sm2 = scaleMinK4(s, sb, is + 1);
            float d2 = d * (sm2 & 0xFF);
            float m2 = min * (sm2 >>> 8);
            for (int l = 0; l < 32; l++) y[yo++] = d1 * ((u8(s, ql + l) & 0xF) + ((u8(s, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) y[yo++] = d2 * ((u8(s, ql + l) >>> 4) + ((u8(s, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    // block_q6_K: u8 ql[128] (low 4 bits), u8 qh[64] (high 2 bits), int8 scales[16], f16 d; values offset by -32
    private static void q6_K(MemorySegment s, long bo, float[] y, int yo) {
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

    /** Dequantizes one row of a matrix. */
    public static void row(Tensor t, int row, float[] dst, int dstOff) {
        if (t.packed()) {
            dequantize(t.type(), MemorySegment.ofArray(Repack.unpackRow(t, row)), 0, dst, dstOff, t.cols());
            return;
        }
        dequantize(t.type(), t.data(), row * t.rowBytes(), dst, dstOff, t.cols());
    }

    /** Dequantizes the whole tensor (tests and small tensors such as norms). */
    public static float[] all(Tensor t) {
        if (t.packed()) {
            float[] out = new float[Math.toIntExact(t.elementCount())];
            for (int r = 0; r < t.rows(); r++) row(t, r, out, r * t.cols());
            return out;
        }
        float[] out = new float[Math.toIntExact(t.elementCount())];
        dequantize(t.type(), t.data(), 0, out, 0, out.length);
        return out;
    }
}
