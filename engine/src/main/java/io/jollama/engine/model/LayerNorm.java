package io.jollama.engine.model;

/** LayerNorm as ggml computes it: (x − mean) / √(variance + eps) (sums in double), then · weight + bias. */
public record LayerNorm(float[] weight, float[] bias, float eps) implements Norm {
    @Override
    public void apply(float[] out, int outOff, float[] x, int off) {
        int n = weight.length;
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[off + i];
        float mean = (float) (sum / n);
        double sq = 0;
        for (int i = 0; i < n; i++) {
            float d = x[off + i] - mean;
            out[outOff + i] = d;
            sq += (double) d * d;
        }
        float scale = (float) (1.0 / Math.sqrt((float) (sq / n) + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = out[outOff + i] * scale * weight[i] + bias[i];
    }

    @Override
    public int size() {
        return weight.length;
    }
}
