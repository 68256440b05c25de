package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Hand-built blocks: quant bits and scales are random bytes, the float scales are chosen powers of two so every
 * expected value is exact. The expected values are computed here from ggml's block layouts written as
 * "which bits belong to value v" (a different formulation from Dequant's loops).
 */
class DequantBlockTest {
    private static final short HALF_0_5 = 0x3800, HALF_0_25 = 0x3400, HALF_2 = 0x4000, HALF_M1 = (short) 0xBC00;

    private static float[] dequant(GgmlType type, byte[] bytes) {
        int n = bytes.length / type.typeSize * type.blockSize;
        float[] out = new float[n + 3];
        Dequant.dequantize(type, MemorySegment.ofArray(bytes), 0, out, 3, n); // non-zero dstOff on purpose
        float[] r = new float[n];
        System.arraycopy(out, 3, r, 0, n);
        return r;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void half(byte[] b, int off, short h) {
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    private static int u(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    @Test
    void floatTypes() {
        byte[] f32 = {0, 0, (byte) 0xC0, 0x3F, 0, 0, 0x20, (byte) 0xC1}; // 1.5, -10
        assertArrayEquals(new float[] {1.5f, -10f}, dequant(GgmlType.F32, f32));
        byte[] f16 = {0x00, 0x3C, 0x00, (byte) 0xC0, 0x55, 0x35, 0x01, 0x00}; // 1, -2, 0x3555, smallest subnormal
        assertArrayEquals(new float[] {1f, -2f, 0.333251953125f, 5.9604645e-8f}, dequant(GgmlType.F16, f16));
        byte[] bf16 = {(byte) 0x80, 0x3F, 0x40, (byte) 0xC0, 0x49, 0x40}; // 1, -3, 3.140625
        assertArrayEquals(new float[] {1f, -3f, 3.140625f}, dequant(GgmlType.BF16, bf16));
    }

    @Test
    void q8_0() {
        byte[] b = random(2 * 34, 1);
        half(b, 0, HALF_0_5);
        half(b, 34, HALF_M1);
        float[] v = dequant(GgmlType.Q8_0, b);
        for (int i = 0; i < 64; i++) {
            int blk = i / 32;
            assertEquals((blk == 0 ? 0.5f : -1f) * b[34 * blk + 2 + i % 32], v[i], "value " + i);
        }
    }

    @Test
    void q4_0() {
        byte[] b = random(18, 2);
        half(b, 0, HALF_2);
        float[] v = dequant(GgmlType.Q4_0, b);
        for (int i = 0; i < 32; i++) {
            int q = i < 16 ? u(b, 2 + i) & 0xF : u(b, 2 + i - 16) >> 4; // low nibbles first, then high nibbles
            assertEquals(2f * (q - 8), v[i], "value " + i);
        }
        assertEquals(2f * ((b[2] & 0xF) - 8), v[0]);
    }

    @Test
    void q4_1() {
        byte[] b = random(20, 3);
        half(b, 0, HALF_0_5);
        half(b, 2, HALF_M1);
        float[] v = dequant(GgmlType.Q4_1, b);
        for (int i = 0; i < 32; i++) {
            int q = i < 16 ? u(b, 4 + i) & 0xF : u(b, 4 + i - 16) >> 4;
            assertEquals(0.5f * q - 1f, v[i], "value " + i);
        }
    }

    @Test
    void q5_0AndQ5_1() {
        byte[] b = random(22, 4);
        half(b, 0, HALF_0_25);
        float[] v = dequant(GgmlType.Q5_0, b);
        long qh = u(b, 2) | u(b, 3) << 8 | u(b, 4) << 16 | (long) u(b, 5) << 24;
        for (int i = 0; i < 32; i++) {
            int lo = i < 16 ? u(b, 6 + i) & 0xF : u(b, 6 + i - 16) >> 4;
            int q = lo | (int) ((qh >> i) & 1) << 4; // bit i of qh is the 5th bit of value i
            assertEquals(0.25f * (q - 16), v[i], "Q5_0 value " + i);
        }
        byte[] c = random(24, 5);
        half(c, 0, HALF_0_5);
        half(c, 2, HALF_2);
        float[] w = dequant(GgmlType.Q5_1, c);
        qh = u(c, 4) | u(c, 5) << 8 | u(c, 6) << 16 | (long) u(c, 7) << 24;
        for (int i = 0; i < 32; i++) {
            int lo = i < 16 ? u(c, 8 + i) & 0xF : u(c, 8 + i - 16) >> 4;
            int q = lo | (int) ((qh >> i) & 1) << 4;
            assertEquals(0.5f * q + 2f, w[i], "Q5_1 value " + i);
        }
    }

    /** Value v of a 256-block with 2-bit fields: byte 32*(v/128) + v%32, bits 2*((v%128)/32). */
    private static int twoBits(byte[] b, int qs, int v) {
        return (u(b, qs + 32 * (v / 128) + v % 32) >> (2 * ((v % 128) / 32))) & 3;
    }

    @Test
    void q2_K() {
        byte[] b = random(84, 6); // scales[16] qs[64] d dmin
        half(b, 80, HALF_0_5);
        half(b, 82, HALF_0_25);
        float[] v = dequant(GgmlType.Q2_K, b);
        for (int i = 0; i < 256; i++) {
            int sc = u(b, i / 16);
            float expected = 0.5f * (sc & 0xF) * twoBits(b, 16, i) - 0.25f * (sc >> 4);
            assertEquals(expected, v[i], "value " + i);
        }
    }

    /** Packs 16 six-bit Q3_K scales (0..63, stored offset by 32) the way the block stores them. */
    private static void packQ3Scales(byte[] b, int off, int[] sc) {
        for (int j = 0; j < 16; j++) {
            b[off + j % 8] |= (byte) ((sc[j] & 0xF) << (j < 8 ? 0 : 4));
            b[off + 8 + j % 4] |= (byte) ((sc[j] >> 4) << (2 * (j / 4)));
        }
    }

    @Test
    void q3_K() {
        byte[] b = random(110, 7); // hmask[32] qs[64] scales[12] d
        int[] sc = new int[16];
        Random r = new Random(8);
        for (int j = 0; j < 16; j++) sc[j] = r.nextInt(64);
        sc[0] = 0; // -32
        sc[15] = 63; // +31
        for (int i = 96; i < 108; i++) b[i] = 0;
        packQ3Scales(b, 96, sc);
        half(b, 108, HALF_0_25);
        float[] v = dequant(GgmlType.Q3_K, b);
        for (int i = 0; i < 256; i++) {
            boolean high = (u(b, i % 32) >> (i / 32) & 1) != 0; // hmask byte v%32, bit v/32; set means no -4
            int q = twoBits(b, 32, i) - (high ? 0 : 4);
            assertEquals(0.25f * (sc[i / 16] - 32) * q, v[i], "value " + i);
        }
    }

    /** Packs 8 six-bit scales and mins as get_scale_min_k4 reads them. */
    private static void packK4Scales(byte[] b, int off, int[] sc, int[] mn) {
        for (int j = 0; j < 12; j++) b[off + j] = 0;
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                b[off + j] = (byte) sc[j];
                b[off + j + 4] = (byte) mn[j];
            } else {
                b[off + j + 4] = (byte) ((sc[j] & 0xF) | (mn[j] & 0xF) << 4);
                b[off + j - 4] |= (byte) ((sc[j] >> 4) << 6);
                b[off + j] |= (byte) ((mn[j] >> 4) << 6);
            }
        }
    }

    private static int[][] scalesAndMins(long seed) {
        Random r = new Random(seed);
        int[] sc = new int[8], mn = new int[8];
        for (int j = 0; j < 8; j++) {
            sc[j] = r.nextInt(64);
            mn[j] = r.nextInt(64);
        }
        sc[5] = 63;
        mn[6] = 63;
        return new int[][] {sc, mn};
    }

    @Test
    void q4_K() {
        byte[] b = random(144, 9); // d dmin scales[12] qs[128]
        half(b, 0, HALF_0_5);
        half(b, 2, HALF_0_25);
        int[][] sm = scalesAndMins(10);
        packK4Scales(b, 4, sm[0], sm[1]);
        float[] v = dequant(GgmlType.Q4_K, b);
        for (int i = 0; i < 256; i++) {
            int byteAt = u(b, 16 + 32 * (i / 64) + i % 32);
            int q = (i % 64) < 32 ? byteAt & 0xF : byteAt >> 4;
            assertEquals(0.5f * sm[0][i / 32] * q - 0.25f * sm[1][i / 32], v[i], "value " + i);
        }
    }

    @Test
    void q5_K() {
        byte[] b = random(176, 11); // d dmin scales[12] qh[32] qs[128]
        half(b, 0, HALF_0_25);
        half(b, 2, HALF_2);
        int[][] sm = scalesAndMins(12);
        packK4Scales(b, 4, sm[0], sm[1]);
        float[] v = dequant(GgmlType.Q5_K, b);
        for (int i = 0; i < 256; i++) {
            int byteAt = u(b, 48 + 32 * (i / 64) + i % 32);
            int q = ((i % 64) < 32 ? byteAt & 0xF : byteAt >> 4) | ((u(b, 16 + i % 32) >> (i / 32)) & 1) << 4;
            assertEquals(0.25f * sm[0][i / 32] * q - 2f * sm[1][i / 32], v[i], "value " + i);
        }
    }

    @Test
    void q6_K() {
        byte[] b = random(210, 13); // ql[128] qh[64] int8 scales[16] d
        half(b, 208, HALF_0_25);
        b[192] = -128;
        b[193] = 127;
        float[] v = dequant(GgmlType.Q6_K, b);
        for (int i = 0; i < 256; i++) {
            int n = i / 128, k = (i % 128) / 32, l = i % 32;
            int qlByte = u(b, 64 * n + l + (k % 2) * 32);
            int low = k < 2 ? qlByte & 0xF : qlByte >> 4;
            int high = (u(b, 128 + 32 * n + l) >> (2 * k)) & 3;
            int q = (low | high << 4) - 32;
            assertEquals(0.25f * b[192 + i / 16] * q, v[i], "value " + i);
        }
    }

    @Test
    void partialBlocksAndUnsupportedTypesAreRefused() {
        byte[] b = new byte[34];
        assertThrows(IllegalArgumentException.class, () -> Dequant.dequantize(GgmlType.Q8_0, MemorySegment.ofArray(b), 0, new float[16], 0, 16));
        assertThrows(UnsupportedOperationException.class, () -> Dequant.dequantize(GgmlType.IQ4_NL, MemorySegment.ofArray(b), 0, new float[32], 0, 32));
    }
}
