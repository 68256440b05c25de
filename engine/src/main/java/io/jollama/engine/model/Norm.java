package io.jollama.engine.model;

/** A normalization of one row of {@code size()} values. */
public interface Norm {
    void apply(float[] out, int outOff, float[] x, int off);

    int size();
}
