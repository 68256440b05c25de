package io.jollama.engine.model;

import io.jollama.engine.tensor.Tensor;

import static io.jollama.engine.model.ForwardPass.Buffer;

/** BERT's feed-forward: down(gelu(up·x + upBias)) + downBias (biases null when absent). */
public record PlainFeedForward(Tensor up, float[] upBias, Tensor down, float[] downBias) implements FeedForward {

    @Override
    public void forward(ForwardPass p, float[] x, float[] out) {
        int ffn = up.rows(), dim = down.rows();
        float[] u = p.buffer(Buffer.UP, ffn);
        p.project(up, x, u);
        p.forEachToken(i -> {
            for (int j = 0; j < ffn; j++) {
                float v = upBias == null ? u[i * ffn + j] : u[i * ffn + j] + upBias[j];
                u[i * ffn + j] = Ops.geluTable(v);
            }
        });
        p.project(down, u, out);
        if (downBias != null) p.forEachToken(i -> {
            for (int j = 0; j < dim; j++) out[i * dim + j] += downBias[j];
        });
    }
}
