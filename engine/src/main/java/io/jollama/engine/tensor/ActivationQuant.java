package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

/**
 * Converts activation vectors to the "vec_dot type" of a weight type, the way ggml-cpu does before every
 * matrix multiplication, so that our products round like llama.cpp's:
 * <ul>
 *   <li>Q4_0, Q5_0, Q8_0 weights: Q8_0 blocks of 32 ({@code d = amax/127} kept as f16, {@code q = rint(x·(127/amax))});</li>
 *   <li>Q4_1, Q5_1: Q8_1 (as Q8_0, plus {@code s = f16(d·Σq)} with the unrounded d);</li>
 *   <li>K-quants: Q8_K blocks of 256 ({@code iscale = -127/m} with m the signed value of largest magnitude,
 *       {@code q = min(127, rint(iscale·x))}, {@code d = 1/iscale} as float, plus sums of each 16 q);</li>
 *   <li>F16 / BF16: each value rounded to f16 / bf16 (round to nearest even); F32: unchanged.</li>
 * </ul>
 * The int8 values are stored widened to {@code short} so that kernels load them straight into 16-bit lanes.
 */
public final class ActivationQuant {
    private ActivationQuant() {}

    /** The vec_dot type family of a weight type. */
    public enum DotType { F32, F16, BF16, Q8_0, Q8_1, Q8_K }

    public static DotType dotType(GgmlType weightType) {
        return WeightFormats.of(weightType).dotType();
    }

    /**
     * {@code n} activation vectors of {@code cols} values in vec_dot form. Vector t's values start at {@code t·cols}
     * in {@code q} (quantized types) or {@code f} (float types); its block scales at {@code t·cols/blockSize} in
     * {@code d}; Q8_1's {@code s} likewise; Q8_K's sums of 16 at {@code t·cols/16} in {@code bsums}
     * and of 32 at {@code t·cols/32} in {@code bsums32} (Q8_0 too). {@code qPairs[i]} holds q[2i] in its low and
     * q[2i+1] in its high 16 bits: the packed kernels broadcast two neighbouring quants with one 32-bit load.
     */
    public record Activations(DotType type, int cols, int n, short[] q, float[] d, float[] s, int[] bsums, int[] bsums32, float[] f,
                              int[] qPairs) {
        Activations(DotType type, int cols, int n, float[] f) {
            this(type, cols, n, null, null, null, null, null, f, null);
        }
    }

    private static int[] pairs(short[] q) {
        int[] p = new int[q.length / 2];
        for (int i = 0; i < p.length; i++) p[i] = (q[2 * i] & 0xFFFF) | (q[2 * i + 1] << 16);
        return p;
    }

    /** Converts {@code n} vectors of {@code cols} values (vector t at {@code xs[t·cols]}) for weights of {@code weightType}. */
    public static Activations quantize(GgmlType weightType, float[] xs, int cols, int n) {
        DotType dt = dotType(weightType);
        if ((long) cols * n > xs.length) {
            throw new IllegalArgumentException("activations: " + n + " vectors of " + cols + " need " + (long) cols * n + " values, got " + xs.length);
        }
        int total = cols * n;
        switch (dt) {
            case F32 -> {
                return new Activations(dt, cols, n, xs);
            }
            case F16 -> {
                float[] f = new float[total];
                for (int i = 0; i < total; i++) f[i] = Float.float16ToFloat(Float.floatToFloat16(xs[i]));
                return new Activations(dt, cols, n, f);
            }
            case BF16 -> {
                float[] f = new float[total];
                for (int i = 0; i < total; i++) f[i] = roundToBf16(xs[i]);
                return new Activations(dt, cols, n, f);
            }
            case Q8_0, Q8_1 -> {
                requireMultiple(cols, 32, weightType);
                short[] q = new short[total];
                float[] d = new float[total / 32];
                float[] s = dt == DotType.Q8_1 ? new float[total / 32] : null;
                for (int b = 0; b < total / 32; b++) quantizeQ8Block(xs, b * 32, q, d, s, b);
                int[] bsums32 = new int[total / 32];
                for (int b = 0; b < bsums32.length; b++) {
                    int sum = 0;
                    for (int j = 0; j < 32; j++) sum += q[32 * b + j];
                    bsums32[b] = sum;
                }
                return new Activations(dt, cols, n, q, d, s, null, bsums32, null, pairs(q));
            }
            case Q8_K -> {
                requireMultiple(cols, 256, weightType);
                short[] q = new short[total];
                float[] d = new float[total / 256];
                int[] bsums = new int[total / 16];
                for (int b = 0; b < total / 256; b++) quantizeQ8KBlock(xs, b * 256, q, d, bsums, b);
                int[] bsums32 = new int[total / 32];
                for (int i = 0; i < bsums32.length; i++) bsums32[i] = bsums[2 * i] + bsums[2 * i + 1];
                return new Activations(dt, cols, n, q, d, null, bsums, bsums32, null, pairs(q));
            }
        }
        throw new AssertionError(dt);
    }

    private static void requireMultiple(int cols, int block, GgmlType t) {
        if (cols % block != 0) throw new IllegalArgumentException(t + ": row length " + cols + " is not a multiple of " + block);
    }

    /** bf16 rounding of ggml (round to nearest even; NaN stays NaN). */
    static float roundToBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7fffffff) > 0x7f800000) return Float.intBitsToFloat((bits | 0x00400000) & 0xffff0000);
        bits += 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(bits & 0xffff0000);
    }

    private static void quantizeQ8Block(float[] x, int off, short[] q, float[] d, float[] s, int b) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + j]));
        float dd = amax / 127f;
        float id = amax != 0 ? 127f / amax : 0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            int v = (int) Math.rint(x[off + j] * id);
            q[off + j] = (short) v;
            sum += v;
        }
        d[b] = Float.float16ToFloat(Float.floatToFloat16(dd));
        if (s != null) s[b] = Float.float16ToFloat(Float.floatToFloat16(dd * sum));
    }

    private static void quantizeQ8KBlock(float[] x, int off, short[] q, float[] d, int[] bsums, int b) {
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) {
            float ax = Math.abs(x[off + j]);
            if (ax > amax) {
                amax = ax;
                max = x[off + j];
            }
        }
        if (amax == 0) {
            d[b] = 0;   // q and bsums stay 0
            return;
        }
        float iscale = -127f / max;
        for (int j = 0; j < 256; j++) q[off + j] = (short) Math.min(127, (int) Math.rint(iscale * x[off + j]));
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += q[off + g * 16 + j];
            bsums[off / 16 + g] = sum;
        }
        d[b] = 1 / iscale;
    }
}
