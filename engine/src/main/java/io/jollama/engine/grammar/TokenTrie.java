package io.jollama.engine.grammar;

import io.jollama.engine.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A prefix tree of a vocabulary's token bytes, stored in pre-order: node {@code i}'s subtree is
 * {@code [i, i + size[i])}, its children are {@code i + 1}, then each next one {@code size} further on; {@code edge[i]}
 * is the byte leading into node {@code i}. Tokens whose bytes end at a node are listed there. End-of-generation tokens
 * and tokens without text (control, unknown) are kept apart: a grammar decides about them separately.
 * Built once per tokenizer and shared (immutable).
 */
public final class TokenTrie {
    private static final Map<Tokenizer, TokenTrie> CACHE = new WeakHashMap<>();

    final byte[] edge;
    final int[] size;
    final int[] tokenStart; // node i's tokens are tokens[tokenStart[i] .. tokenStart[i + 1])
    final int[] tokens;
    final int vocab;
    final int[] eog;
    final byte[][] bytes; // by token id; null for the tokens kept apart

    private TokenTrie(byte[] edge, int[] size, int[] tokenStart, int[] tokens, int vocab, int[] eog, byte[][] bytes) {
        this.bytes = bytes;
        this.edge = edge;
        this.size = size;
        this.tokenStart = tokenStart;
        this.tokens = tokens;
        this.vocab = vocab;
        this.eog = eog;
    }

    /** The trie of this tokenizer's vocabulary (built on first use). */
    public static TokenTrie of(Tokenizer tokenizer) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(tokenizer, TokenTrie::build);
        }
    }

    public int nodes() {
        return size.length;
    }

    private static TokenTrie build(Tokenizer t) {
        int vocab = t.vocabSize();
        byte[][] bytes = new byte[vocab][];
        Integer[] order = new Integer[vocab];
        int n = 0, eogCount = 0;
        int[] eog = new int[vocab];
        for (int id = 0; id < vocab; id++) {
            if (t.isEog(id)) {
                eog[eogCount++] = id;
                continue;
            }
            byte[] b = t.tokenBytes(id);
            if (b.length == 0) continue;
            bytes[id] = b;
            order[n++] = id;
        }
        Arrays.sort(order, 0, n, (a, b) -> Arrays.compareUnsigned(bytes[a], bytes[b]));
        // pre-order construction over the sorted keys: the path of open nodes is the previous key's prefix
        int cap = 1024;
        byte[] edge = new byte[cap];
        int[] size = new int[cap];
        int[] tokenNode = new int[n];
        int nodes = 1; // the root
        int[] path = new int[1];
        byte[] prev = new byte[0];
        int depth = 0;
        for (int k = 0; k < n; k++) {
            byte[] key = bytes[order[k]];
            int common = 0;
            while (common < Math.min(depth, key.length) && prev[common] == key[common]) common++;
            while (depth > common) {
                int node = path[depth];
                size[node] = nodes - node;
                depth--;
            }
            if (path.length < key.length + 1) path = Arrays.copyOf(path, key.length + 1);
            for (int d = common; d < key.length; d++) {
                if (nodes == cap) {
                    cap *= 2;
                    edge = Arrays.copyOf(edge, cap);
                    size = Arrays.copyOf(size, cap);
                }
                edge[nodes] = key[d];
                path[++depth] = nodes++;
            }
            tokenNode[k] = path[depth];
            prev = key;
        }
        while (depth > 0) {
            int node = path[depth];
            size[node] = nodes - node;
            depth--;
        }
        size[0] = nodes;
        // tokens by node (tokenNode is non-decreasing: keys are sorted, nodes numbered in pre-order)
        int[] tokenStart = new int[nodes + 1];
        int[] tokens = new int[n];
        int k = 0;
        for (int node = 0; node < nodes; node++) {
            tokenStart[node] = k;
            while (k < n && tokenNode[k] == node) {
                tokens[k] = order[k];
                k++;
            }
        }
        tokenStart[nodes] = k;
        return new TokenTrie(Arrays.copyOf(edge, nodes), Arrays.copyOf(size, nodes), tokenStart, tokens, vocab,
                Arrays.copyOf(eog, eogCount), bytes);
    }
}
