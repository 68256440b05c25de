package io.jollama.engine.tensor;

import static io.jollama.engine.tensor.Quantize.toF16;

/**
 * What the block quantizers of several types share: ggml's rounding ({@code nearest_int}, {@code roundf}), byte
 * stores, and the scale searches of the K-quants ({@code make_qx_quants}, {@code make_q3_quants},
 * {@code make_qkx2_quants}), each with the same float operations in the same order as ggml-quants.c.
 */
final class QuantSupport {
    static final float GROUP_MAX_EPS = 1e-15f;
    static final int QK_K = 256;

    private QuantSupport() {}

    /** f32 → f16 → f32: the value ggml reads back from a half it stored. */
    static float viaF16(float f) {
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

    static void putShort(byte[] b, int off, short v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    /** Per-call work arrays of the K-quant searches (allocated once per call of a K-quant quantizer, not per block). */
    static final class Scratch {
        final int[] L = new int[QK_K];
        final int[] laux = new int[32];
        final float[] weights = new float[32];
        final float[] scales = new float[QK_K / 16];
        final float[] mins = new float[QK_K / 16];
        final float[] theMin = new float[1];
    }

    // ---- scale searches of the K-quants (make_qx_quants, make_q3_quants, make_qkx2_quants) ----

    /** The value of {@code x[xo .. xo+n)} with the largest magnitude (the first of equals), or 0. */
    private static float signedMax(float[] x, int xo, int n) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        return max;
    }

    /**
     * make_qx_quants with rmse_type 1 and no importance weights: symmetric levels -nmax..nmax-1 stored as 0..2nmax-1
     * in {@code L[lo ..]}, weights x², and a search over 18 nearby scales. Returns the scale.
     * <p>
     * The candidate scales do not depend on each other (only the best-so-far does), so they are evaluated two at a
     * time in one pass for instruction-level parallelism; each candidate's sums keep ggml's order, and the
     * candidates are still compared in ggml's order, so the result is bit-identical.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = signedMax(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
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
    static float makeQ3Quants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = signedMax(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
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
     * (Evaluating two candidates per pass, as in {@link #makeQxQuants}, did not help here: this loop is bound by arithmetic
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
    static void pack2Bit(int[] L, byte[] y, int qo) {
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                y[qo + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }

    /**
     * The common part of Q4_K and Q5_K: 8 sub-blocks of 32 with a 6-bit scale and min each, packed into 12 bytes at
     * {@code yo+4} as get_scale_min_k4 reads them, d at {@code yo}, dmin at {@code yo+2}; levels 0..nmax into L.
     */
    static void scaleMinBlock(float[] x, int xo, byte[] y, int yo, Scratch s, int nmax, float rmin, float rdelta, int nstep) {
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
}
