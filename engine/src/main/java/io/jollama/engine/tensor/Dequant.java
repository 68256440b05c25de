package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar, exact dequantization of ggml blocks to float, for every supported type, through each type's
 * dequantizer ({@link WeightFormat#dequant()}).
 * It is the reference the fast kernels are tested against, and what embedding lookups use.
 * <p>
 * Block layouts are ggml's ({@code ggml-common.h}); each value is computed with the same float operations in the
 * same order as ggml's {@code dequantize_row_*}, so the results are bit-identical to ggml's.
 */
public final class Dequant {
    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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

    /**
     * Dequantizes {@code n} values (a multiple of the type's block size) whose blocks start at byte {@code offset}
     * of {@code src}, into {@code dst[dstOff .. dstOff+n)}.
     */
    public static void dequantize(GgmlType type, MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        if (n % type.blockSize != 0) throw new IllegalArgumentException(type + ": " + n + " is not a multiple of " + type.blockSize);
        WeightFormat f = WeightFormats.find(type);
        if (f == null) throw new UnsupportedOperationException("dequantization of " + type + " is not implemented");
        f.dequant().blocks(src, offset, dst, dstOff, n / type.blockSize);
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
