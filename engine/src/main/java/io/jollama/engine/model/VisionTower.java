package io.jollama.engine.model;

import io.jollama.engine.tensor.MatMul;
import io.jollama.engine.tensor.Tensor;

import java.util.List;

/**
 * A vision transformer (CLIP's or SigLIP's ViT) over one image: the patch embedding (a convolution whose stride is
 * its size, computed as one matrix product over the image's patches), an optional class embedding, learned
 * positions, an optional LayerNorm before the blocks, pre-norm blocks with bidirectional attention, and an
 * optional LayerNorm after them. The blocks are {@link DecoderBlock}s whose attention is not causal.
 *
 * @param patchWeight the patch embedding as a matrix of {@code dim} rows of {@code 3·patch²} values (channel, row, column)
 * @param patchBias   or null
 * @param classEmbedding or null; as llama.cpp's llava graph builds it, the class row follows the patch rows
 * @param positions   {@code rows × dim} learned position embeddings, one per row of the input
 */
public record VisionTower(int patch, int dim, Tensor patchWeight, float[] patchBias, float[] classEmbedding, float[] positions,
                          Norm preNorm, List<Block> blocks, Norm postNorm) {

    /**
     * The final hidden states ({@code rows × dim}: the patches in row-major order, then the class row when there is
     * one) of an image given as normalised planar pixels ({@code 3 × height × width}, channel-major).
     */
    public float[] forward(float[] pixels, int width, int height) {
        return forward(pixels, width, height, () -> false);
    }

    /**
     * As {@link #forward(float[], int, int)}; {@code cancelled} is checked between blocks, and a cancelled pass
     * ends with a {@link java.util.concurrent.CancellationException}.
     */
    public float[] forward(float[] pixels, int width, int height, java.util.function.BooleanSupplier cancelled) {
        int nx = width / patch, ny = height / patch, patches = nx * ny, cols = 3 * patch * patch;
        if (nx == 0 || ny == 0) throw new IllegalArgumentException("an image of " + width + "×" + height + " has no " + patch + "-pixel patch");
        float[] rows = new float[patches * cols];
        for (int py = 0; py < ny; py++) {
            for (int px = 0; px < nx; px++) {
                int base = (py * nx + px) * cols;
                for (int c = 0; c < 3; c++) {
                    for (int ky = 0; ky < patch; ky++) {
                        int src = c * width * height + (py * patch + ky) * width + px * patch;
                        System.arraycopy(pixels, src, rows, base + (c * patch + ky) * patch, patch);
                    }
                }
            }
        }
        int n = patches + (classEmbedding == null ? 0 : 1);
        if (positions.length != n * dim) throw new IllegalArgumentException("the image gives " + n + " positions, the model has " + positions.length / dim);
        float[] x = new float[n * dim];
        if (patches == 1) MatMul.matvec(patchWeight, rows, x);
        else MatMul.matmul(patchWeight, rows, patches, x);
        for (int i = 0; i < patches; i++) {
            if (patchBias != null) for (int d = 0; d < dim; d++) x[i * dim + d] += patchBias[d];
        }
        if (classEmbedding != null) System.arraycopy(classEmbedding, 0, x, patches * dim, dim);
        for (int i = 0; i < n * dim; i++) x[i] += positions[i];

        ForwardPass p = new ForwardPass(Batch.encodeEmbeddings(x, n));
        if (preNorm != null) p.norm(preNorm, x, x, dim);
        for (Block block : blocks) {
            if (cancelled.getAsBoolean()) throw new java.util.concurrent.CancellationException("image encoding cancelled");
            block.forward(p, x);
        }
        if (postNorm != null) p.norm(postNorm, x, x, dim);
        return x;
    }

    /** The number of rows {@link #forward} returns for an image of this size. */
    public int rows(int width, int height) {
        return (width / patch) * (height / patch) + (classEmbedding == null ? 0 : 1);
    }
}
