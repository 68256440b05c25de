package io.jollama.engine.model;

import io.jollama.engine.tensor.Tensor;

import static io.jollama.engine.model.ForwardPass.Buffer;

/**
 * A feed-forward without gate: down(act(up·x + upBias)) + downBias (biases null when absent); BERT and SigLIP use
 * GELU, CLIP the quick GELU.
 */
public record PlainFeedForward(Tensor up, float[] upBias, Tensor down, float[] downBias, Activation activation) implements FeedForward {

    public enum Activation {
        GELU, GELU_QUICK;

        /** The activation of one value, as ggml's CPU backend computes it (f16 tables). */
        public float apply(float x) {
            return this == GELU ? Ops.geluTable(x) : Ops.geluQuickTable(x);
        }
    }

    public PlainFeedForward(Tensor up, float[] upBias, Tensor down, float[] downBias) {
        this(up, upBias, down, downBias, Activation.GELU);
    }

    @Override
    public void forward(ForwardPass p, float[] x, float[] out) {
        int ffn = up.rows(), dim = down.rows();
        float[] u = p.buffer(Buffer.UP, ffn);
        p.project(up, x, u);
        p.forEachToken(i -> {
            for (int j = 0; j < ffn; j++) {
                float v = upBias == null ? u[i * ffn + j] : u[i * ffn + j] + upBias[j];
                u[i * ffn + j] = activation.apply(v);
            }
        });
        p.project(down, u, out);
        if (downBias != null) p.forEachToken(i -> {
            for (int j = 0; j < dim; j++) out[i * dim + j] += downBias[j];
        });
    }
}
