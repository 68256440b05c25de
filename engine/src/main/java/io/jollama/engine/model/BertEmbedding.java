package io.jollama.engine.model;

import io.jollama.engine.tensor.Dequant;

/**
 * BERT's input layer: the token's embedding plus the first token-type row ("sentence A", as llama.cpp hard-codes)
 * and, for absolute positions, the position's row; then a LayerNorm. Optional parts are null.
 */
public record BertEmbedding(TokenEmbedding tokens, float[] typeRow, io.jollama.engine.tensor.Tensor positions, LayerNorm norm)
        implements Embedding {

    @Override
    public float[] lookup(Batch b) {
        float[] x = tokens.lookup(b);
        int dim = norm.size();
        float[] row = new float[dim];
        for (int i = 0; i < b.size(); i++) {
            if (typeRow != null) for (int d = 0; d < dim; d++) x[i * dim + d] += typeRow[d];
            if (positions != null) {
                int pos = b.positions()[i];
                if (pos >= positions.rows()) throw new IllegalArgumentException("position " + pos + " beyond the model's " + positions.rows() + " positions");
                Dequant.row(positions, pos, row, 0);
                for (int d = 0; d < dim; d++) x[i * dim + d] = row[d] + x[i * dim + d];
            }
            norm.apply(x, i * dim, x, i * dim);
        }
        return x;
    }
}
