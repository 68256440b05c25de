package io.jollama.engine.model;

import io.jollama.engine.tensor.Tensor;

import static io.jollama.engine.model.ForwardPass.Buffer;

/** A gated feed-forward: down(act(gate·x) ⊙ up·x), SwiGLU with SiLU (llama, qwen, phi3), GEGLU with GELU (Gemma). */
public record GatedFeedForward(Tensor gate, Tensor up, Tensor down, Activation activation) implements FeedForward {

    public enum Activation { SILU, GELU }

    @Override
    public void forward(ForwardPass p, float[] x, float[] out) {
        int ffn = gate.rows();
        float[] g = p.buffer(Buffer.GATE, ffn);
        float[] u = p.buffer(Buffer.UP, ffn);
        p.projectTogether(x, gate, g, up, u, null, null);
        boolean gelu = activation == Activation.GELU;
        p.forEachToken(i -> {
            if (gelu) for (int j = i * ffn; j < (i + 1) * ffn; j++) g[j] = Ops.geluTable(g[j]) * u[j];
            else for (int j = i * ffn; j < (i + 1) * ffn; j++) g[j] = Ops.silu(g[j]) * u[j];
        });
        p.project(down, g, out);
    }
}
