package io.jollama.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;


/**
 * Prompt processing for packed matrices: each block of 32 rows is dequantized once into a float panel (value j of the
 * block's 16-row groups side by side) and multiplied with the float activations of 8 tokens at a time by fused
 * multiply-adds, 16 accumulators in registers. Per multiply-add this does far less than the integer kernels (no
 * nibble unpacking per token, no separate add), so it is the faster way once the panel's cost is spread over enough
 * tokens. The activations are not quantized: results differ from ggml's by ggml's own activation rounding.
 */
final class FloatGemm {
    private FloatGemm() {}

    /** Tokens from which a batch goes through the float panels. */
    static final int MIN_TOKENS = 16;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final int BLOCK = 2 * Repack.GROUP;

    static void matmul(Tensor w, float[] xs, int n, float[] out) {
        int rows = w.rows(), cols = w.cols();
        int blocks = (rows + BLOCK - 1) / BLOCK;
        ComputePool.parallelFor(blocks, (from, to) -> {
            float[] panel = panel(BLOCK * cols);
            float[] res = new float[BLOCK * 8];
            for (int blk = from; blk < to; blk++) {
                int r0 = blk * BLOCK, nr = Math.min(BLOCK, rows - r0);
                fillPanel(w, r0 / Repack.GROUP, (nr + Repack.GROUP - 1) / Repack.GROUP, panel);
                int t = 0;
                for (; t + 8 <= n; t += 8) {
                    tile8(panel, cols, xs, t, res);
                    for (int k = 0; k < 8; k++) System.arraycopy(res, k * BLOCK, out, (t + k) * rows + r0, nr);
                }
                for (; t < n; t++) {
                    tile1(panel, cols, xs, t, res);
                    System.arraycopy(res, 0, out, t * rows + r0, nr);
                }
            }
        });
    }

    /** Each thread's panel, kept between calls: a prompt batch would otherwise allocate one per matrix and thread. */
    private static final ThreadLocal<float[]> PANELS = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] panel(int size) {
        float[] p = PANELS.get();
        if (p.length < size) {
            p = new float[size];
            PANELS.set(p);
        }
        return p;
    }

    /** panel[g·cols·16 + j·16 + r] = value j of row r of group g of the block (groups beyond {@code groups} are zero). */
    private static void fillPanel(Tensor w, int g0, int groups, float[] panel) {
        int cols = w.cols();
        if (!w.packed()) {
            fillUnpacked(w, g0 * Repack.GROUP, panel);
            return;
        }
        Repack.PanelFiller fill = Repack.layout(w.type()).panel();
        for (int g = 0; g < 2; g++) {
            int base = g * cols * Repack.GROUP;
            if (g >= groups) {
                java.util.Arrays.fill(panel, base, base + cols * Repack.GROUP, 0f);
                continue;
            }
            fill.run(w.data(), cols, g0 + g, panel, base);
        }
    }

    /** The float types' matrices (file layout): rows r0.. r0+31 (those past the end zero), each row widened once. */
    private static void fillUnpacked(Tensor w, int r0, float[] panel) {
        int cols = w.cols(), rows = w.rows();
        float[] row = ROWS.get();
        if (row.length < cols) {
            row = new float[cols];
            ROWS.set(row);
        }
        for (int r = 0; r < BLOCK; r++) {
            int base = (r / Repack.GROUP) * cols * Repack.GROUP + r % Repack.GROUP;
            if (r0 + r >= rows) {
                for (int j = 0; j < cols; j++) panel[base + Repack.GROUP * j] = 0f;
                continue;
            }
            Dequant.row(w, r0 + r, row, 0);
            for (int j = 0; j < cols; j++) panel[base + Repack.GROUP * j] = row[j];
        }
    }

    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);

    /** Whether a matrix in the file layout goes through float panels for batches: the float types, whose rows widen for free. */
    static boolean unpackedPanels(Tensor w) {
        return !w.packed() && (w.type() == io.jollama.engine.gguf.GgmlType.F16 || w.type() == io.jollama.engine.gguf.GgmlType.BF16
                || w.type() == io.jollama.engine.gguf.GgmlType.F32);
    }

    private static void tile8(float[] panel, int cols, float[] xs, int t0, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        final int x0 = t0 * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols, x4 = x3 + cols, x5 = x4 + cols, x6 = x5 + cols, x7 = x6 + cols;
        final int second = cols * Repack.GROUP;
        for (int j = 0; j < cols; j++) {
            final FloatVector w0 = FloatVector.fromArray(F, panel, Repack.GROUP * j);
            final FloatVector w1 = FloatVector.fromArray(F, panel, second + Repack.GROUP * j);
            FloatVector x;
            x = FloatVector.broadcast(F, xs[x0 + j]); a0 = w0.fma(x, a0); b0 = w1.fma(x, b0);
            x = FloatVector.broadcast(F, xs[x1 + j]); a1 = w0.fma(x, a1); b1 = w1.fma(x, b1);
            x = FloatVector.broadcast(F, xs[x2 + j]); a2 = w0.fma(x, a2); b2 = w1.fma(x, b2);
            x = FloatVector.broadcast(F, xs[x3 + j]); a3 = w0.fma(x, a3); b3 = w1.fma(x, b3);
            x = FloatVector.broadcast(F, xs[x4 + j]); a4 = w0.fma(x, a4); b4 = w1.fma(x, b4);
            x = FloatVector.broadcast(F, xs[x5 + j]); a5 = w0.fma(x, a5); b5 = w1.fma(x, b5);
            x = FloatVector.broadcast(F, xs[x6 + j]); a6 = w0.fma(x, a6); b6 = w1.fma(x, b6);
            x = FloatVector.broadcast(F, xs[x7 + j]); a7 = w0.fma(x, a7); b7 = w1.fma(x, b7);
        }
        a0.intoArray(out, 0); b0.intoArray(out, 16);
        a1.intoArray(out, 32); b1.intoArray(out, 48);
        a2.intoArray(out, 64); b2.intoArray(out, 80);
        a3.intoArray(out, 96); b3.intoArray(out, 112);
        a4.intoArray(out, 128); b4.intoArray(out, 144);
        a5.intoArray(out, 160); b5.intoArray(out, 176);
        a6.intoArray(out, 192); b6.intoArray(out, 208);
        a7.intoArray(out, 224); b7.intoArray(out, 240);
    }

    /** One token against the panel, each row summed in the same order as {@link #tile8}. */
    private static void tile1(float[] panel, int cols, float[] xs, int t, float[] out) {
        FloatVector a0 = FloatVector.zero(F), b0 = a0;
        final int x0 = t * cols, second = cols * Repack.GROUP;
        for (int j = 0; j < cols; j++) {
            final FloatVector x = FloatVector.broadcast(F, xs[x0 + j]);
            a0 = FloatVector.fromArray(F, panel, Repack.GROUP * j).fma(x, a0);
            b0 = FloatVector.fromArray(F, panel, second + Repack.GROUP * j).fma(x, b0);
        }
        a0.intoArray(out, 0);
        b0.intoArray(out, 16);
    }
}
