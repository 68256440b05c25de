package io.jollama.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;


/**
 * Load-time repacking of quantized matrices into the layout of the packed kernels, as llama.cpp's CPU backend
 * repacks Q4_0/Q4_K/Q8_0 into interleaved rows.
 * <p>
 * The rows are taken {@value #GROUP} at a time. Within a group the bytes of each block column are rearranged so that
 * one 32-byte load holds two neighbouring quants of every row of the group: widened to 32 shorts, lane
 * {@code 2r+p} holds quant p of row r, and one 32-bit broadcast of two neighbouring activation quants multiplies all
 * 16 rows at once (sixteen 16-bit products per row pair, summed in 16-bit lanes while they cannot overflow). The
 * block scales of the 16 rows sit side by side, so a sub-block's scales are one vector too. No horizontal sums:
 * lane r of the result is row r.
 * <p>
 * Each group keeps the byte size of its rows, so a matrix is repacked in place when its memory is writable (weights
 * read into memory) and slices of whole groups (phi3's fused q/k/v) stay valid. A matrix whose rows are not a
 * multiple of the group, or of a type without a packed kernel, is left as it is.
 */
public final class Repack {
    private Repack() {}

    /** Rows per group. */
    public static final int GROUP = 16;

    /**
     * Whether single-vector kernels take two groups at a time (two streams from memory, one activation broadcast for
     * both: about a third faster from memory on one core); {@code -Djollama.unpaired=true} turns it off, for comparison.
     */
    static final boolean PAIRED_GROUPS = !Boolean.getBoolean("jollama.unpaired");

    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final VectorSpecies<Byte> B256 = ByteVector.SPECIES_256;
    static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    static final VectorSpecies<Short> S512 = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;

    /** Whether a matrix of this type and shape has a packed kernel (and the vector kernels are in use). */
    public static boolean packable(GgmlType type, long cols, long rows) {
        if (MatMul.SCALAR || rows % GROUP != 0 || cols % type.blockSize != 0) return false;
        return switch (type) {
            case Q4_K, Q6_K, Q8_0, Q4_0, Q5_0 -> true;
            default -> false;
        };
    }

    public static boolean packable(Tensor t) {
        return !t.packed() && t.shape().length >= 1 && packable(t.type(), t.shape()[0], t.rows());
    }

    /**
     * The packed form of {@code t}: its own memory rearranged in place when writable, else a copy allocated from
     * {@code arena}. Returns {@code t} itself if it is not packable.
     */
    public static Tensor pack(Tensor t, Arena arena) {
        if (!packable(t)) return t;
        MemorySegment dst = t.data().isReadOnly() ? arena.allocate((long) t.rows() * t.rowBytes(), 64) : t.data();
        int rows = t.rows(), cols = t.cols();
        long groupBytes = GROUP * t.rowBytes();
        byte[] src = new byte[(int) groupBytes];
        byte[] out = new byte[(int) groupBytes];
        for (int g = 0; g < rows / GROUP; g++) {
            MemorySegment.copy(t.data(), java.lang.foreign.ValueLayout.JAVA_BYTE, g * groupBytes, src, 0, src.length);
            switch (t.type()) {
                case Q4_K -> Q4_KPacked.packGroup(src, out, cols);
                case Q6_K -> Q6_KPacked.packGroup(src, out, cols);
                case Q8_0 -> Q8_0Packed.packGroup(src, out, cols);
                case Q4_0 -> Q4_0Packed.packGroup(src, out, cols);
                case Q5_0 -> Q5_0Packed.packGroup(src, out, cols);
                default -> throw new AssertionError(t.type());
            }
            MemorySegment.copy(out, 0, dst, java.lang.foreign.ValueLayout.JAVA_BYTE, g * groupBytes, out.length);
        }
        return new Tensor(t.name(), t.type(), t.shape(), dst, true);
    }

    /** The original (ggml) bytes of the 16 rows of group {@code g} of a packed matrix, one row after another. */
    public static byte[] unpackGroup(Tensor t, int g) {
        int cols = t.cols();
        int rowBytes = (int) t.rowBytes();
        byte[] group = new byte[GROUP * rowBytes];
        MemorySegment.copy(t.data(), java.lang.foreign.ValueLayout.JAVA_BYTE, (long) g * group.length, group, 0, group.length);
        byte[] rows = new byte[group.length], row = new byte[rowBytes];
        for (int r = 0; r < GROUP; r++) {
            switch (t.type()) {
                case Q4_K -> Q4_KPacked.unpackRow(group, r, row, cols);
                case Q6_K -> Q6_KPacked.unpackRow(group, r, row, cols);
                case Q8_0 -> Q8_0Packed.unpackRow(group, r, row, cols);
                case Q4_0 -> Q4_0Packed.unpackRow(group, r, row, cols);
                case Q5_0 -> Q5_0Packed.unpackRow(group, r, row, cols);
                default -> throw new AssertionError(t.type());
            }
            System.arraycopy(row, 0, rows, r * rowBytes, rowBytes);
        }
        return rows;
    }

    /** The original (ggml) bytes of row {@code r} of a packed matrix. */
    public static byte[] unpackRow(Tensor t, int r) {
        int cols = t.cols();
        long groupBytes = GROUP * t.rowBytes();
        byte[] group = new byte[(int) groupBytes];
        MemorySegment.copy(t.data(), java.lang.foreign.ValueLayout.JAVA_BYTE, (r / GROUP) * groupBytes, group, 0, group.length);
        byte[] row = new byte[(int) t.rowBytes()];
        switch (t.type()) {
            case Q4_K -> Q4_KPacked.unpackRow(group, r % GROUP, row, cols);
            case Q6_K -> Q6_KPacked.unpackRow(group, r % GROUP, row, cols);
            case Q8_0 -> Q8_0Packed.unpackRow(group, r % GROUP, row, cols);
            case Q4_0 -> Q4_0Packed.unpackRow(group, r % GROUP, row, cols);
            case Q5_0 -> Q5_0Packed.unpackRow(group, r % GROUP, row, cols);
            default -> throw new AssertionError(t.type());
        }
        return row;
    }

    /** The packed kernel of a type: rows of groups [g0, g1) against activation vectors t0 .. t0+nt-1 (nt ≤ 4). */
    @FunctionalInterface
    interface Kernel {
        void groups(MemorySegment w, int cols, int g0, int g1, ActivationQuant.Activations a, int t0, int nt, float[] out, int outRows);
    }

    static Kernel kernel(GgmlType type) {
        return switch (type) {
            case Q4_K -> Q4_KPacked::vector;
            case Q6_K -> Q6_KPacked::vector;
            case Q8_0 -> Q8_0Packed::vector;
            case Q4_0 -> Q4_0Packed::vector;
            case Q5_0 -> Q5_0Packed::vector;
            default -> throw new AssertionError(type);
        };
    }

    static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }
}
