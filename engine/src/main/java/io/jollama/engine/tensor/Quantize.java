package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

/**
 * Conversion of float rows to ggml block bytes: F16, BF16 and the quantized types Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
 * Q2_K, Q3_K, Q4_K, Q5_K and Q6_K.
 * <p>
 * The algorithms are those of llama.cpp's reference quantizers ({@code quantize_row_*_ref} in ggml-quants.c, which
 * is what {@code llama-quantize} runs when no importance matrix is given): the same search for scales and minimums,
 * the same float operations in the same order and the same rounding ({@code nearest_int}, {@code roundf}), so the
 * bytes come out as llama.cpp writes them. Java float arithmetic is strict IEEE binary32 like ggml's scalar C code.
 */
public final class Quantize {
    private static final float GROUP_MAX_EPS = 1e-15f;
    private static final int QK_K = 256;

    private Quantize() {}

    /** True if {@link #quantize} can produce this type. */
    public static boolean canQuantizeTo(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
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
        int nb = n / type.blockSize;
        int ts = type.typeSize;
        switch (type) {
            case F32 -> { for (int i = 0; i < n; i++) putInt(dst, dstOff + 4 * i, Float.floatToRawIntBits(src[srcOff + i])); }
            case F16 -> { for (int i = 0; i < n; i++) putShort(dst, dstOff + 2 * i, Float.floatToFloat16(src[srcOff + i])); }
            case BF16 -> { for (int i = 0; i < n; i++) putShort(dst, dstOff + 2 * i, toBf16(src[srcOff + i])); }
            case Q8_0 -> { for (int b = 0; b < nb; b++) q8_0(src, srcOff + 32 * b, dst, dstOff + ts * b); }
            case Q4_0 -> { for (int b = 0; b < nb; b++) q4_0(src, srcOff + 32 * b, dst, dstOff + ts * b); }
            case Q4_1 -> { for (int b = 0; b < nb; b++) q4_1(src, srcOff + 32 * b, dst, dstOff + ts * b); }
            case Q5_0 -> { for (int b = 0; b < nb; b++) q5_0(src, srcOff + 32 * b, dst, dstOff + ts * b); }
            case Q5_1 -> { for (int b = 0; b < nb; b++) q5_1(src, srcOff + 32 * b, dst, dstOff + ts * b); }
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> {
                Scratch s = new Scratch();
                for (int b = 0; b < nb; b++) {
                    int x = srcOff + QK_K * b, y = dstOff + ts * b;
                    switch (type) {
                        case Q2_K -> q2_K(src, x, dst, y, s);
                        case Q3_K -> q3_K(src, x, dst, y, s);
                        case Q4_K -> q4_K(src, x, dst, y, s);
                        case Q5_K -> q5_K(src, x, dst, y, s);
                        default -> q6_K(src, x, dst, y, s);
                    }
                }
            }
            default -> throw new UnsupportedOperationException("quantization to " + type + " is not implemented");
        }
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

    /** f32 → f16 → f32: the value ggml reads back from a half it stored. */
    private static float viaF16(float f) {
        return Float.float16ToFloat(Float.floatToFloat16(f));
    }

    // ---- helpers with ggml's exact rounding ----

    /** ggml's nearest_int: round half to even through the float mantissa trick (valid for |f| <= 4194303). */
    static int nearestInt(float f) {
        float v = f + 12582912.f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }

    /** C's roundf: round half away from zero. */
    static float roundf(float f) {
        double a = Math.floor(Math.abs((double) f) + 0.5);
        return (float) Math.copySign(a, f);
    }

    private static void putShort(byte[] b, int off, short v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    /** Per-call work arrays of the K-quant searches (allocated once per {@link #quantize} call, not per block). */
    static final class Scratch {
        final int[] L = new int[QK_K];
        final int[] laux = new int[32];
        final float[] weights = new float[32];
        final float[] scales = new float[QK_K / 16];
        final float[] mins = new float[QK_K / 16];
        final float[] theMin = new float[1];
    }

    // ---- 32-value blocks ----

    private static void q8_0(float[] x, int xo, byte[] y, int yo) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        for (int j = 0; j < 32; j++) y[yo + 2 + j] = (byte) (int) roundf(x[xo + j] * id);
    }

    private static void q4_0(float[] x, int xo, byte[] y, int yo) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) (int) (x[xo + j] * id + 8.5f));
            int q1 = Math.min(15, (byte) (int) (x[xo + 16 + j] * id + 8.5f));
            y[yo + 2 + j] = (byte) (q0 | (q1 << 4));
        }
    }

    private static void q4_1(float[] x, int xo, byte[] y, int yo) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        putShort(y, yo + 2, toF16(min));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (byte) (int) ((x[xo + j] - min) * id + 0.5f));
            int q1 = Math.min(15, (byte) (int) ((x[xo + 16 + j] - min) * id + 0.5f));
            y[yo + 4 + j] = (byte) (q0 | (q1 << 4));
        }
    }

    private static void q5_0(float[] x, int xo, byte[] y, int yo) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (byte) (int) (x[xo + j] * id + 16.5f)) & 0xFF;
            int q1 = Math.min(31, (byte) (int) (x[xo + 16 + j] * id + 16.5f)) & 0xFF;
            y[yo + 6 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        putInt(y, yo + 2, qh);
    }

    private static void q5_1(float[] x, int xo, byte[] y, int yo) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[xo + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        putShort(y, yo + 2, toF16(min));
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = (int) ((x[xo + j] - min) * id + 0.5f) & 0xFF;
            int q1 = (int) ((x[xo + 16 + j] - min) * id + 0.5f) & 0xFF;
            y[yo + 8 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        putInt(y, yo + 4, qh);
    }

    // ---- scale searches of the K-quants (make_qx_quants, make_q3_quants, make_qkx2_quants) ----

    /**
     * make_qx_quants with rmse_type 1 and no importance weights: symmetric levels -nmax..nmax-1 stored as 0..2nmax-1
     * in {@code L[lo ..]}, weights x², and a search over 18 nearby scales. Returns the scale.
     * <p>
     * The candidate scales do not depend on each other (only the best-so-far does), so they are evaluated two at a
     * time in one pass for instruction-level parallelism; each candidate's sums keep ggml's order, and the
     * candidates are still compared in ggml's order, so the result is bit-identical.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lo + i] = l + nmax;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        // candidates is = -9..-1, 1..9, taken in pairs (k, k+1) of that sequence
        for (int k = 0; k < 18; k += 2) {
            int isA = k < 9 ? k - 9 : k - 8, isB = k + 1 < 9 ? k - 8 : k - 7;
            float iscA = -(nmax + 0.1f * isA) / max, iscB = -(nmax + 0.1f * isB) / max;
            float lxA = 0, l2A = 0, lxB = 0, l2B = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                float w = xi * xi, wx = w * xi;
                int a = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscA * xi)));
                int b = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscB * xi)));
                lxA += wx * a;
                l2A += w * a * a;
                lxB += wx * b;
                l2B += w * b * b;
            }
            if (l2A > 0 && lxA * lxA > best * l2A) {
                for (int i = 0; i < n; i++) L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscA * x[xo + i])));
                scale = lxA / l2A;
                best = scale * lxA;
            }
            if (l2B > 0 && lxB * lxB > best * l2B) {
                for (int i = 0; i < n; i++) L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscB * x[xo + i])));
                scale = lxB / l2B;
                best = scale * lxB;
            }
        }
        return scale;
    }

    /** make_q3_quants with do_rmse: levels -nmax..nmax-1 refined one value at a time (weights x²), stored + nmax. */
    private static float makeQ3Quants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lo + i] = l;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                float w = xi * xi;
                int li = L[lo + i];
                float slx = sumlx - w * xi * li;
                if (slx > 0) {
                    float sl2 = suml2 - w * li * li;
                    int newL = Math.max(-nmax, Math.min(nmax - 1, nearestInt(xi * sl2 / slx)));
                    if (newL != li) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[lo + i] += nmax;
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * make_qkx2_quants: asymmetric levels 0..nmax with a minimum, fitted by weighted least squares over
     * {@code nstep+1} candidate scales. Returns the scale; {@code s.theMin[0]} receives the (positive) minimum.
     * (Evaluating two candidates per pass, as in makeQxQuants, did not help here: this loop is bound by arithmetic
     * throughput, not by the latency of its sums.)
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] L, int lo, Scratch s,
                                float rmin, float rdelta, int nstep, boolean useMad) {
        int[] laux = s.laux;
        float min = x[xo], max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            s.theMin[0] = -min;
            return 0;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            L[lo + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * L[lo + i] + min - x[xo + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xo + i] - min))));
                laux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        s.theMin[0] = -min;
        return scale;
    }

    /** Packs 256 2-bit values: byte j/4+l of each 128-value half holds values l, l+32, l+64, l+96 (low bits first). */
    private static void pack2Bit(int[] L, byte[] y, int qo) {
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                y[qo + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }

    // ---- super-blocks of 256 ----

    private static void q2_K(float[] x, int xo, byte[] y, int yo, Scratch s) {
        final float q4scale = 15.f;
        int[] L = s.L;
        float[] weights = s.weights, scales = s.scales, mins = s.mins;
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weights[l] = Math.abs(x[xo + 16 * j + l]);
            scales[j] = makeQkx2Quants(16, 3, x, xo + 16 * j, weights, L, 16 * j, s, -0.5f, 0.1f, 15, true);
            mins[j] = s.theMin[0];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        // scales[16] at 0, qs[64] at 16, d at 80, dmin at 82
        if (maxScale > 0) {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; j++) y[yo + j] = (byte) nearestInt(iscale * scales[j]);
            putShort(y, yo + 80, toF16(maxScale / q4scale));
        } else {
            for (int j = 0; j < 16; j++) y[yo + j] = 0;
            putShort(y, yo + 80, toF16(0.f));
        }
        if (maxMin > 0) {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; j++) y[yo + j] = (byte) (y[yo + j] | (nearestInt(iscale * mins[j]) << 4));
            putShort(y, yo + 82, toF16(maxMin / q4scale));
        } else {
            putShort(y, yo + 82, toF16(0.f));
        }
        float dAll = viaF16(maxScale > 0 ? maxScale / q4scale : 0.f);
        float mAll = viaF16(maxMin > 0 ? maxMin / q4scale : 0.f);
        for (int j = 0; j < 16; j++) {
            int sc = y[yo + j] & 0xFF;
            float d = dAll * (sc & 0xF);
            if (d == 0) continue;
            float dm = mAll * (sc >>> 4);
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt((x[xo + 16 * j + ii] + dm) / d);
                L[16 * j + ii] = Math.max(0, Math.min(3, l));
            }
        }
        pack2Bit(L, y, yo + 16);
    }

    private static void q3_K(float[] x, int xo, byte[] y, int yo, Scratch s) {
        int[] L = s.L;
        float[] scales = s.scales;
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = makeQ3Quants(16, 4, x, xo + 16 * j, L, 16 * j);
            float scale = Math.abs(scales[j]);
            if (scale > amax) {
                amax = scale;
                maxScale = scales[j];
            }
        }
        // hmask[32] at 0, qs[64] at 32, scales[12] at 96, d at 108
        int sb = yo + 96;
        for (int j = 0; j < 12; j++) y[sb + j] = 0;
        if (maxScale != 0) {
            float iscale = -32.f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = (byte) nearestInt(iscale * scales[j]);
                l = Math.max(-32, Math.min(31, l)) + 32;
                if (j < 8) y[sb + j] = (byte) (l & 0xF);
                else y[sb + j - 8] = (byte) (y[sb + j - 8] | ((l & 0xF) << 4));
                l >>= 4;
                y[sb + j % 4 + 8] = (byte) (y[sb + j % 4 + 8] | (l << (2 * (j / 4))));
            }
            putShort(y, yo + 108, toF16(1 / iscale));
        } else {
            putShort(y, yo + 108, toF16(0.f));
        }
        float dAll = Float.float16ToFloat((short) ((y[yo + 108] & 0xFF) | (y[yo + 109] << 8)));
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? y[sb + j] & 0xF : (y[sb + j - 8] & 0xFF) >>> 4;
            int high = ((y[sb + 8 + j % 4] & 0xFF) >>> (2 * (j / 4))) & 3;
            int sc = (byte) ((low | (high << 4)) - 32);
            float d = dAll * sc;
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt(x[xo + 16 * j + ii] / d);
                L[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
            }
        }
        for (int j = 0; j < 32; j++) y[yo + j] = 0;
        int m = 0, hm = 1;
        for (int j = 0; j < QK_K; j++) {
            if (L[j] > 3) {
                y[yo + m] = (byte) (y[yo + m] | hm);
                L[j] -= 4;
            }
            if (++m == QK_K / 8) {
                m = 0;
                hm <<= 1;
            }
        }
        pack2Bit(L, y, yo + 32);
    }

    /**
     * The common part of Q4_K and Q5_K: 8 sub-blocks of 32 with a 6-bit scale and min each, packed into 12 bytes at
     * {@code yo+4} as get_scale_min_k4 reads them, d at {@code yo}, dmin at {@code yo+2}; levels 0..nmax into L.
     */
    private static void scaleMinBlock(float[] x, int xo, byte[] y, int yo, Scratch s, int nmax, float rmin, float rdelta, int nstep) {
        int[] L = s.L;
        float[] weights = s.weights, scales = s.scales, mins = s.mins;
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[xo + 32 * j + l] * x[xo + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[xo + 32 * j + l]);
            scales[j] = makeQkx2Quants(32, nmax, x, xo + 32 * j, weights, L, 32 * j, s, rmin, rdelta, nstep, false);
            mins[j] = s.theMin[0];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        int sb = yo + 4;
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                y[sb + j] = (byte) ls;
                y[sb + j + 4] = (byte) lm;
            } else {
                y[sb + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                y[sb + j - 4] = (byte) (y[sb + j - 4] | ((ls >>> 4) << 6));
                y[sb + j] = (byte) (y[sb + j] | ((lm >>> 4) << 6));
            }
        }
        short dBits = toF16(maxScale / 63.f), mBits = toF16(maxMin / 63.f);
        putShort(y, yo, dBits);
        putShort(y, yo + 2, mBits);
        float dAll = Float.float16ToFloat(dBits), mAll = Float.float16ToFloat(mBits);
        for (int j = 0; j < 8; j++) {
            int sc, mn;
            if (j < 4) {
                sc = y[sb + j] & 63;
                mn = y[sb + j + 4] & 63;
            } else {
                sc = (y[sb + j + 4] & 0xF) | (((y[sb + j - 4] & 0xFF) >>> 6) << 4);
                mn = ((y[sb + j + 4] & 0xFF) >>> 4) | (((y[sb + j] & 0xFF) >>> 6) << 4);
            }
            float d = dAll * sc;
            if (d == 0) continue;
            float dm = mAll * mn;
            for (int ii = 0; ii < 32; ii++) {
                int l = nearestInt((x[xo + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = Math.max(0, Math.min(nmax, l));
            }
        }
    }

    private static void q4_K(float[] x, int xo, byte[] y, int yo, Scratch s) {
        scaleMinBlock(x, xo, y, yo, s, 15, -1.f, 0.1f, 20);
        int[] L = s.L;
        int q = yo + 16;
        for (int j = 0; j < QK_K; j += 64, q += 32) {
            for (int l = 0; l < 32; l++) y[q + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
        }
    }

    private static void q5_K(float[] x, int xo, byte[] y, int yo, Scratch s) {
        scaleMinBlock(x, xo, y, yo, s, 31, -0.5f, 0.1f, 15);
        int[] L = s.L;
        int qh = yo + 16, ql = yo + 48;
        for (int j = 0; j < 32; j++) y[qh + j] = 0;
        int m1 = 1, m2 = 2;
        for (int n = 0; n < QK_K; n += 64, ql += 32) {
            for (int j = 0; j < 32; j++) {
                int l1 = L[n + j];
                if (l1 > 15) {
                    l1 -= 16;
                    y[qh + j] = (byte) (y[qh + j] | m1);
                }
                int l2 = L[n + j + 32];
                if (l2 > 15) {
                    l2 -= 16;
                    y[qh + j] = (byte) (y[qh + j] | m2);
                }
                y[ql + j] = (byte) (l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
        }
    }

    private static void q6_K(float[] x, int xo, byte[] y, int yo, Scratch s) {
        int[] L = s.L;
        float[] scales = s.scales;
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scale;
            }
        }
        // ql[128] at 0, qh[64] at 128, int8 scales[16] at 192, d at 208
        if (maxAbsScale < GROUP_MAX_EPS) {
            for (int i = 0; i < 210; i++) y[yo + i] = 0;
            return;
        }
        float iscale = -128.f / maxScale;
        short dBits = toF16(1 / iscale);
        putShort(y, yo + 208, dBits);
        for (int ib = 0; ib < 16; ib++) y[yo + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        float dAll = Float.float16ToFloat(dBits);
        for (int j = 0; j < 16; j++) {
            float d = dAll * y[yo + 192 + j];
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                int l = nearestInt(x[xo + 16 * j + ii] / d);
                L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
            }
        }
        int ql = yo, qh = yo + 128;
        for (int j = 0; j < QK_K; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                y[ql + l] = (byte) (q1 | (q3 << 4));
                y[ql + l + 32] = (byte) (q2 | (q4 << 4));
                y[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
            }
        }
    }
}
