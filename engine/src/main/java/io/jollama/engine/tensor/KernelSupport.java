package io.jollama.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Constants shared by the per-type kernels. The kernels work on 16 values at a time: 16 weight bytes
 * widened to 16 shorts (256 bits), multiplied by 16 activation shorts, widened to 16 ints (512 bits).
 * <p>
 * Every kernel class has two static methods with one signature,
 * {@code vector(w, rowBytes, r0, r1, acts, t0, nt, out, outRows)} and {@code scalar(...)}: for each row r in
 * [r0, r1) and each of the {@code nt} (1..{@value #TILE}) activation vectors t0, t0+1, …, they store the dot product of
 * row r with vector t at {@code out[t·outRows + r]}. Each weight block is decoded once and used for all nt vectors.
 * <p>
 * The per-vector code in a kernel is written out four times ({@code acc0}…{@code acc3}, guarded by {@code nt > k})
 * rather than looped over, because vectors kept in arrays would not stay in registers; the four copies differ
 * only in their index and must be edited together.
 */
final class KernelSupport {
    private KernelSupport() {}

    /** Activation vectors handled per pass over a weight block in prompt processing. */
    static final int TILE = 4;

    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    static float f16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(SHORT, off));
    }

    static int u8(MemorySegment s, long off) {
        return s.get(BYTE, off) & 0xFF;
    }

    static int i8(MemorySegment s, long off) {
        return s.get(BYTE, off);
    }

    /** Lane i holds 1 &lt;&lt; i: tests bit i of a 16-bit mask in lane i. */
    static final short[] LANE_BITS = new short[16];

    static {
        for (int i = 0; i < 16; i++) LANE_BITS[i] = (short) (1 << i);
    }

    /** Q4_K / Q5_K: the 6-bit scale (bits 0-7) and min (bits 8-15) of sub-block j (0..7), packed in the 12 bytes at off. */
    static int scaleMinK4(MemorySegment s, long off, int j) {
        int sc, m;
        if (j < 4) {
            sc = u8(s, off + j) & 63;
            m = u8(s, off + j + 4) & 63;
        } else {
            sc = (u8(s, off + j + 4) & 0xF) | ((u8(s, off + j - 4) >> 6) << 4);
            m = (u8(s, off + j + 4) >> 4) | ((u8(s, off + j) >> 6) << 4);
        }
        return sc | (m << 8);
    }

    /** Q3_K: the signed 6-bit scale (−32..31) of sub-block i (0..15), packed in the 12 bytes at off. */
    static int scaleQ3K(MemorySegment s, long off, int i) {
        int low = i < 8 ? u8(s, off + i) & 0xF : u8(s, off + i - 8) >> 4;
        int high = (u8(s, off + 8 + (i & 3)) >> (2 * (i >> 2))) & 3;
        return (low | (high << 4)) - 32;
    }

    /**
     * Sums 16 lanes in a fixed tree order. {@code FloatVector.reduceLanes(ADD)} leaves the order open, and the
     * interpreter and C2 do differ, which would make one product give different bits before and after warm-up.
     */
    static float sumLanes(float[] l) {
        float a0 = l[0] + l[8], a1 = l[1] + l[9], a2 = l[2] + l[10], a3 = l[3] + l[11];
        float a4 = l[4] + l[12], a5 = l[5] + l[13], a6 = l[6] + l[14], a7 = l[7] + l[15];
        a0 += a4;
        a1 += a5;
        a2 += a6;
        a3 += a7;
        return (a0 + a2) + (a1 + a3);
    }

    static boolean vectorUsable() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }
}
