package io.jollama.engine.tensor;

/** Placeholder scalar kernels (replaced by the kernels work). */
public final class MatMul {
    private MatMul() {}

    public static void matvec(Tensor w, float[] x, float[] out) {
        matmul(w, x, 1, out);
    }

    public static void matmul(Tensor w, float[] xs, int n, float[] out) {
        int rows = w.rows(), cols = w.cols();
        ComputePool.parallelFor(rows, (from, to) -> {
            float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                Dequant.row(w, r, row, 0);
                for (int i = 0; i < n; i++) {
                    float s = 0;
                    for (int c = 0; c < cols; c++) s += row[c] * xs[i * cols + c];
                    out[i * rows + r] = s;
                }
            }
        });
    }
}
