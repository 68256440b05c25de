package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

/**
 * Conversion of float rows to ggml block bytes, through each type's quantizer ({@link WeightFormat#quantize()}):
 * F32, F16, BF16 and the quantized types Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K and Q6_K.
 * <p>
 * The algorithms are those of llama.cpp's reference quantizers ({@code quantize_row_*_ref} in ggml-quants.c, which
 * is what {@code llama-quantize} runs when no importance matrix is given): the same search for scales and minimums,
 * the same float operations in the same order and the same rounding ({@code nearest_int}, {@code roundf}), so the
 * bytes come out as llama.cpp writes them. Java float arithmetic is strict IEEE binary32 like ggml's scalar C code.
 */
public final class Quantize {
    private Quantize() {}

    /** True if {@link #quantize} can produce this type. */
    public static boolean canQuantizeTo(GgmlType type) {
        WeightFormat f = WeightFormats.find(type);
        return f != null && f.quantize() != null;
    }

    /** Quantizes {@code src} (a whole number of blocks) into a new byte array. */
    public static byte[] quantize(GgmlType type, float[] src) {
        byte[] out = new byte[Math.toIntExact(type.byteSize(src.length))];
        quantize(type, src, 0, src.length, out, 0);
        return out;
    }

    /**
     * Quantizes {@code n} values {@code src[srcOff ..]} (a multiple of the type's block size) into
     * {@code type.byteSize(n)} bytes at {@code dst[dstOff ..]}.
     */
    public static void quantize(GgmlType type, float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        if (n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + ": " + n + " values is not a multiple of the block size " + type.blockSize);
        }
        if (!canQuantizeTo(type)) throw new UnsupportedOperationException("quantization to " + type + " is not implemented");
        WeightFormats.of(type).quantize().blocks(src, srcOff, n / type.blockSize, dst, dstOff);
    }

    /** float → bfloat16 bits, rounding to nearest even (NaN stays a quiet NaN), as ggml's GGML_FP32_TO_BF16. */
    public static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** float → IEEE half, rounding to nearest even, as ggml's GGML_FP32_TO_FP16. */
    public static short toF16(float f) {
        return Float.floatToFloat16(f);
    }
}
