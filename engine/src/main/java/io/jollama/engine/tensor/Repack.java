package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;


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

    /** One vector against groups [g0, g1) (vector1), or groups g and g+1 (vector1x2), of a packed matrix. */
    @FunctionalInterface
    interface OneVector {
        void run(MemorySegment w, int cols, int g0, int g1, ActivationQuant.Activations a, int t, float[] out, int outRows);
    }

    @FunctionalInterface
    interface TwoGroups {
        void run(MemorySegment w, int cols, int g, ActivationQuant.Activations a, int t, float[] out, int outRows);
    }

    @FunctionalInterface
    interface GroupPacker {
        void run(byte[] src, byte[] dst, int cols);
    }

    @FunctionalInterface
    interface RowUnpacker {
        void run(byte[] group, int r, byte[] row, int cols);
    }

    @FunctionalInterface
    interface PanelFiller {
        void run(MemorySegment w, int cols, int g, float[] panel, int base);
    }

    /**
     * What a packed type provides, in its {@code *Packed} class: the group layout ({@code packGroup}, {@code unpackRow}),
     * the kernels for one activation vector, for two groups at once (null: none) and for four vectors
     * ({@code vector4}, bit-equal to four {@code vector1}), and the float panel of a group for {@link FloatGemm}.
     * Each {@code *Packed} class defines its {@code LAYOUT}, which its type's {@link WeightFormat} registers.
     */
    record Layout(GroupPacker pack, RowUnpacker unpack, OneVector vector1, TwoGroups vector1x2, OneVector vector4, PanelFiller panel) {

        /** Rows of groups [g0, g1) against activation vectors t0 .. t0+nt-1 (four at a time through vector4). */
        void groups(MemorySegment w, int cols, int g0, int g1, ActivationQuant.Activations a, int t0, int nt, float[] out, int outRows) {
            if (nt == 4) {
                vector4.run(w, cols, g0, g1, a, t0, out, outRows);
                return;
            }
            for (int t = t0; t < t0 + nt; t++) {
                int g = g0;
                if (PAIRED_GROUPS && vector1x2 != null) for (; g + 1 < g1; g += 2) vector1x2.run(w, cols, g, a, t, out, outRows);
                if (g < g1) vector1.run(w, cols, g, g1, a, t, out, outRows);
            }
        }
    }

    /** The packed layout of a type. */
    static Layout layout(GgmlType type) {
        WeightFormat f = WeightFormats.find(type);
        Layout l = f == null ? null : f.packed();
        if (l == null) throw new AssertionError("no packed layout for " + type);
        return l;
    }

    /** Whether a matrix of this type and shape has a packed kernel (and the vector kernels are in use). */
    public static boolean packable(GgmlType type, long cols, long rows) {
        return !MatMul.SCALAR && rows % GROUP == 0 && cols % type.blockSize == 0 && hasLayout(type);
    }

    private static boolean hasLayout(GgmlType type) {
        WeightFormat f = WeightFormats.find(type);
        return f != null && f.packed() != null;
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
        GroupPacker packer = layout(t.type()).pack();
        int rows = t.rows(), cols = t.cols();
        long groupBytes = GROUP * t.rowBytes();
        byte[] src = new byte[(int) groupBytes];
        byte[] out = new byte[(int) groupBytes];
        for (int g = 0; g < rows / GROUP; g++) {
            MemorySegment.copy(t.data(), ValueLayout.JAVA_BYTE, g * groupBytes, src, 0, src.length);
            packer.run(src, out, cols);
            MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, g * groupBytes, out.length);
        }
        return new Tensor(t.name(), t.type(), t.shape(), dst, true);
    }

    /** The original (ggml) bytes of row {@code r} of a packed matrix. */
    public static byte[] unpackRow(Tensor t, int r) {
        long groupBytes = GROUP * t.rowBytes();
        byte[] group = new byte[(int) groupBytes];
        MemorySegment.copy(t.data(), ValueLayout.JAVA_BYTE, (r / GROUP) * groupBytes, group, 0, group.length);
        byte[] row = new byte[(int) t.rowBytes()];
        layout(t.type()).unpack().run(group, r % GROUP, row, t.cols());
        return row;
    }

    static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }
}
