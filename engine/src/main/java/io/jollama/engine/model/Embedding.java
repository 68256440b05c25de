package io.jollama.engine.model;

/** The input layer: the batch's tokens as vectors of the model width. */
public interface Embedding {
    /** The embeddings of the batch's tokens, {@code n × dim}. */
    float[] lookup(Batch b);
}
