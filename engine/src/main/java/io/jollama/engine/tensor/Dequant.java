package io.jollama.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar, exact dequantization of ggml blocks to float, for every supported type.
 * It is the reference the fast kernels are tested against, and what embedding lookups use.
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

    /**
     * Dequantizes {@code n} values (a multiple of the type's block size) whose blocks start at byte {@code offset}
     * of {@code src}, into {@code dst[dstOff .. dstOff+n)}.
     */
    public static void dequantize(GgmlType type, MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        if (n % type.blockSize != 0) throw new IllegalArgumentException(type + ": " + n + " is not a multiple of " + type.blockSize);
        switch (type) {
            case F32 -> MemorySegment.copy(src, LE_FLOAT, offset, dst, dstOff, n);
            case F16 -> { for (int i = 0; i < n; i++) dst[dstOff + i] = f16(src, offset + 2L * i); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[dstOff + i] = bf16(src, offset + 2L * i); }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    long bo = offset + 34L * b;
                    float d = f16(src, bo);
                    for (int j = 0; j < 32; j++) dst[dstOff + 32 * b + j] = d * src.get(ValueLayout.JAVA_BYTE, bo + 2 + j);
                }
            }
            default -> throw new UnsupportedOperationException("dequantization of " + type + " is not implemented");
        }
    }

    /** Dequantizes one row of a matrix. */
    public static void row(Tensor t, int row, float[] dst, int dstOff) {
        dequantize(t.type(), t.data(), row * t.rowBytes(), dst, dstOff, t.cols());
    }

    /** Dequantizes the whole tensor (tests and small tensors such as norms). */
    public static float[] all(Tensor t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        dequantize(t.type(), t.data(), 0, out, 0, out.length);
        return out;
    }
}
