package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.ActivationQuant.Activations;
import io.jollama.engine.tensor.ActivationQuant.DotType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static io.jollama.engine.tensor.KernelSupport.*;
import static io.jollama.engine.tensor.QuantSupport.*;
import static io.jollama.engine.tensor.Quantize.toF16;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.NE;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * Q8_0 weights (blocks of 32: f16 d, 32 int8) against Q8_0 activations.
 * <p>
 * The home of Q8_0: its {@link #FORMAT} (registered in {@link WeightFormats}), block dequantization and quantization
 * (ggml's reference, bit-exact) and its file-layout kernels, vector and scalar (same numerics); the packed kernels
 * are in {@link Q8_0Packed}.
 */
final class Q8_0Format {
    private Q8_0Format() {}

    static final WeightFormat FORMAT = new WeightFormat(GgmlType.Q8_0, DotType.Q8_0, Q8_0Format::dequantize, Q8_0Format::quantize,
            Q8_0Format::vector, Q8_0Format::scalar, Q8_0Packed.LAYOUT);

    // The per-vector code is written out four times (sum0..sum3): see KernelSupport.
    /**
     * Each block's 32 products are summed exactly as integers, then scaled once: {@code sum += isum · (dw·dx)},
     * block after block, the order of ggml's reference dot product. The scalar kernel does the same, so both give
     * identical bits, and greedy outputs track llama.cpp's through near-ties that a lane-wise float sum would flip.
     */
    static void vector(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 32;
        final short[] q = a.q();
        final float[] ad = a.d();
        final int x0 = (t0 + 0) * cols, d0 = (t0 + 0) * nb;
        final int x1 = (t0 + 1) * cols, d1 = (t0 + 1) * nb;
        final int x2 = (t0 + 2) * cols, d2 = (t0 + 2) * nb;
        final int x3 = (t0 + 3) * cols, d3 = (t0 + 3) * nb;
        for (int r = r0; r < r1; r++) {
            final long ro = r * rowBytes;
            float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
            for (int b = 0; b < nb; b++) {
                final long bo = ro + 34L * b;
                final float wd = f16(w, bo);
                final ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 2, LE).convertShape(B2S, S256, 0);
                final ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B128, w, bo + 18, LE).convertShape(B2S, S256, 0);
                final int xo = b * 32;
                {   // |w·x| ≤ 128·127, two of them still fit in 16 bits; sixteen of them need 32
                    ShortVector p = w0.mul(ShortVector.fromArray(S256, q, x0 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x0 + xo + 16)));
                    sum0 += ((IntVector) p.convertShape(S2I, I512, 0)).reduceLanes(ADD) * (wd * ad[d0 + b]);
                }
                if (nt > 1) {
                    ShortVector p = w0.mul(ShortVector.fromArray(S256, q, x1 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x1 + xo + 16)));
                    sum1 += ((IntVector) p.convertShape(S2I, I512, 0)).reduceLanes(ADD) * (wd * ad[d1 + b]);
                }
                if (nt > 2) {
                    ShortVector p = w0.mul(ShortVector.fromArray(S256, q, x2 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x2 + xo + 16)));
                    sum2 += ((IntVector) p.convertShape(S2I, I512, 0)).reduceLanes(ADD) * (wd * ad[d2 + b]);
                }
                if (nt > 3) {
                    ShortVector p = w0.mul(ShortVector.fromArray(S256, q, x3 + xo)).add(w1.mul(ShortVector.fromArray(S256, q, x3 + xo + 16)));
                    sum3 += ((IntVector) p.convertShape(S2I, I512, 0)).reduceLanes(ADD) * (wd * ad[d3 + b]);
                }
            }
            out[(t0 + 0) * outRows + r] = sum0;
            if (nt > 1) out[(t0 + 1) * outRows + r] = sum1;
            if (nt > 2) out[(t0 + 2) * outRows + r] = sum2;
            if (nt > 3) out[(t0 + 3) * outRows + r] = sum3;
        }
    }

    static void scalar(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows) {
        final int cols = a.cols(), nb = cols / 32;
        final short[] q = a.q();
        for (int t = t0; t < t0 + nt; t++) {
            for (int r = r0; r < r1; r++) {
                long ro = r * rowBytes;
                float sum = 0;
                for (int b = 0; b < nb; b++) {
                    long bo = ro + 34L * b;
                    int xo = t * cols + b * 32;
                    int isum = 0;
                    for (int j = 0; j < 32; j++) isum += w.get(BYTE, bo + 2 + j) * q[xo + j];
                    sum += isum * (f16(w, bo) * a.d()[t * nb + b]);
                }
                out[t * outRows + r] = sum;
            }
        }
    }

    static void dequantize(MemorySegment s, long offset, float[] y, int yo, int nb) {
        for (int b = 0; b < nb; b++) dequantizeBlock(s, offset + 34L * b, y, yo + 32 * b);
    }

    // block_q8_0: f16 d, int8 qs[32]
    private static void dequantizeBlock(MemorySegment s, long bo, float[] y, int yo) {
        float d = f16(s, bo);
        for (int j = 0; j < 32; j++) y[yo + j] = i8(s, bo + 2 + j) * d;
    }

    static void quantize(float[] x, int xo, int nb, byte[] y, int yo) {
        for (int b = 0; b < nb; b++) quantizeBlock(x, xo + 32 * b, y, yo + 34 * b);
    }

    private static void quantizeBlock(float[] x, int xo, byte[] y, int yo) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putShort(y, yo, toF16(d));
        for (int j = 0; j < 32; j++) y[yo + 2 + j] = (byte) (int) roundf(x[xo + j] * id);
    }
}
