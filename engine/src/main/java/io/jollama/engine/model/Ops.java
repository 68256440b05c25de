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

    static float silu(float x) {
        return x / (1.0f + (float) Math.exp(-x));
    }
}
