package io.jollama.engine.model;

import io.jollama.engine.tensor.Dequant;
import io.jollama.engine.tensor.Tensor;

/** The rows of the token embedding table, times {@code scale} (Gemma: √dim). */
public record TokenEmbedding(Tensor table, float scale) implements Embedding {

    /** The embeddings of the batch's tokens, {@code n × dim}. */
    @Override
    public float[] lookup(Batch b) {
        int dim = table.cols(), vocab = table.rows();
        float[] x = new float[b.size() * dim];
        for (int i = 0; i < b.size(); i++) {
            int t = b.tokens()[i];
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " outside the vocabulary of " + vocab);
            Dequant.row(table, t, x, i * dim);
        }
        if (scale != 1f) for (int i = 0; i < x.length; i++) x[i] *= scale;
        return x;
    }
}
