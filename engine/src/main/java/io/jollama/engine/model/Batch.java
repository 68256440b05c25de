package io.jollama.engine.model;

import java.util.Arrays;

/**
 * The tokens of one forward pass: token i at position {@code positions[i]} of {@code caches[i]}. One sequence's
 * prompt is one cache with consecutive positions (each token also sees the batch's earlier tokens); a step of
 * batched decoding has one token per sequence, and is {@code exact}: each token's products are bit-equal to those
 * of a pass of that token alone.
 */
public record Batch(int[] tokens, KvCache[] caches, int[] positions, boolean exact) {

    public Batch {
        if (tokens.length == 0 || caches.length != tokens.length || positions.length != tokens.length) {
            throw new IllegalArgumentException("one cache and one position per token, and at least one token");
        }
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

    public int size() {
        return tokens.length;
    }
}
