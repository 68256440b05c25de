package io.jollama.engine.vision;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.VisionTower;
import io.jollama.engine.tensor.MatMul;
import io.jollama.engine.tensor.Tensor;

/**
 * LLaVA's vision side (llava 1.5, bakllava, llava-phi3, LLaVA-NeXT; projector type {@code mlp}): a CLIP ViT whose
 * second-to-last layer's states (all blocks but the last, as llama.cpp's llava graph runs them) go through a
 * two-layer MLP, {@code mm.2 · gelu(mm.0 · x + b0) + b2}, one row per patch. Images are padded to a square of
 * CLIP's mean colour and resized bicubically; with resolution candidates (LLaVA-NeXT) a large image becomes several
 * tiles and an overview, each encoded alone, as llama.cpp's mtmd does (without LLaVA-NeXT's unpadding and row ends).
 */
final class Llava {
    private Llava() {}

    static VisionModel load(GgufFile f) throws GgufFormatException {
        VisionHparams h = VisionHparams.read(f);
        // the states after all blocks but the last, or after the one feature layer the file names (several, which
        // granite vision concatenates, are not supported)
        int depth = h.layers() - 1;
        if (f.getArray("clip.vision.feature_layer") != null) {
            int[] layers = f.getInts("clip.vision.feature_layer");
            if (layers == null || layers.length != 1 || layers[0] < 1 || layers[0] > h.layers()) {
                throw new GgufFormatException(f.path() + ": vision feature layers " + java.util.Arrays.toString(layers) + " are not supported yet (one layer is)");
            }
            depth = layers[0];
        }
        if (f.hasTensor("mm.3.weight")) throw new GgufFormatException(f.path() + ": the normed MLP projector (Yi-VL) is not supported yet");
        float[] cls = h.weights().optionalVector("v.class_embd", h.dim());
        int patches = (h.imageSize() / h.patch()) * (h.imageSize() / h.patch());
        int rows = patches + (cls == null ? 0 : 1);
        VisionTower tower = new VisionTower(h.patch(), h.dim(), h.patchWeight(), h.weights().optionalVector("v.patch_embd.bias", h.dim()),
                cls, h.positions(rows), h.layerNorm("v.pre_ln"), h.blocks(depth), h.layerNorm("v.post_ln"));
        var mm0 = f.tensor("mm.0.weight");
        var mm2 = f.tensor("mm.2.weight");
        if (mm0 == null || mm2 == null) throw new GgufFormatException(f.path() + ": missing tensor " + (mm0 == null ? "mm.0.weight" : "mm.2.weight"));
        int hidden = (int) mm0.rows(), out = (int) mm2.rows();
        Tensor w0 = h.matrix("mm.0.weight", h.dim(), hidden), w2 = h.matrix("mm.2.weight", hidden, out);
        float[] b0 = h.weights().vector("mm.0.bias", hidden), b2 = h.weights().vector("mm.2.bias", out);
        ImagePreprocessor pre = new ImagePreprocessor(h.imageSize(), ImagePreprocessor.Resize.BICUBIC, new int[]{122, 116, 104}, h.mean(), h.std(),
                pinpoints(f, h.imageSize()));
        boolean skipFirst = cls != null;
        VisionModel.Projector projector = new VisionModel.Projector() {
            @Override
            public float[] project(float[] states, int n) {
                // the rows after the first (llama.cpp selects patches 1..n when there is a class row)
                int m = tokens(n), dim = h.dim();
                float[] x = skipFirst ? java.util.Arrays.copyOfRange(states, dim, (m + 1) * dim) : states;
                float[] a = new float[m * hidden];
                matmul(w0, x, m, a);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < hidden; j++) a[i * hidden + j] = io.jollama.engine.model.PlainFeedForward.Activation.GELU.apply(a[i * hidden + j] + b0[j]);
                }
                float[] y = new float[m * out];
                matmul(w2, a, m, y);
                for (int i = 0; i < m; i++) for (int j = 0; j < out; j++) y[i * out + j] += b2[j];
                return y;
            }

            @Override
            public int tokens(int n) {
                return skipFirst ? n - 1 : n;
            }
        };
        return new VisionModel(f, "mlp", pre, tower, projector, out, "", "", false);
    }

    /** LLaVA-NeXT's resolution candidates ({@code clip.vision.image_grid_pinpoints}: width, height, ...), or none. */
    static java.util.List<int[]> pinpoints(GgufFile f, int size) throws GgufFormatException {
        if (f.getArray("clip.vision.image_grid_pinpoints") == null) return java.util.List.of();
        int[] v = f.getInts("clip.vision.image_grid_pinpoints");
        if (v == null || v.length == 0 || v.length % 2 != 0) throw new GgufFormatException(f.path() + ": clip.vision.image_grid_pinpoints must hold width, height pairs");
        java.util.List<int[]> out = new java.util.ArrayList<>();
        for (int i = 0; i < v.length; i += 2) {
            if (v[i] <= 0 || v[i + 1] <= 0 || v[i] % size != 0 || v[i + 1] % size != 0) {
                throw new GgufFormatException(f.path() + ": resolution candidate " + v[i] + "×" + v[i + 1] + " is not made of " + size + "-pixel tiles");
            }
            out.add(new int[]{v[i], v[i + 1]});
        }
        return out;
    }

    static void matmul(Tensor w, float[] x, int n, float[] out) {
        if (n == 1) MatMul.matvec(w, x, out);
        else MatMul.matmul(w, x, n, out);
    }
}
