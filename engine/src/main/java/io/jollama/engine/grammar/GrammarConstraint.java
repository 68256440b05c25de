package io.jollama.engine.grammar;

import java.util.HashMap;
import java.util.Map;

/**
 * Constrains one generation to a grammar: {@link #mask} sets the logits of every token the grammar refuses to
 * -infinity, so the sampler draws only from tokens that keep the output in the grammar's language (and the end of
 * generation only where the output is complete); {@link #allows} checks one token cheaply. The allowed tokens of a
 * grammar state are found by walking the vocabulary's {@link TokenTrie} through the {@link GrammarMatcher}, once per
 * state: they are remembered, and generation mostly revisits a few states (inside a string, between digits).
 */
public final class GrammarConstraint {
    private static final int MAX_MASKS = 2048;
    private final GrammarMatcher matcher;
    private final TokenTrie trie;
    private final Map<Integer, long[]> masks = new HashMap<>();
    private int state;

    public GrammarConstraint(Grammar grammar, TokenTrie trie) {
        this.matcher = new GrammarMatcher(grammar);
        this.trie = trie;
        this.state = matcher.start();
    }

    /** Whether the output is complete and nothing may follow: generation ends here. */
    public boolean finished() {
        return matcher.finished(state);
    }

    /**
     * Copies the first {@code vocab} logits into {@code out}, refused tokens as -infinity. Returns false when no token
     * is allowed (the grammar cannot be continued with this vocabulary).
     */
    public boolean mask(float[] logits, int vocab, float[] out) {
        long[] allowed = allowed();
        boolean any = false;
        for (int id = 0; id < vocab; id++) {
            boolean ok = id < trie.vocab && (allowed[id >>> 6] & 1L << id) != 0;
            out[id] = ok ? logits[id] : Float.NEGATIVE_INFINITY;
            any |= ok;
        }
        return any;
    }

    /**
     * Whether this token may come next: from the state's mask when it is known, else by running the token's bytes
     * alone (no walk over the vocabulary).
     */
    public boolean allows(int token) {
        if (token < 0 || token >= trie.vocab) return false;
        long[] m = masks.get(state);
        if (m != null) return (m[token >>> 6] & 1L << token) != 0;
        for (int e : trie.eog) if (e == token) return matcher.accepting(state);
        return advance(token) != GrammarMatcher.DEAD;
    }

    /** Commits a sampled token (an end-of-generation token changes nothing). */
    public void accept(int token) {
        for (int e : trie.eog) if (e == token) return;
        int next = advance(token);
        if (next == GrammarMatcher.DEAD) throw new IllegalStateException("token " + token + " is not allowed by the grammar");
        int before = matcher.stateCount();
        state = matcher.compact(next);
        if (matcher.stateCount() < before) masks.clear(); // state ids were renumbered
    }

    private int advance(int token) {
        byte[] bytes = trie.bytes[token];
        return bytes == null ? GrammarMatcher.DEAD : matcher.advance(state, bytes);
    }

    /** The allowed tokens of the current state as a bit set over the vocabulary. */
    private long[] allowed() {
        long[] m = masks.get(state);
        if (m != null) return m;
        m = new long[(trie.vocab + 63) >>> 6];
        walk(0, state, m);
        if (matcher.accepting(state)) for (int e : trie.eog) m[e >>> 6] |= 1L << e;
        if (masks.size() >= MAX_MASKS) masks.clear(); // a bound on memory (a mask is vocabulary/8 bytes)
        masks.put(state, m);
        return m;
    }

    private void walk(int node, int s, long[] m) {
        int end = node + trie.size[node];
        for (int c = node + 1; c < end; c += trie.size[c]) {
            int ns = matcher.next(s, trie.edge[c] & 0xFF);
            if (ns == GrammarMatcher.DEAD) continue;
            for (int i = trie.tokenStart[c]; i < trie.tokenStart[c + 1]; i++) {
                int t = trie.tokens[i];
                m[t >>> 6] |= 1L << t;
            }
            if (trie.size[c] > 1) walk(c, ns, m);
        }
    }
}
