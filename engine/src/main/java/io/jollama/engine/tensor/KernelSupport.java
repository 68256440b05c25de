package io.jollama.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * Constants shared by the per-type kernels. The kernels work on 16 values at a time: 16 weight bytes
 * widened to 16 shorts (256 bits), multiplied by 16 activation shorts, widened to 16 ints (512 bits).
 * <p>
 * Every type's format class ({@code *Format}) has two kernels with one signature ({@link WeightFormat.Kernel}),
 * {@code vector(w, rowBytes, r0, r1, acts, t0, nt, out, outRows)} and {@code scalar(...)}: for each row r in
 * [r0, r1) and each of the {@code nt} (1..{@value #TILE}) activation vectors t0, t0+1, …, they store the dot product of
 * row r with vector t at {@code out[t·outRows + r]}. Each weight block is decoded once and used for all nt vectors.
 * <p>
 * The vector kernels keep one accumulator per activation vector in a local ({@code acc0}…{@code acc3}): vectors
 * kept in arrays or fields would not stay in registers. In F32, F16 and BF16 the work for one vector is one
 * statement per accumulator; in Q4_0 and Q4_1 it is written once, in a small static helper that takes and returns
 * the accumulator ({@link #block32}), called once per vector under {@code nt > k}; C2 inlines it, and these kernels
 * run as fast as with the body written out four times (docs/PERFORMANCE.md).
 * <p>
 * The kernels of Q8_0, Q5_0, Q5_1 and the K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) keep the per-vector code written
 * out four times; the copies differ only in their index and must be edited together. With a helper, Q8_0's single
 * vector ran 2–8 % slower (in each of four runs); batches ran 3 times slower in Q5_0 and Q5_1 and 4–5 times
 * slower in Q4_K and Q6_K (Q2_K, Q3_K and Q5_K showed the same failed inlining in {@code -XX:+PrintInlining}). Those
 * methods are large enough that C2 passes its parse-node cutoff ({@code NodeCountInliningCutoff}, a develop flag
 * fixed at 18000 in product builds) before it reaches the later call sites, where it stops inlining ordinary methods
 * (the Vector API's own methods are exempt: they are inlined late), and a vector passed to a call that is not
 * inlined is boxed on the heap. The lane sums at the end of a row stay written out for the same reason.
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

    /**
     * acc + (lo·x[at ..] + hi·x[at+16 ..])·scale: the 32 weights of one Q4_0 or Q4_1 block (as 16 low and 16
     * high values) against the activation quants at {@code at}; the 16-bit products of a pair fit in 16 bits.
     */
    static FloatVector block32(ShortVector lo, ShortVector hi, short[] q, int at, float scale, FloatVector acc) {
        ShortVector p = lo.mul(ShortVector.fromArray(S256, q, at)).add(hi.mul(ShortVector.fromArray(S256, q, at + 16)));
        return ((FloatVector) p.convertShape(S2I, I512, 0).convert(I2F, 0)).fma(FloatVector.broadcast(F512, scale), acc);
    }

    static boolean vectorUsable() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }
}
