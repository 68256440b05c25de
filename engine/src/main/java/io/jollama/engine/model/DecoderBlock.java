package io.jollama.engine.model;

import static io.jollama.engine.model.ForwardPass.Buffer;

/**
 * A pre-norm residual block: x += attention(norm(x)), then x += feedForward(norm(x)). Gemma 3 also normalizes
 * each part's output before adding it ({@code postAttnNorm}, {@code postFfnNorm}; null when absent).
 */
public record DecoderBlock(Norm attnNorm, Attention attention, Norm postAttnNorm,
                           Norm ffnNorm, FeedForward feedForward, Norm postFfnNorm) implements Block {

    /** A block without post norms. */
    public DecoderBlock(Norm attnNorm, Attention attention, Norm ffnNorm, FeedForward feedForward) {
        this(attnNorm, attention, null, ffnNorm, feedForward, null);
    }

    @Override
    public void forward(ForwardPass p, float[] x) {
        int dim = attnNorm.size();
        float[] normed = p.buffer(Buffer.NORMED, dim);
        float[] out = p.buffer(Buffer.ATTENTION_OUT, dim);
        p.norm(attnNorm, normed, x, dim);
        attention.forward(p, normed, out);
        if (postAttnNorm != null) p.norm(postAttnNorm, out, out, dim);
        for (int i = 0; i < p.n * dim; i++) x[i] += out[i];

        p.norm(ffnNorm, normed, x, dim);
        float[] ffnOut = p.buffer(Buffer.FFN_OUT, dim);
        feedForward.forward(p, normed, ffnOut);
        if (postFfnNorm != null) p.norm(postFfnNorm, ffnOut, ffnOut, dim);
        for (int i = 0; i < p.n * dim; i++) x[i] += ffnOut[i];
    }

    @Override
    public void shiftKeys(KvCache cache, int from, int count, int delta) {
        attention.shiftKeys(cache, from, count, delta);
    }
}
