package io.jollama.engine.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** The small per-vector operations of a transformer layer, with ggml's order of arithmetic where it matters. */
final class Ops {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Ops() {}

    /** out = x / rms(x) * w over [off, off+n): squares in float, summed in double, as ggml. */
    static void rmsnorm(float[] out, int outOff, float[] x, int off, float[] w, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            sum += v * v;
        }
        float mean = (float) (sum / n);
        float scale = 1.0f / (float) Math.sqrt(mean + eps);
        for (int i = 0; i < n; i++) out[outOff + i] = (x[off + i] * scale) * w[i];
    }

    /**
     * Rotates one head in place: pairs (2i, 2i+1) or, for NEOX, (i, i + ropeDim/2), for the first ropeDim values.
     * The angle of pair i is pos·θ^i computed by repeated float multiplication, divided by freqFactors[i] if given.
     */
    static void rope(float[] x, int off, int ropeDim, int pos, float thetaScale, float freqScale, float[] freqFactors, boolean neox) {
        float theta = pos;
        int half = ropeDim / 2;
        for (int i = 0; i < half; i++) {
            float t = theta * freqScale;
            if (freqFactors != null) t = t / freqFactors[i];
            float cos = (float) Math.cos(t), sin = (float) Math.sin(t);
            int a = neox ? off + i : off + 2 * i;
            int b = neox ? off + i + half : off + 2 * i + 1;
            float x0 = x[a], x1 = x[b];
            x[a] = x0 * cos - x1 * sin;
            x[b] = x0 * sin + x1 * cos;
            theta *= thetaScale;
        }
    }

    static float dot(float[] a, int aOff, MemorySegment b, long bOff, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector va = FloatVector.fromArray(F, a, aOff + i);
            FloatVector vb = FloatVector.fromMemorySegment(F, b, bOff + (long) i * Float.BYTES, ByteOrder.nativeOrder());
            acc = va.fma(vb, acc);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) s += a[aOff + i] * b.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, bOff / Float.BYTES + i);
        return s;
    }

    static float dot(float[] a, float[] b, int n) {
        return dot(a, 0, b, 0, n);
    }

    /** The dot product of a[aOff..+n) and b[bOff..+n), with the same lanes and order as {@link #dot(float[], float[], int)}. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (; i <= n - F.length(); i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /**
     * scores[t] = {@link #dot(float[], int, float[], int, int) dot}(q, k_t, hd) · scale for t in [start, len), each
     * bit-equal to that dot product, 16 positions at a time: lane p of vector {@code l} holds what lane l of the dot
     * product's accumulator holds for position t0+p, and the lanes are then summed in the same order. Needs 16-lane
     * float vectors ({@link #TRANSPOSED_SCORES}). Keys transposed:
     * value j of position t at {@code kT[(dimBase + j)·stride + t]}; {@code scores} has room for {@code stride}.
     */
    static final boolean TRANSPOSED_SCORES = F.length() == 16;

    static void scoresTransposed(float[] q, int hd, float[] kT, int stride, int dimBase, int start, int len, float scale, float[] scores) {
        final int full = hd - hd % 16;
        for (int t = start & ~15; t < len; t += 16) {
            FloatVector l0 = FloatVector.zero(F), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0;
            FloatVector l8 = l0, l9 = l0, l10 = l0, l11 = l0, l12 = l0, l13 = l0, l14 = l0, l15 = l0;
            for (int c = 0; c < full; c += 16) {
                final int o = (dimBase + c) * stride + t;
                l0 = FloatVector.broadcast(F, q[c]).fma(FloatVector.fromArray(F, kT, o), l0);
                l1 = FloatVector.broadcast(F, q[c + 1]).fma(FloatVector.fromArray(F, kT, o + stride), l1);
                l2 = FloatVector.broadcast(F, q[c + 2]).fma(FloatVector.fromArray(F, kT, o + 2 * stride), l2);
                l3 = FloatVector.broadcast(F, q[c + 3]).fma(FloatVector.fromArray(F, kT, o + 3 * stride), l3);
                l4 = FloatVector.broadcast(F, q[c + 4]).fma(FloatVector.fromArray(F, kT, o + 4 * stride), l4);
                l5 = FloatVector.broadcast(F, q[c + 5]).fma(FloatVector.fromArray(F, kT, o + 5 * stride), l5);
                l6 = FloatVector.broadcast(F, q[c + 6]).fma(FloatVector.fromArray(F, kT, o + 6 * stride), l6);
                l7 = FloatVector.broadcast(F, q[c + 7]).fma(FloatVector.fromArray(F, kT, o + 7 * stride), l7);
                l8 = FloatVector.broadcast(F, q[c + 8]).fma(FloatVector.fromArray(F, kT, o + 8 * stride), l8);
                l9 = FloatVector.broadcast(F, q[c + 9]).fma(FloatVector.fromArray(F, kT, o + 9 * stride), l9);
                l10 = FloatVector.broadcast(F, q[c + 10]).fma(FloatVector.fromArray(F, kT, o + 10 * stride), l10);
                l11 = FloatVector.broadcast(F, q[c + 11]).fma(FloatVector.fromArray(F, kT, o + 11 * stride), l11);
                l12 = FloatVector.broadcast(F, q[c + 12]).fma(FloatVector.fromArray(F, kT, o + 12 * stride), l12);
                l13 = FloatVector.broadcast(F, q[c + 13]).fma(FloatVector.fromArray(F, kT, o + 13 * stride), l13);
                l14 = FloatVector.broadcast(F, q[c + 14]).fma(FloatVector.fromArray(F, kT, o + 14 * stride), l14);
                l15 = FloatVector.broadcast(F, q[c + 15]).fma(FloatVector.fromArray(F, kT, o + 15 * stride), l15);
            }
            // sumLanes' order: lane 0 first, lane 15 last
            FloatVector s = FloatVector.zero(F).add(l0).add(l1).add(l2).add(l3).add(l4).add(l5).add(l6).add(l7)
                    .add(l8).add(l9).add(l10).add(l11).add(l12).add(l13).add(l14).add(l15);
            for (int j = full; j < hd; j++) s = s.add(FloatVector.broadcast(F, q[j]).mul(FloatVector.fromArray(F, kT, (dimBase + j) * stride + t)));
            s.mul(scale).intoArray(scores, t);
        }
    }

    /**
     * Scores of 8 queries at once against transposed keys: {@code scores[j·stride + t] = scale · q_j · k_t} for t in
     * [0, len), where q_j is {@code q[j·hd ..+hd)} (rows past the real queries may hold zeros) and key t's value d is
     * {@code kT[(dimBase + d)·stride + t]}. Each key vector loaded serves the 8 queries.
     */
    static void scores8Transposed(float[] q, int hd, float[] kT, int stride, int dimBase, int len, float scale, float[] scores) {
        int L = F.length();
        for (int t = 0; t < len; t += L) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            for (int c = 0, o = dimBase * stride + t; c < hd; c++, o += stride) {
                FloatVector k = FloatVector.fromArray(F, kT, o);
                s0 = FloatVector.broadcast(F, q[c]).fma(k, s0);
                s1 = FloatVector.broadcast(F, q[hd + c]).fma(k, s1);
                s2 = FloatVector.broadcast(F, q[2 * hd + c]).fma(k, s2);
                s3 = FloatVector.broadcast(F, q[3 * hd + c]).fma(k, s3);
                s4 = FloatVector.broadcast(F, q[4 * hd + c]).fma(k, s4);
                s5 = FloatVector.broadcast(F, q[5 * hd + c]).fma(k, s5);
                s6 = FloatVector.broadcast(F, q[6 * hd + c]).fma(k, s6);
                s7 = FloatVector.broadcast(F, q[7 * hd + c]).fma(k, s7);
            }
            s0.mul(scale).intoArray(scores, t);
            s1.mul(scale).intoArray(scores, stride + t);
            s2.mul(scale).intoArray(scores, 2 * stride + t);
            s3.mul(scale).intoArray(scores, 3 * stride + t);
            s4.mul(scale).intoArray(scores, 4 * stride + t);
            s5.mul(scale).intoArray(scores, 5 * stride + t);
            s6.mul(scale).intoArray(scores, 6 * stride + t);
            s7.mul(scale).intoArray(scores, 7 * stride + t);
        }
    }

    /**
     * out[oOff..+n) = Σ_t w[t] · v[vOff + t·stride ..+n) for t in [0, len): the weighted sum of value rows, kept in
     * registers 64 values at a time instead of written back after every row.
     */
    static void weightedRows(float[] w, int len, float[] v, int vOff, int stride, int n, float[] out, int oOff) {
        int L = F.length(), d = 0;
        for (; d + 4 * L <= n; d += 4 * L) {
            // two rows per step into two sets of accumulators: eight independent FMA chains
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            int t = 0, o = vOff + d;
            for (; t + 1 < len; t += 2, o += 2 * stride) {
                FloatVector wt = FloatVector.broadcast(F, w[t]), wu = FloatVector.broadcast(F, w[t + 1]);
                int p = o + stride;
                a0 = FloatVector.fromArray(F, v, o).fma(wt, a0);
                a1 = FloatVector.fromArray(F, v, o + L).fma(wt, a1);
                a2 = FloatVector.fromArray(F, v, o + 2 * L).fma(wt, a2);
                a3 = FloatVector.fromArray(F, v, o + 3 * L).fma(wt, a3);
                b0 = FloatVector.fromArray(F, v, p).fma(wu, b0);
                b1 = FloatVector.fromArray(F, v, p + L).fma(wu, b1);
                b2 = FloatVector.fromArray(F, v, p + 2 * L).fma(wu, b2);
                b3 = FloatVector.fromArray(F, v, p + 3 * L).fma(wu, b3);
            }
            if (t < len) {
                FloatVector wt = FloatVector.broadcast(F, w[t]);
                a0 = FloatVector.fromArray(F, v, o).fma(wt, a0);
                a1 = FloatVector.fromArray(F, v, o + L).fma(wt, a1);
                a2 = FloatVector.fromArray(F, v, o + 2 * L).fma(wt, a2);
                a3 = FloatVector.fromArray(F, v, o + 3 * L).fma(wt, a3);
            }
            a0.add(b0).intoArray(out, oOff + d);
            a1.add(b1).intoArray(out, oOff + d + L);
            a2.add(b2).intoArray(out, oOff + d + 2 * L);
            a3.add(b3).intoArray(out, oOff + d + 3 * L);
        }
        for (; d < n; d++) {
            float acc = 0f;
            for (int t = 0, o = vOff + d; t < len; t++, o += stride) acc += w[t] * v[o];
            out[oOff + d] = acc;
        }
    }

    /** out[outOff..+n) += w · b[bOff..+n) */
    static void axpy(float[] out, int outOff, float w, float[] b, int bOff, int n) {
        int i = 0;
        FloatVector vw = FloatVector.broadcast(F, w);
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector.fromArray(F, b, bOff + i).fma(vw, FloatVector.fromArray(F, out, outOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] += w * b[bOff + i];
    }

    /** out[outOff..+n) += w · b[bOff..+n) */
    static void axpy(float[] out, int outOff, float w, MemorySegment b, long bOff, int n) {
        int i = 0;
        FloatVector vw = FloatVector.broadcast(F, w);
        for (; i <= n - F.length(); i += F.length()) {
            FloatVector vo = FloatVector.fromArray(F, out, outOff + i);
            FloatVector vb = FloatVector.fromMemorySegment(F, b, bOff + (long) i * Float.BYTES, ByteOrder.nativeOrder());
            vb.fma(vw, vo).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] += w * b.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, bOff / Float.BYTES + i);
    }

    /**
     * The lanes summed in one fixed order. {@code reduceLanes(ADD)} may add them in a different order before and after
     * C2 compiles the caller, so the same dot product could change its last bit during a run.
     */
    static float sumLanes(FloatVector v) {
        float[] lanes = new float[F.length()];
        v.intoArray(lanes, 0);
        float s = 0;
        for (float x : lanes) s += x;
        return s;
    }

    /**
     * ggml's GELU (tanh form) as its CPU backend computes it: a table of f16 results indexed by the f16-rounded input,
     * for -10 < x < 10; x itself above, 0 below.
     */
    static float geluTable(float x) {
        if (x >= 10f) return x;
        if (x <= -10f) return 0f;
        float h = Float.float16ToFloat(Float.floatToFloat16(x));
        float y = 0.5f * h * (1.0f + (float) Math.tanh(0.7978845608028654f * h * (1.0f + 0.044715f * h * h)));
        return Float.float16ToFloat(Float.floatToFloat16(y));
    }

    /** ggml's quick GELU, x·σ(1.702·x), as its CPU backend computes it: a table of f16 results indexed by the f16-rounded input. */
    static float geluQuickTable(float x) {
        float h = Float.float16ToFloat(Float.floatToFloat16(x));
        float y = h * (1.0f / (1.0f + (float) Math.exp(-1.702f * h)));
        return Float.float16ToFloat(Float.floatToFloat16(y));
    }

    static float silu(float x) {
        return x / (1.0f + (float) Math.exp(-x));
    }
}
