package io.jollama.engine.vision;

import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.RmsNorm;
import io.jollama.engine.model.VisionTower;
import io.jollama.engine.tensor.Dequant;
import io.jollama.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Gemma 3's vision side (projector type {@code gemma3}): a SigLIP ViT over the whole image (no class row), its
 * patch grid averaged over {@code n×n} squares ({@code clip.vision.projector.scale_factor}, 4 by default: 896²
 * images give 256 rows), an RMSNorm ({@code mm.soft_emb_norm}) and the projection into the text model
 * ({@code mm.input_projection}, stored transposed). Images are fitted into the square bilinearly and padded with
 * black, as mtmd does. In the text model the image sits between {@code <start_of_image>} and
 * {@code <end_of_image>} and its rows attend to each other.
 */
final class Gemma3Vision {
    private Gemma3Vision() {}

    static VisionModel load(GgufFile f) throws GgufFormatException {
        VisionHparams h = VisionHparams.read(f);
        int side = h.imageSize() / h.patch();
        int merge = f.getInt("clip.vision.projector.scale_factor", 4);
        if (merge <= 0 || side % merge != 0) throw new GgufFormatException(f.path() + ": " + side + " patches per side cannot be pooled by " + merge);
        VisionTower tower = new VisionTower(h.patch(), h.dim(), h.patchWeight(), h.weights().optionalVector("v.patch_embd.bias", h.dim()),
                null, h.positions(side * side), h.layerNorm("v.pre_ln"), h.blocks(h.layers()), h.layerNorm("v.post_ln"));
        RmsNorm norm = new RmsNorm(h.weights().vector("mm.soft_emb_norm.weight", h.dim()), h.eps());
        var info = f.tensor("mm.input_projection.weight");
        if (info == null || info.shape().length != 2 || info.shape()[1] != h.dim()) {
            throw new GgufFormatException(f.path() + ": missing or misshapen tensor mm.input_projection.weight (expected [text width, " + h.dim() + "])");
        }
        int out = (int) info.shape()[0];
        Tensor projection = transposed(f, Tensor.of(f, info), out, h.dim());
        ImagePreprocessor pre = new ImagePreprocessor(h.imageSize(), ImagePreprocessor.Resize.BILINEAR, new int[]{0, 0, 0}, h.mean(), h.std());
        int pooledSide = side / merge, dim = h.dim();
        VisionModel.Projector projector = new VisionModel.Projector() {
            @Override
            public float[] project(float[] states, int n) {
                int m = pooledSide * pooledSide;
                float[] pooled = new float[m * dim];
                for (int oy = 0; oy < pooledSide; oy++) {
                    for (int ox = 0; ox < pooledSide; ox++) {
                        int o = (oy * pooledSide + ox) * dim;
                        for (int d = 0; d < dim; d++) {
                            float sum = 0f;
                            for (int ky = 0; ky < merge; ky++) {
                                for (int kx = 0; kx < merge; kx++) sum += states[((oy * merge + ky) * side + ox * merge + kx) * dim + d];
                            }
                            pooled[o + d] = sum / (merge * merge);
                        }
                    }
                }
                for (int i = 0; i < m; i++) norm.apply(pooled, i * dim, pooled, i * dim);
                float[] y = new float[m * out];
                Llava.matmul(projection, pooled, m, y);
                return y;
            }

            @Override
            public int tokens(int n) {
                return pooledSide * pooledSide;
            }
        };
        return new VisionModel(f, "gemma3", pre, tower, projector, out, "<start_of_image>", "<end_of_image>", true);
    }

    /**
     * The projection as a matrix of {@code rows} rows of {@code cols} values: the file stores its transpose. Written
     * once into the file's off-heap memory, in F16 when the file's is F16 (llama.cpp multiplies by an F16 copy too).
     */
    private static Tensor transposed(GgufFile f, Tensor t, int rows, int cols) {
        float[] values = Dequant.all(t);
        boolean half = t.type() == GgmlType.F16;
        MemorySegment seg = f.arena().allocate((long) rows * cols * (half ? 2 : 4), 64);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = values[c * rows + r];
                long i = (long) r * cols + c;
                if (half) seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
                else seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
            }
        }
        return new Tensor(t.name() + "ᵀ", half ? GgmlType.F16 : GgmlType.F32, new long[]{cols, rows}, seg);
    }
}
