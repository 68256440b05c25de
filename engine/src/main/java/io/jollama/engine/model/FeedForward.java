package io.jollama.engine.model;

/** The feed-forward part of a block. */
public interface FeedForward {
    /** Computes the feed-forward output of the pass's tokens ({@code x}: their normed states) into {@code out}. */
    void forward(ForwardPass p, float[] x, float[] out);
}
