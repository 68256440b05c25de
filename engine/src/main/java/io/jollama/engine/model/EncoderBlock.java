package io.jollama.engine.model;

import static io.jollama.engine.model.ForwardPass.Buffer;

/** BERT's post-norm residual block: x = norm(x + attention(x)), then x = norm(x + feedForward(x)). */
public record EncoderBlock(Attention attention, Norm attnOutNorm, FeedForward feedForward, Norm layerOutNorm) implements Block {

    @Override
    public void forward(ForwardPass p, float[] x) {
        int dim = attnOutNorm.size();
        float[] out = p.buffer(Buffer.ATTENTION_OUT, dim);
        attention.forward(p, x, out);
        for (int i = 0; i < p.n * dim; i++) x[i] = out[i] + x[i];
        p.norm(attnOutNorm, x, x, dim);
        float[] ffnOut = p.buffer(Buffer.FFN_OUT, dim);
        feedForward.forward(p, x, ffnOut);
        for (int i = 0; i < p.n * dim; i++) x[i] = ffnOut[i] + x[i];
        p.norm(layerOutNorm, x, x, dim);
    }

    @Override
    public void shiftKeys(KvCache cache, int from, int count, int delta) {
        throw new UnsupportedOperationException("an encoder has no cache to shift");
    }
}
