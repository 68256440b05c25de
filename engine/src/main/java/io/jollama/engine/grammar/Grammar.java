package io.jollama.engine.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A context-free grammar over Unicode code points in llama.cpp's GBNF notation ({@code name ::= alternatives}, one rule
 * per line; {@code "literals"}, {@code [classes]}, {@code [^negated]}, {@code .}, groups, {@code * + ? {m} {m,} {m,n}},
 * {@code #} comments), starting at {@code root}. Parsing reduces it to plain rules: every alternative is a sequence of
 * character classes and rule references; groups and repetitions become generated rules named {@code name_N}, as
 * llama.cpp's parser names them. Immutable; {@link GrammarMatcher} runs it.
 */
public final class Grammar {
    /** One element of an alternative: a character class or a reference to a rule. */
    public sealed interface Element permits Chars, Ref {}

    /**
     * A character class: code point ranges {@code [lo, hi]} as pairs; a negated class matches what none of them does.
     */
    public record Chars(int[] ranges, boolean negated) implements Element {
        public boolean matches(int cp) {
            boolean in = false;
            for (int i = 0; i < ranges.length && !in; i += 2) in = cp >= ranges[i] && cp <= ranges[i + 1];
            return in != negated;
        }

        /** Whether some code point in {@code [lo, hi]} matches. */
        public boolean intersects(int lo, int hi) {
            if (!negated) {
                for (int i = 0; i < ranges.length; i += 2) if (ranges[i] <= hi && ranges[i + 1] >= lo) return true;
                return false;
            }
            // negated: some point of [lo, hi] outside every range
            int[] sorted = sortedRanges();
            int at = lo;
            for (int i = 0; i < sorted.length && at <= hi; i += 2) {
                if (sorted[i + 1] < at) continue;
                if (sorted[i] > at) return true;
                at = sorted[i + 1] + 1;
            }
            return at <= hi;
        }

        private int[] sortedRanges() {
            Integer[] order = new Integer[ranges.length / 2];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Integer.compare(ranges[2 * a], ranges[2 * b]));
            int[] out = new int[ranges.length];
            for (int i = 0; i < order.length; i++) {
                out[2 * i] = ranges[2 * order[i]];
                out[2 * i + 1] = ranges[2 * order[i] + 1];
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Chars c && c.negated == negated && Arrays.equals(c.ranges, ranges);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ranges) * 31 + (negated ? 1 : 0);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("[");
            if (negated) sb.append('^');
            for (int i = 0; i < ranges.length; i += 2) {
                appendClassChar(sb, ranges[i]);
                if (ranges[i + 1] != ranges[i]) {
                    sb.append('-');
                    appendClassChar(sb, ranges[i + 1]);
                }
            }
            return sb.append(']').toString();
        }
    }

    /** A reference to the rule with this index. */
    public record Ref(int rule) implements Element {}

    /** A rule: its name and its alternatives (an empty alternative matches the empty string). */
    public record Rule(String name, List<List<Element>> alternatives) {}

    private final List<Rule> rules;
    private final int root;

    private Grammar(List<Rule> rules, int root) {
        this.rules = List.copyOf(rules);
        this.root = root;
        checkLeftRecursion();
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The index of the start rule. */
    public int root() {
        return root;
    }

    /**
     * Parses GBNF text.
     *
     * @throws IllegalArgumentException naming the problem (syntax, an undefined rule, no {@code root}, left recursion)
     */
    public static Grammar parse(String gbnf) {
        return new Parser(gbnf).parse();
    }

    /** The grammar in GBNF, one rule per line (generated rules included), parseable again into the same grammar. */
    public String toGbnf() {
        StringBuilder sb = new StringBuilder();
        for (Rule r : rules) {
            sb.append(r.name()).append(" ::= ");
            for (int a = 0; a < r.alternatives().size(); a++) {
                if (a > 0) sb.append(" | ");
                List<Element> alt = r.alternatives().get(a);
                if (alt.isEmpty()) sb.append("\"\""); // the empty alternative, visible (a bare "|" at a line end continues the rule)
                for (int e = 0; e < alt.size(); e++) {
                    if (e > 0) sb.append(' ');
                    sb.append(alt.get(e) instanceof Ref ref ? rules.get(ref.rule()).name() : alt.get(e).toString());
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void appendClassChar(StringBuilder sb, int cp) {
        switch (cp) {
            case '\\' -> sb.append("\\\\");
            case ']' -> sb.append("\\]");
            case '-' -> sb.append("\\-");
            case '^' -> sb.append("\\^");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            default -> {
                if (cp < 0x20 || cp == 0x7F) sb.append(String.format("\\x%02X", cp));
                else if (cp > 0xFFFF) sb.append(String.format("\\U%08X", cp));
                else sb.appendCodePoint(cp);
            }
        }
    }

    /** Left recursion would expand forever (llama.cpp refuses it too). */
    private void checkLeftRecursion() {
        boolean[] nullable = new boolean[rules.size()];
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int r = 0; r < rules.size(); r++) {
                if (nullable[r]) continue;
                for (List<Element> alt : rules.get(r).alternatives()) {
                    boolean all = true;
                    for (Element e : alt) all &= e instanceof Ref ref && nullable[ref.rule()];
                    if (all) {
                        nullable[r] = true;
                        changed = true;
                        break;
                    }
                }
            }
        }
        int[] mark = new int[rules.size()]; // 0 new, 1 on the path, 2 done
        for (int r = 0; r < rules.size(); r++) leftWalk(r, nullable, mark);
    }

    private void leftWalk(int r, boolean[] nullable, int[] mark) {
        if (mark[r] == 2) return;
        if (mark[r] == 1) throw new IllegalArgumentException("left recursion in grammar rule " + rules.get(r).name());
        mark[r] = 1;
        for (List<Element> alt : rules.get(r).alternatives()) {
            for (Element e : alt) {
                if (!(e instanceof Ref ref)) break;
                leftWalk(ref.rule(), nullable, mark);
                if (!nullable[ref.rule()]) break;
            }
        }
        mark[r] = 2;
    }

    /** llama.cpp's GBNF syntax, reduced while reading. */
    private static final class Parser {
        private final String src;
        private int pos;
        private final Map<String, Integer> ids = new LinkedHashMap<>();
        private final List<List<List<Element>>> bodies = new ArrayList<>();
        private final List<Boolean> defined = new ArrayList<>();

        Parser(String src) {
            this.src = src;
        }

        Grammar parse() {
            skip(true);
            while (pos < src.length()) {
                parseRule();
                skip(true);
            }
            for (var e : ids.entrySet()) {
                if (!defined.get(e.getValue())) throw new IllegalArgumentException("grammar rule " + e.getKey() + " is used but not defined");
            }
            Integer root = ids.get("root");
            if (root == null) throw new IllegalArgumentException("grammar has no root rule");
            List<Rule> rules = new ArrayList<>();
            String[] names = new String[ids.size()];
            for (var e : ids.entrySet()) names[e.getValue()] = e.getKey();
            for (int i = 0; i < names.length; i++) rules.add(new Rule(names[i], bodies.get(i)));
            return new Grammar(rules, root);
        }

        private int id(String name) {
            Integer id = ids.get(name);
            if (id != null) return id;
            ids.put(name, ids.size());
            bodies.add(new ArrayList<>());
            defined.add(false);
            return ids.size() - 1;
        }

        /** A fresh rule named after {@code base}, as llama.cpp's generate_symbol_id does. */
        private int generated(String base) {
            int n = ids.size();
            String name = base + "_" + n;
            while (ids.containsKey(name)) name = base + "_" + (++n);
            int id = id(name);
            defined.set(id, true);
            return id;
        }

        private void parseRule() {
            String name = parseName();
            skip(false);
            expect("::=");
            skip(true);
            int id = id(name);
            if (defined.get(id)) throw error("grammar rule " + name + " is defined twice");
            defined.set(id, true);
            bodies.set(id, parseAlternatives(name, false));
            skip(false);
            if (pos < src.length() && src.charAt(pos) != '\n' && src.charAt(pos) != '\r') throw error("expected the end of the rule");
        }

        private List<List<Element>> parseAlternatives(String name, boolean nested) {
            List<List<Element>> alts = new ArrayList<>();
            alts.add(parseSequence(name, nested));
            while (pos < src.length() && src.charAt(pos) == '|') {
                pos++;
                skip(true);
                alts.add(parseSequence(name, nested));
            }
            return alts;
        }

        private List<Element> parseSequence(String name, boolean nested) {
            List<Element> seq = new ArrayList<>();
            int lastStart = -1; // where the last unit begins in seq, for a repetition
            while (pos < src.length()) {
                char c = src.charAt(pos);
                if (c == '"') {
                    pos++;
                    lastStart = seq.size();
                    while (pos < src.length() && src.charAt(pos) != '"') {
                        int cp = parseChar();
                        seq.add(new Chars(new int[]{cp, cp}, false));
                    }
                    if (pos >= src.length()) throw error("unterminated literal");
                    pos++;
                    skip(nested);
                } else if (c == '[') {
                    pos++;
                    boolean negated = false;
                    if (pos < src.length() && src.charAt(pos) == '^') {
                        negated = true;
                        pos++;
                    }
                    List<Integer> ranges = new ArrayList<>();
                    while (pos < src.length() && src.charAt(pos) != ']') {
                        int lo = parseChar();
                        int hi = lo;
                        if (pos + 1 < src.length() && src.charAt(pos) == '-' && src.charAt(pos + 1) != ']') {
                            pos++;
                            hi = parseChar();
                        }
                        ranges.add(lo);
                        ranges.add(hi);
                    }
                    if (pos >= src.length()) throw error("unterminated character class");
                    pos++;
                    lastStart = seq.size();
                    seq.add(new Chars(ranges.stream().mapToInt(Integer::intValue).toArray(), negated));
                    skip(nested);
                } else if (isNameChar(c)) {
                    String ref = parseName();
                    lastStart = seq.size();
                    seq.add(new Ref(id(ref)));
                    skip(nested);
                } else if (c == '(') {
                    pos++;
                    skip(true);
                    int sub = generated(name);
                    bodies.set(sub, parseAlternatives(name, true));
                    if (pos >= src.length() || src.charAt(pos) != ')') throw error("expected ')'");
                    pos++;
                    lastStart = seq.size();
                    seq.add(new Ref(sub));
                    skip(nested);
                } else if (c == '.') {
                    pos++;
                    lastStart = seq.size();
                    seq.add(new Chars(new int[]{0, 0x10FFFF}, false));
                    skip(nested);
                } else if (c == '*' || c == '+' || c == '?' || c == '{') {
                    if (lastStart < 0) throw error("expecting preceding item to */+/?/{");
                    int min, max;
                    pos++;
                    if (c == '*') { min = 0; max = -1; }
                    else if (c == '+') { min = 1; max = -1; }
                    else if (c == '?') { min = 0; max = 1; }
                    else {
                        skip(nested);
                        min = parseInt();
                        skip(nested);
                        max = min;
                        if (pos < src.length() && src.charAt(pos) == ',') {
                            pos++;
                            skip(nested);
                            max = pos < src.length() && Character.isDigit(src.charAt(pos)) ? parseInt() : -1;
                            skip(nested);
                        }
                        if (pos >= src.length() || src.charAt(pos) != '}') throw error("expected '}'");
                        pos++;
                        if (max >= 0 && max < min) throw error("repetition {" + min + "," + max + "}: the maximum is below the minimum");
                    }
                    repeat(seq, lastStart, min, max, name);
                    skip(nested);
                } else {
                    break;
                }
            }
            return seq;
        }

        /** x{min,max} (max -1: unbounded) as llama.cpp's handle_repetitions expands it. */
        private void repeat(List<Element> seq, int lastStart, int min, int max, String name) {
            List<Element> unit = new ArrayList<>(seq.subList(lastStart, seq.size()));
            seq.subList(lastStart, seq.size()).clear();
            for (int i = 0; i < min; i++) seq.addAll(unit);
            if (max < 0) {
                // rec ::= unit rec |
                int rec = generated(name);
                List<Element> again = new ArrayList<>(unit);
                again.add(new Ref(rec));
                bodies.set(rec, new ArrayList<>(List.of(again, List.of())));
                seq.add(new Ref(rec));
            } else {
                // opt_k ::= unit opt_{k-1} | ; nested max - min times
                Element last = null;
                for (int i = 0; i < max - min; i++) {
                    int opt = generated(name);
                    List<Element> body = new ArrayList<>(unit);
                    if (last != null) body.add(last);
                    bodies.set(opt, new ArrayList<>(List.of(body, List.of())));
                    last = new Ref(opt);
                }
                if (last != null) seq.add(last);
            }
        }

        private int parseChar() {
            char c = src.charAt(pos);
            if (c == '\\') {
                if (pos + 1 >= src.length()) throw error("unterminated escape");
                char e = src.charAt(pos + 1);
                pos += 2;
                return switch (e) {
                    case 'x' -> hex(2);
                    case 'u' -> hex(4);
                    case 'U' -> hex(8);
                    case 't' -> '\t';
                    case 'r' -> '\r';
                    case 'n' -> '\n';
                    case '\\', '"', '[', ']', '-', '^' -> e;
                    default -> throw error("unknown escape \\" + e);
                };
            }
            int cp = src.codePointAt(pos);
            pos += Character.charCount(cp);
            return cp;
        }

        private int hex(int n) {
            if (pos + n > src.length()) throw error("expected " + n + " hex digits");
            int v = 0;
            for (int i = 0; i < n; i++) {
                int d = Character.digit(src.charAt(pos + i), 16);
                if (d < 0) throw error("expected " + n + " hex digits");
                v = v * 16 + d;
            }
            pos += n;
            return v;
        }

        private int parseInt() {
            int start = pos;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
            if (start == pos) throw error("expected a number");
            return Integer.parseInt(src, start, pos, 10);
        }

        private String parseName() {
            int start = pos;
            while (pos < src.length() && isNameChar(src.charAt(pos))) pos++;
            if (start == pos) throw error("expected a rule name");
            return src.substring(start, pos);
        }

        private static boolean isNameChar(char c) {
            return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
        }

        private void expect(String s) {
            if (!src.startsWith(s, pos)) throw error("expected '" + s + "'");
            pos += s.length();
        }

        /** Skips blanks and comments, and line ends too when {@code newlines}. */
        private void skip(boolean newlines) {
            while (pos < src.length()) {
                char c = src.charAt(pos);
                if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) {
                    pos++;
                } else if (c == '#') {
                    while (pos < src.length() && src.charAt(pos) != '\n' && src.charAt(pos) != '\r') pos++;
                } else {
                    break;
                }
            }
        }

        private IllegalArgumentException error(String what) {
            int line = 1;
            for (int i = 0; i < Math.min(pos, src.length()); i++) if (src.charAt(i) == '\n') line++;
            return new IllegalArgumentException("grammar: " + what + " (line " + line + ")");
        }
    }
}
