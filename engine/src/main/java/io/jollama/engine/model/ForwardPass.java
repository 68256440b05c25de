package io.jollama.engine.model;

import io.jollama.engine.tensor.ActivationQuant;
import io.jollama.engine.tensor.ComputePool;
import io.jollama.engine.tensor.MatMul;
import io.jollama.engine.tensor.Repack;
import io.jollama.engine.tensor.Tensor;

import java.util.EnumMap;
import java.util.function.IntConsumer;

/**
 * The state of one forward pass that the blocks share: the batch, and scratch buffers reused from layer to layer
 * (a block asks for a buffer by its role and size; the same role returns the same array for the whole pass).
 */
final class ForwardPass {

    /** The roles of the scratch buffers. */
    enum Buffer { NORMED, Q, K, V, ATTENTION, ATTENTION_OUT, GATE, UP, FFN_OUT }

    final Batch batch;
    final int n;
    private final EnumMap<Buffer, float[]> buffers = new EnumMap<>(Buffer.class);

    ForwardPass(Batch batch) {
        this.batch = batch;
        this.n = batch.size();
    }

    /** The buffer of this role, at least {@code n × width} floats (contents left from its last use). */
    float[] buffer(Buffer role, int width) {
        float[] b = buffers.get(role);
        if (b == null || b.length < n * width) {
            b = new float[n * width];
            buffers.put(role, b);
        }
        return b;
    }

    /** A projection of the pass's n tokens; in an exact batch each token's result is bit-equal to its own matvec. */
    void project(Tensor w, float[] in, float[] out) {
        project(w, in, n, out, batch.exact());
    }

    /** A projection of n token rows; {@code exact}: each row's result bit-equal to its own matvec. */
    static void project(Tensor w, float[] in, int n, float[] out, boolean exact) {
        if (n == 1) MatMul.matvec(w, in, out);
        else if (exact) MatMul.matmulExact(w, in, n, out);
        else MatMul.matmul(w, in, n, out);
    }

    /** Runs a per-token step for tokens [0, n): on the compute threads for a batch, inline for one token. */
    void forEachToken(IntConsumer step) {
        if (n == 1) {
            step.accept(0);
            return;
        }
        ComputePool.parallelFor(n, (from, to) -> {
            for (int i = from; i < to; i++) step.accept(i);
        });
    }

    /** Normalizes each token's row of x ({@code width} values per token) into out. */
    void norm(Norm norm, float[] out, float[] x, int width) {
        forEachToken(i -> norm.apply(out, i * width, x, i * width));
    }

    /**
     * Two or three projections of the same single-token input in one parallel pass over their concatenated rows
     * (one hand-off to the compute threads instead of one per matrix, and the input converted once per vec_dot
     * type); every row is computed exactly as by matvec. With a batch, one projection after the other.
     */
    void projectTogether(float[] x, Tensor w1, float[] o1, Tensor w2, float[] o2, Tensor w3, float[] o3) {
        if (n > 1) {
            project(w1, x, o1);
            project(w2, x, o2);
            if (w3 != null) project(w3, x, o3);
            return;
        }
        int r1 = w1.rows(), r2 = w2.rows(), r3 = w3 == null ? 0 : w3.rows();
        // split on whole row groups when every matrix has them (packed matrices must be cut there)
        int unit = r1 % Repack.GROUP == 0 && r2 % Repack.GROUP == 0 && r3 % Repack.GROUP == 0 ? Repack.GROUP : 1;
        ActivationQuant.Activations a1 = ActivationQuant.quantize(w1.type(), x, w1.cols(), 1);
        ActivationQuant.Activations a2 = ActivationQuant.dotType(w2.type()) == a1.type() ? a1 : ActivationQuant.quantize(w2.type(), x, w2.cols(), 1);
        ActivationQuant.Activations a3 = w3 == null ? null : ActivationQuant.dotType(w3.type()) == a1.type() ? a1
                : ActivationQuant.dotType(w3.type()) == a2.type() ? a2 : ActivationQuant.quantize(w3.type(), x, w3.cols(), 1);
        ComputePool.parallelFor((r1 + r2 + r3) / unit, (fromUnit, toUnit) -> {
            int from = fromUnit * unit, to = toUnit * unit;
            if (from < r1) MatMul.matvecRange(w1, a1, o1, from, Math.min(to, r1));
            if (to > r1 && from < r1 + r2) MatMul.matvecRange(w2, a2, o2, Math.max(from, r1) - r1, Math.min(to, r1 + r2) - r1);
            if (to > r1 + r2) MatMul.matvecRange(w3, a3, o3, Math.max(from, r1 + r2) - r1 - r2, to - r1 - r2);
        });
    }
}
