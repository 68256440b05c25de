package io.jollama.engine.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a {@link Grammar} over UTF-8 bytes as a deterministic automaton built lazily: a state is the set of parse stacks
 * llama.cpp's grammar sampler keeps (each stack the positions still to match, top first to match, always a character
 * class) plus an unfinished UTF-8 sequence; {@link #next} computes a transition once and remembers it, so walking the
 * same grammar state over many tokens costs an array lookup per byte. Not thread-safe: one per generation.
 */
public final class GrammarMatcher {
    /** No state: the bytes so far cannot be continued into the grammar's language. */
    public static final int DEAD = -1;
    private static final int UNKNOWN = -2;
    private static final int END = 0, CHARS = 1, REF = 2;
    /** Beyond this many states the automaton is rebuilt from the current state (see {@link #compact}). */
    private static final int MAX_STATES = 50_000;
    private final int maxStates;

    // the grammar flattened: each alternative a run of positions ended by END
    private final int[] kind;
    private final int[] arg;
    private final Grammar.Chars[] classes;
    private final long[] ascii; // per class, two words: membership of code points 0..127
    private final int[][] altStarts;
    private final int[] rootAlts;

    private final List<State> states = new ArrayList<>();
    private final Map<Key, Integer> ids = new HashMap<>();

    private record Stack(int[] p) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Stack s && Arrays.equals(s.p, p);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(p);
        }
    }

    private record Key(Set<Stack> stacks, int pending, int left, int length) {}

    /** The smallest code point of a UTF-8 sequence of this many bytes (a smaller one would be an overlong form). */
    private static final int[] MIN_OF_LENGTH = {0, 0, 0x80, 0x800, 0x10000};

    private static final class State {
        final Stack[] stacks;
        final int pending; // the bits of an unfinished UTF-8 sequence
        final int left;    // its continuation bytes still to come
        final int length;  // its length in bytes
        final boolean accepting;
        final boolean finished;
        int[] next;

        State(Stack[] stacks, int pending, int left, int length) {
            this.stacks = stacks;
            this.pending = pending;
            this.left = left;
            this.length = length;
            boolean empty = false, other = false;
            for (Stack s : stacks) {
                if (s.p.length == 0) empty = true;
                else other = true;
            }
            this.accepting = empty && left == 0;
            this.finished = accepting && !other;
        }
    }

    public GrammarMatcher(Grammar g) {
        this(g, MAX_STATES);
    }

    GrammarMatcher(Grammar g, int maxStates) {
        this.maxStates = maxStates;
        List<Grammar.Rule> rules = g.rules();
        List<Grammar.Chars> cls = new ArrayList<>();
        Map<Grammar.Chars, Integer> clsIds = new HashMap<>();
        int n = 0;
        for (Grammar.Rule r : rules) for (List<Grammar.Element> alt : r.alternatives()) n += alt.size() + 1;
        kind = new int[n];
        arg = new int[n];
        altStarts = new int[rules.size()][];
        int at = 0;
        for (int r = 0; r < rules.size(); r++) {
            List<List<Grammar.Element>> alts = rules.get(r).alternatives();
            altStarts[r] = new int[alts.size()];
            for (int a = 0; a < alts.size(); a++) {
                altStarts[r][a] = at;
                for (Grammar.Element e : alts.get(a)) {
                    if (e instanceof Grammar.Ref ref) {
                        kind[at] = REF;
                        arg[at] = ref.rule();
                    } else {
                        Grammar.Chars c = (Grammar.Chars) e;
                        Integer id = clsIds.get(c);
                        if (id == null) {
                            id = cls.size();
                            cls.add(c);
                            clsIds.put(c, id);
                        }
                        kind[at] = CHARS;
                        arg[at] = id;
                    }
                    at++;
                }
                kind[at++] = END;
            }
        }
        classes = cls.toArray(Grammar.Chars[]::new);
        ascii = new long[2 * classes.length];
        for (int c = 0; c < classes.length; c++) {
            for (int cp = 0; cp < 128; cp++) if (classes[c].matches(cp)) ascii[2 * c + (cp >> 6)] |= 1L << (cp & 63);
        }
        rootAlts = altStarts[g.root()];
        intern(startStacks(), 0, 0, 0);
    }

    /** The state before any output. */
    public int start() {
        return 0;
    }

    public boolean accepting(int state) {
        return states.get(state).accepting;
    }

    /** Whether the output is complete and nothing may follow it. */
    public boolean finished(int state) {
        return states.get(state).finished;
    }

    public int stateCount() {
        return states.size();
    }

    /** The state after {@code bytes}, or {@link #DEAD}. */
    public int advance(int state, byte[] bytes) {
        for (int i = 0; i < bytes.length && state >= 0; i++) state = next(state, bytes[i] & 0xFF);
        return state;
    }

    /** The state after one byte, or {@link #DEAD}. */
    public int next(int state, int b) {
        State s = states.get(state);
        int[] next = s.next;
        if (next == null) {
            next = s.next = new int[256];
            Arrays.fill(next, UNKNOWN);
        }
        int t = next[b];
        if (t == UNKNOWN) t = next[b] = transition(s, b);
        return t;
    }

    /**
     * Forgets every state but {@code keep} when there are many (deeply recursive grammars over long outputs), returning
     * its new id; otherwise returns {@code keep} unchanged. Ids of other states are invalid afterwards.
     */
    public int compact(int keep) {
        if (states.size() < maxStates) return keep;
        State s = states.get(keep);
        states.clear();
        ids.clear();
        intern(startStacks(), 0, 0, 0);
        return intern(Arrays.asList(s.stacks), s.pending, s.left, s.length);
    }

    private List<Stack> startStacks() {
        Set<Stack> out = new LinkedHashSet<>();
        for (int alt : rootAlts) expand(kind[alt] == END ? new int[0] : new int[]{alt}, out);
        return new ArrayList<>(out);
    }

    private int transition(State s, int b) {
        if (s.left == 0) {
            if (b < 0x80) return advance(s, b);
            int value, left;
            if ((b & 0xE0) == 0xC0) { value = b & 0x1F; left = 1; }
            else if ((b & 0xF0) == 0xE0) { value = b & 0x0F; left = 2; }
            else if ((b & 0xF8) == 0xF0) { value = b & 0x07; left = 3; }
            else return DEAD;
            return partial(s, value, left, left + 1);
        }
        if ((b & 0xC0) != 0x80) return DEAD;
        int value = s.pending << 6 | (b & 0x3F);
        if (s.left > 1) return partial(s, value, s.left - 1, s.length);
        return value < MIN_OF_LENGTH[s.length] || value > 0x10FFFF ? DEAD : advance(s, value);
    }

    /**
     * Part of a multi-byte character: kept if it can still become a valid code point (not an overlong form, at most
     * U+10FFFF) that some stack takes.
     */
    private int partial(State s, int value, int left, int length) {
        int lo = Math.max(value << (6 * left), MIN_OF_LENGTH[length]);
        int hi = Math.min(value << (6 * left) | ((1 << (6 * left)) - 1), 0x10FFFF);
        if (lo > hi) return DEAD;
        for (Stack st : s.stacks) {
            if (st.p.length > 0 && classes[arg[st.p[st.p.length - 1]]].intersects(lo, hi)) {
                return intern(Arrays.asList(s.stacks), value, left, length);
            }
        }
        return DEAD;
    }

    private int advance(State s, int cp) {
        Set<Stack> out = new LinkedHashSet<>();
        for (Stack st : s.stacks) {
            int len = st.p.length;
            if (len == 0) continue;
            int p = st.p[len - 1];
            if (!matches(arg[p], cp)) continue;
            int[] base;
            if (kind[p + 1] != END) {
                base = st.p.clone();
                base[len - 1] = p + 1;
            } else {
                base = Arrays.copyOf(st.p, len - 1);
            }
            expand(base, out);
        }
        if (out.isEmpty()) return DEAD;
        return intern(new ArrayList<>(out), 0, 0, 0);
    }

    private boolean matches(int cls, int cp) {
        if (cp < 128) return (ascii[2 * cls + (cp >> 6)] & 1L << (cp & 63)) != 0;
        return classes[cls].matches(cp);
    }

    /** Replaces rule references on top of the stack by their alternatives until a character class is on top. */
    private void expand(int[] stack, Set<Stack> out) {
        int len = stack.length;
        if (len == 0 || kind[stack[len - 1]] == CHARS) {
            out.add(new Stack(stack));
            return;
        }
        int p = stack[len - 1];
        int[] base;
        if (kind[p + 1] != END) {
            base = stack.clone();
            base[len - 1] = p + 1;
        } else {
            base = Arrays.copyOf(stack, len - 1);
        }
        for (int alt : altStarts[arg[p]]) {
            if (kind[alt] == END) {
                expand(base, out);
            } else {
                int[] s = Arrays.copyOf(base, base.length + 1);
                s[base.length] = alt;
                expand(s, out);
            }
        }
    }

    private int intern(List<Stack> stacks, int pending, int left, int length) {
        Key key = new Key(Set.copyOf(stacks), pending, left, length);
        Integer id = ids.get(key);
        if (id != null) return id;
        states.add(new State(stacks.toArray(Stack[]::new), pending, left, length));
        ids.put(key, states.size() - 1);
        return states.size() - 1;
    }
}
