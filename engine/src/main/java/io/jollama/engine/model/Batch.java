package io.jollama.engine.model;

import java.util.Arrays;
import java.util.List;

/**
 * The tokens of one forward pass: token i at position {@code positions[i]} of {@code caches[i]}. One sequence's
 * prompt is one cache with consecutive positions (each token also sees the batch's earlier tokens); a step of
 * batched decoding has one token per sequence, and is {@code exact}: each token's products are bit-equal to those
 * of a pass of that token alone. An encoder's batch ({@link #encode}) has no caches: its sequences are runs of
 * tokens whose positions start at 0, and each token sees every token of its sequence.
 * <p>
 * A batch may carry its input vectors instead of token ids ({@code embeddings}, {@code n × dim}: an image's
 * embeddings from a vision projector), and may be {@code bidirectional}: each of its tokens then also sees the
 * batch's later tokens (Gemma 3 attends an image's tokens to each other this way).
 */
public record Batch(int[] tokens, KvCache[] caches, int[] positions, boolean exact, float[] embeddings, boolean bidirectional) {

    public Batch {
        if (tokens.length == 0 || caches.length != tokens.length || positions.length != tokens.length) {
            throw new IllegalArgumentException("one cache and one position per token, and at least one token");
        }
        if (embeddings != null && embeddings.length % tokens.length != 0) {
            throw new IllegalArgumentException(embeddings.length + " input values for " + tokens.length + " tokens");
        }
    }

    public Batch(int[] tokens, KvCache[] caches, int[] positions, boolean exact) {
        this(tokens, caches, positions, exact, null, false);
    }

    /**
     * {@code n} input vectors ({@code n × dim}) of one sequence at positions {@code pos, pos+1, ...}, in place of
     * tokens (their ids are placeholders, never looked up).
     */
    public static Batch ofEmbeddings(KvCache cache, float[] embeddings, int n, int pos, boolean bidirectional) {
        Batch b = of(cache, new int[n], 0, n, pos);
        return new Batch(b.tokens, b.caches, b.positions, false, embeddings, bidirectional);
    }

    /** One encoder input given as vectors ({@code n × dim}, e.g. image patches), at positions 0 .. n-1, without a cache. */
    public static Batch encodeEmbeddings(float[] embeddings, int n) {
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) positions[i] = i;
        return new Batch(new int[n], new KvCache[n], positions, false, embeddings, true);
    }

    /** {@code n} tokens of one sequence from {@code tokens[offset..]}, at positions {@code pos, pos+1, ...}. */
    public static Batch of(KvCache cache, int[] tokens, int offset, int n, int pos) {
        KvCache[] caches = new KvCache[n];
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            caches[i] = cache;
            positions[i] = pos + i;
        }
        return new Batch(Arrays.copyOfRange(tokens, offset, offset + n), caches, positions, false);
    }

    /** One token per sequence: token i at {@code positions[i]} of {@code caches[i]}. */
    public static Batch each(KvCache[] caches, int[] tokens, int[] positions) {
        return new Batch(tokens.clone(), caches.clone(), positions.clone(), true);
    }

    /** Whole inputs for an encoder, one after the other, each at positions 0, 1, ... and without a cache. */
    public static Batch encode(List<int[]> inputs) {
        int n = 0;
        for (int[] in : inputs) {
            if (in.length == 0) throw new IllegalArgumentException("an empty input");
            n += in.length;
        }
        int[] tokens = new int[n], positions = new int[n];
        int i = 0;
        for (int[] in : inputs) {
            for (int j = 0; j < in.length; j++, i++) {
                tokens[i] = in[j];
                positions[i] = j;
            }
        }
        return new Batch(tokens, new KvCache[n], positions, false);
    }

    public int size() {
        return tokens.length;
    }

    /** The number of tokens of the sequence that token i belongs to, in an encoder's batch. */
    int sequenceLength(int i) {
        int start = i - positions[i], end = i + 1;
        while (end < tokens.length && positions[end] == end - start) end++;
        return end - start;
    }
}
