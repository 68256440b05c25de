package io.jollama.engine.model;

/**
 * Rotary position embedding of the first {@code dim} values of each head: adjacent pairs (2i, 2i+1), or NEOX pairs
 * (i, i + dim/2). Pair i turns by pos·base^(-2i/dim)·freqScale, divided by {@code freqFactors[i]} when the model
 * has them (Llama 3's {@code rope_freqs}).
 */
public final class Rope {
    private final int dim;
    private final float thetaScale;
    private final float freqScale;
    private final float[] freqFactors;
    private final boolean neox;

    public Rope(int dim, float base, float freqScale, float[] freqFactors, boolean neox) {
        this.dim = dim;
        this.thetaScale = (float) Math.pow(base, -2.0 / dim);
        this.freqScale = freqScale;
        this.freqFactors = freqFactors;
        this.neox = neox;
    }

    /** The rope a model's config describes, with the given base (local layers of Gemma 3 have their own). */
    public static Rope of(ModelConfig c, float base, float[] freqFactors) {
        return new Rope(c.ropeDim(), base, c.ropeFreqScale(), freqFactors, c.ropeNeox());
    }

    /** Rotates one head at {@code off} for position {@code pos} (a negative pos turns back). */
    void apply(float[] x, int off, int pos) {
        Ops.rope(x, off, dim, pos, thetaScale, freqScale, freqFactors, neox);
    }
}
