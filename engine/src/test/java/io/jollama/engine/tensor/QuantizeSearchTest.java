package io.jollama.engine.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * makeQxQuants in {@link Quantize} evaluates two candidate scales per pass for speed. This checks it (and
 * makeQkx2Quants, as a guard for future changes) against plain transcriptions of llama.cpp's make_qx_quants /
 * make_qkx2_quants, one candidate at a time, on many blocks: the results must be bit-identical.
 */
class QuantizeSearchTest {
    private static final float GROUP_MAX_EPS = 1e-15f;

    private static int nearestInt(float f) {
        return QuantSupport.nearestInt(f);
    }

    /** Straightforward make_qx_quants (rmse_type 1, no importance weights). */
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
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[xo + i])));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /** Straightforward make_qkx2_quants. */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] L, int lo, float[] theMin,
                                        float rmin, float rdelta, int nstep, boolean useMad) {
        int[] laux = new int[n];
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
            theMin[0] = -min;
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
        theMin[0] = -min;
        return scale;
    }

    private static float[] block(Random r, int n, int kind) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (kind) {
                case 0 -> (float) r.nextGaussian();
                case 1 -> (float) (r.nextGaussian() * 1e-3 + 0.5);        // all positive
                case 2 -> -Math.abs((float) r.nextGaussian());          // all negative
                case 3 -> r.nextInt(7) - 3;                             // few distinct values, ties
                case 4 -> (float) (r.nextGaussian() * Math.exp(r.nextGaussian() * 3)); // wild magnitudes
                default -> i == 3 ? 5f : 0f;                            // one spike
            };
        }
        return x;
    }

    @Test
    void interleavedSearchesEqualPlainOnes() {
        Random r = new Random(7);
        QuantSupport.Scratch s = new QuantSupport.Scratch();
        int[] la = new int[256], lb = new int[256];
        float[] theMin = new float[1];
        for (int iter = 0; iter < 20000; iter++) {
            int kind = iter % 6;
            // make_qx_quants as Q6_K uses it
            float[] x = block(r, 16, kind);
            float a = makeQxQuants(16, 32, x, 0, la, 0);
            float b = QuantSupport.makeQxQuants(16, 32, x, 0, lb, 0);
            assertEquals(Float.floatToRawIntBits(a), Float.floatToRawIntBits(b), "qx scale, block " + iter);
            assertArrayEquals(java.util.Arrays.copyOf(la, 16), java.util.Arrays.copyOf(lb, 16), "qx levels, block " + iter);
            // make_qkx2_quants as Q2_K, Q4_K and Q5_K use it
            int[][] params = {{16, 3, 15}, {32, 15, 20}, {32, 31, 15}};
            float[][] fparams = {{-0.5f, 0.1f}, {-1f, 0.1f}, {-0.5f, 0.1f}};
            int p = iter % 3;
            int n = params[p][0];
            float[] y = block(r, n, kind);
            float[] w = new float[32];
            float sumX2 = 0;
            for (int l = 0; l < n; l++) sumX2 += y[l] * y[l];
            float av = (float) Math.sqrt(sumX2 / n);
            for (int l = 0; l < n; l++) w[l] = p == 0 ? Math.abs(y[l]) : av + Math.abs(y[l]);
            float sa = makeQkx2Quants(n, params[p][1], y, 0, w, la, 0, theMin, fparams[p][0], fparams[p][1], params[p][2], p == 0);
            float ma = theMin[0];
            float sb = QuantSupport.makeQkx2Quants(n, params[p][1], y, 0, w, lb, 0, s, fparams[p][0], fparams[p][1], params[p][2], p == 0);
            assertEquals(Float.floatToRawIntBits(sa), Float.floatToRawIntBits(sb), "qkx2 scale, block " + iter);
            assertEquals(Float.floatToRawIntBits(ma), Float.floatToRawIntBits(s.theMin[0]), "qkx2 min, block " + iter);
            assertArrayEquals(java.util.Arrays.copyOf(la, n), java.util.Arrays.copyOf(lb, n), "qkx2 levels, block " + iter);
        }
    }
}
