package io.jollama.engine.model;

/** One layer of a transformer: it updates the pass's hidden states {@code x} ({@code n × dim}) in place. */
public interface Block {
    void forward(ForwardPass p, float[] x);

    /** Corrects the cached keys of rows [from, from+count) of this layer, moved by {@code delta} positions. */
    void shiftKeys(KvCache cache, int from, int count, int delta);
}
