package io.jollama.engine.tensor;

import io.jollama.engine.tensor.ActivationQuant.Activations;
import io.jollama.engine.tensor.WeightFormat.Kernel;

import java.lang.foreign.MemorySegment;

/**
 * Matrix × vector and matrix × batch products of ggml-typed weights with float activations, computed the way
 * ggml-cpu computes them: the activations are first converted to the weight type's vec_dot type
 * ({@link ActivationQuant}), then each weight block is multiplied with integer arithmetic and scaled once.
 * <p>
 * Work is split over rows on {@link ComputePool}. The Vector API kernels are used unless
 * {@code -Djollama.scalar=true} selects the plain-loop kernels (same numerics, for cross-checks), or the CPU
 * has no 512-bit vectors (the kernels are written for 512-bit registers).
 */
public final class MatMul {
    private MatMul() {}

    /** True if the scalar kernels are in use (property {@code jollama.scalar}, read once). */
    public static final boolean SCALAR = Boolean.getBoolean("jollama.scalar") || !KernelSupport.vectorUsable();

    /** Rows per block in batch products: a block's weights stay in cache while every token tile passes over them. */
    private static final int ROW_BLOCK = 16;

    /** out[r] = Σ_c W[r][c]·x[c] for each of w.rows() rows; x has w.cols() values. Parallel over rows on ComputePool. */
    public static void matvec(Tensor w, float[] x, float[] out) {
        matvec(w, x, out, SCALAR);
    }

    /**
     * Batch: n input vectors packed in xs (vector i at xs[i*cols ..]); out[i*rows + r]. Used for prompt processing.
     * A packed matrix with a batch of {@value FloatGemm#MIN_TOKENS} or more goes through float panels ({@link FloatGemm}):
     * close to, not bit-equal with, one vector at a time.
     */
    public static void matmul(Tensor w, float[] xs, int n, float[] out) {
        matmul(w, xs, n, out, SCALAR);
    }

    /** As {@link #matmul}, but each vector's result bit-equal to {@link #matvec} of it alone (batched decoding). */
    public static void matmulExact(Tensor w, float[] xs, int n, float[] out) {
        if (w.packed() && n > 1) {
            check(w, xs, n, out);
            matmulPacked(w, xs, n, out);
        } else {
            matmul(w, xs, n, out, SCALAR);
        }
    }

    /**
     * Computes only rows [rowFrom, rowTo) of {@link #matvec}, on the calling thread (for benchmarks and callers
     * that do their own threading).
     */
    public static void matvecRange(Tensor w, float[] x, float[] out, int rowFrom, int rowTo) {
        check(w, x, 1, out);
        matvecRange(w, ActivationQuant.quantize(w.type(), x, w.cols(), 1), out, rowFrom, rowTo);
    }

    /** As {@link #matvecRange(Tensor, float[], float[], int, int)}, with the input already in the weight type's vec_dot form. */
    public static void matvecRange(Tensor w, Activations a, float[] out, int rowFrom, int rowTo) {
        if (a.type() != ActivationQuant.dotType(w.type()) || a.cols() != w.cols() || a.n() != 1) {
            throw new IllegalArgumentException(w.name() + ": activations of type " + a.type() + " × " + a.cols() + " do not fit " + w.type() + " × " + w.cols());
        }
        if (rowFrom < 0 || rowTo > w.rows() || rowFrom > rowTo) {
            throw new IllegalArgumentException(w.name() + ": row range [" + rowFrom + ", " + rowTo + ") outside [0, " + w.rows() + ")");
        }
        if (w.packed()) {
            if (rowFrom % Repack.GROUP != 0 || rowTo % Repack.GROUP != 0) {
                throw new IllegalArgumentException(w.name() + ": row range [" + rowFrom + ", " + rowTo + ") of a packed matrix must be whole groups of " + Repack.GROUP);
            }
            Repack.layout(w.type()).groups(w.data(), w.cols(), rowFrom / Repack.GROUP, rowTo / Repack.GROUP, a, 0, 1, out, w.rows());
            return;
        }
        WeightFormats.of(w.type()).kernel(SCALAR).rows(w.data(), w.rowBytes(), rowFrom, rowTo, a, 0, 1, out, w.rows());
    }

    static void matvec(Tensor w, float[] x, float[] out, boolean scalar) {
        check(w, x, 1, out);
        if (w.packed()) {
            Repack.Layout pk = Repack.layout(w.type());
            Activations a = ActivationQuant.quantize(w.type(), x, w.cols(), 1);
            MemorySegment data = w.data();
            int cols = w.cols(), rows = w.rows();
            ComputePool.parallelFor(rows / Repack.GROUP, (from, to) -> pk.groups(data, cols, from, to, a, 0, 1, out, rows));
            return;
        }
        Kernel k = WeightFormats.of(w.type()).kernel(scalar);
        Activations a = ActivationQuant.quantize(w.type(), x, w.cols(), 1);
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        int rows = w.rows();
        ComputePool.parallelFor(rows, (from, to) -> k.rows(data, rowBytes, from, to, a, 0, 1, out, rows));
    }

    static void matmul(Tensor w, float[] xs, int n, float[] out, boolean scalar) {
        if (n == 1) {
            matvec(w, xs, out, scalar);
            return;
        }
        check(w, xs, n, out);
        if (w.packed()) {
            if (n >= FloatGemm.MIN_TOKENS) FloatGemm.matmul(w, xs, n, out);
            else matmulPacked(w, xs, n, out);
            return;
        }
        if (!scalar && n >= FloatGemm.MIN_TOKENS && FloatGemm.unpackedPanels(w)) {
            FloatGemm.matmul(w, xs, n, out);
            return;
        }
        Kernel k = WeightFormats.of(w.type()).kernel(scalar);
        Activations a = ActivationQuant.quantize(w.type(), xs, w.cols(), n);
        MemorySegment data = w.data();
        long rowBytes = w.rowBytes();
        int rows = w.rows();
        ComputePool.parallelFor(rows, (from, to) -> batchRows(k, data, rowBytes, from, to, a, out, rows));
    }

    /** Rows [from, to) of a file-layout matrix against every vector of {@code a}: blocks of rows, tiles of vectors. */
    private static void batchRows(Kernel k, MemorySegment data, long rowBytes, int from, int to, Activations a, float[] out, int rows) {
        int n = a.n();
        for (int r = from; r < to; r += ROW_BLOCK) {
            int rEnd = Math.min(to, r + ROW_BLOCK);
            for (int t = 0; t < n; t += KernelSupport.TILE) {
                k.rows(data, rowBytes, r, rEnd, a, t, Math.min(KernelSupport.TILE, n - t), out, rows);
            }
        }
    }

    /** Packed groups [from, to) against every vector of {@code a}: blocks of groups, tiles of vectors. */
    private static void batchGroups(Repack.Layout pk, MemorySegment data, int cols, int from, int to, Activations a, float[] out, int rows) {
        int n = a.n();
        for (int g = from; g < to; g += GROUP_BLOCK) {
            int gEnd = Math.min(to, g + GROUP_BLOCK);
            for (int t = 0; t < n; t += KernelSupport.TILE) {
                pk.groups(data, cols, g, gEnd, a, t, Math.min(KernelSupport.TILE, n - t), out, rows);
            }
        }
    }

    /**
     * Computes only rows [rowFrom, rowTo) of {@link #matmulExact} (each vector's result bit-equal to {@link #matvec}
     * of it alone), on the calling thread: for benchmarks and callers that do their own threading. A packed matrix
     * takes whole groups of {@value Repack#GROUP} rows.
     */
    public static void matmulRange(Tensor w, float[] xs, int n, float[] out, int rowFrom, int rowTo) {
        check(w, xs, n, out);
        if (rowFrom < 0 || rowTo > w.rows() || rowFrom > rowTo) {
            throw new IllegalArgumentException(w.name() + ": row range [" + rowFrom + ", " + rowTo + ") outside [0, " + w.rows() + ")");
        }
        Activations a = ActivationQuant.quantize(w.type(), xs, w.cols(), n);
        if (w.packed()) {
            if (rowFrom % Repack.GROUP != 0 || rowTo % Repack.GROUP != 0) {
                throw new IllegalArgumentException(w.name() + ": row range [" + rowFrom + ", " + rowTo + ") of a packed matrix must be whole groups of " + Repack.GROUP);
            }
            batchGroups(Repack.layout(w.type()), w.data(), w.cols(), rowFrom / Repack.GROUP, rowTo / Repack.GROUP, a, out, w.rows());
            return;
        }
        batchRows(WeightFormats.of(w.type()).kernel(SCALAR), w.data(), w.rowBytes(), rowFrom, rowTo, a, out, w.rows());
    }

    /** Groups per block in packed batch products: a block's weights stay in cache while every token tile passes over them. */
    private static final int GROUP_BLOCK = 2;

    private static void matmulPacked(Tensor w, float[] xs, int n, float[] out) {
        Repack.Layout pk = Repack.layout(w.type());
        Activations a = ActivationQuant.quantize(w.type(), xs, w.cols(), n);
        MemorySegment data = w.data();
        int cols = w.cols(), rows = w.rows();
        ComputePool.parallelFor(rows / Repack.GROUP, (from, to) -> batchGroups(pk, data, cols, from, to, a, out, rows));
    }

    private static void check(Tensor w, float[] xs, int n, float[] out) {
        if (w.shape().length < 1 || w.shape().length > 2 && w.elementCount() != (long) w.shape()[0] * w.shape()[1]) {
            throw new IllegalArgumentException(w.name() + ": not a matrix, shape " + java.util.Arrays.toString(w.shape()));
        }
        if (n < 1) throw new IllegalArgumentException(w.name() + ": batch size must be at least 1, got " + n);
        long need = (long) w.rows() * w.rowBytes();
        if (w.data().byteSize() < need) {
            throw new IllegalArgumentException(w.name() + ": " + w.data().byteSize() + " bytes of data, " + w.type() + " " + java.util.Arrays.toString(w.shape()) + " needs " + need);
        }
        if (xs.length < (long) w.cols() * n) {
            throw new IllegalArgumentException(w.name() + ": input has " + xs.length + " values, need " + n + " × " + w.cols());
        }
        if (out.length < (long) w.rows() * n) {
            throw new IllegalArgumentException(w.name() + ": output has room for " + out.length + " values, need " + n + " × " + w.rows());
        }
    }
}
