package io.jollama.engine.model;

/** RMSNorm: x / √(mean(x²) + eps) · weight. */
public record RmsNorm(float[] weight, float eps) implements Norm {
    @Override
    public void apply(float[] out, int outOff, float[] x, int off) {
        Ops.rmsnorm(out, outOff, x, off, weight, weight.length, eps);
    }

    @Override
    public int size() {
        return weight.length;
    }
}
