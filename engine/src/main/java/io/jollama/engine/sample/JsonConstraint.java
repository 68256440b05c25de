package io.jollama.engine.sample;

import java.util.Arrays;

/**
 * Ollama's JSON mode ({@code "format": "json"}): the output must be one JSON object, as llama.cpp's json grammar
 * demands. A pushdown automaton over the output's UTF-8 bytes; {@link #accepts} tries a token's bytes on a copy,
 * {@link #feed} commits them. The root is an object with no whitespace before it; between tokens whitespace is
 * limited as the grammar limits it, so a model cannot stall in endless blank space.
 */
public final class JsonConstraint {
    private static final int MAX_WS = 20;

    private enum Mode { ROOT, VALUE, KEY_OR_END, KEY, COLON, AFTER, STRING, ESCAPE, UNICODE, N_SIGN, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP, LITERAL, DONE }

    private Mode mode = Mode.ROOT;
    private char[] stack = new char[16]; // 'O' object, 'A' array
    private int depth;
    private boolean stringIsKey;
    private int unicodeLeft;
    private String literal;
    private int literalPos;
    private int whitespace;

    public JsonConstraint copy() {
        JsonConstraint c = new JsonConstraint();
        copyInto(c);
        return c;
    }

    private void copyInto(JsonConstraint c) {
        c.mode = mode;
        if (c.stack.length < stack.length) c.stack = new char[stack.length];
        System.arraycopy(stack, 0, c.stack, 0, depth);
        c.depth = depth;
        c.stringIsKey = stringIsKey;
        c.unicodeLeft = unicodeLeft;
        c.literal = literal;
        c.literalPos = literalPos;
        c.whitespace = whitespace;
        c.emptyArray = emptyArray;
    }

    private JsonConstraint scratch;

    /** True once one complete JSON object has been produced: only the end of generation may follow. */
    public boolean complete() {
        return mode == Mode.DONE;
    }

    /** Whether these bytes may come next (a non-empty token only). */
    public boolean accepts(byte[] bytes) {
        if (bytes.length == 0) return false;
        if (scratch == null) scratch = new JsonConstraint();
        JsonConstraint c = scratch;
        copyInto(c);
        for (byte b : bytes) if (!c.step(b & 0xFF)) return false;
        return true;
    }

    /** Commits a token's bytes; returns false (and leaves the state undefined) if they were not acceptable. */
    public boolean feed(byte[] bytes) {
        for (byte b : bytes) if (!step(b & 0xFF)) return false;
        return true;
    }

    /**
     * Whitespace as llama.cpp's json grammar allows it between tokens: nothing, one space, or one newline followed by
     * at most 20 spaces or tabs. {@code whitespace} is 0 before any, -1 after a single space, else 1 + the indent.
     */
    private boolean ws(int c) {
        if (whitespace == 0 && c == ' ') {
            whitespace = -1;
            return true;
        }
        if (whitespace == 0 && c == '\n') {
            whitespace = 1;
            return true;
        }
        if (whitespace >= 1 && (c == ' ' || c == '\t') && whitespace <= MAX_WS) {
            whitespace++;
            return true;
        }
        return false;
    }

    private boolean step(int c) {
        switch (mode) {
            case ROOT -> {
                if (c != '{') return false;
                return open('O');
            }
            case DONE -> { return false; }
            case VALUE -> {
                if (ws(c)) return true;
                return startValue(c);
            }
            case KEY_OR_END -> {
                if (ws(c)) return true;
                if (c == '}') return close('O');
                if (c == '"') return startString(true);
                return false;
            }
            case KEY -> {
                if (ws(c)) return true;
                return c == '"' && startString(true);
            }
            case COLON -> {
                if (ws(c)) return true;
                if (c != ':') return false;
                whitespace = 0;
                mode = Mode.VALUE;
                return true;
            }
            case AFTER -> {
                if (ws(c)) return true;
                return afterValue(c);
            }
            case STRING -> {
                if (c == '"') {
                    whitespace = 0;
                    mode = stringIsKey ? Mode.COLON : Mode.AFTER;
                    return true;
                }
                if (c == '\\') {
                    mode = Mode.ESCAPE;
                    return true;
                }
                return c >= 0x20; // control characters must be escaped; bytes of multi-byte characters pass
            }
            case ESCAPE -> {
                if (c == 'u') {
                    unicodeLeft = 4;
                    mode = Mode.UNICODE;
                    return true;
                }
                if ("\"\\/bfnrt".indexOf(c) >= 0) {
                    mode = Mode.STRING;
                    return true;
                }
                return false;
            }
            case UNICODE -> {
                if (Character.digit(c, 16) < 0) return false;
                if (--unicodeLeft == 0) mode = Mode.STRING;
                return true;
            }
            case N_SIGN -> {
                if (c == '0') { mode = Mode.N_ZERO; return true; }
                if (c >= '1' && c <= '9') { mode = Mode.N_INT; return true; }
                return false;
            }
            case N_ZERO, N_INT -> {
                if (mode == Mode.N_INT && c >= '0' && c <= '9') return true;
                if (c == '.') { mode = Mode.N_DOT; return true; }
                if (c == 'e' || c == 'E') { mode = Mode.N_E; return true; }
                return endNumber(c);
            }
            case N_DOT -> {
                if (c >= '0' && c <= '9') { mode = Mode.N_FRAC; return true; }
                return false;
            }
            case N_FRAC -> {
                if (c >= '0' && c <= '9') return true;
                if (c == 'e' || c == 'E') { mode = Mode.N_E; return true; }
                return endNumber(c);
            }
            case N_E -> {
                if (c == '+' || c == '-') { mode = Mode.N_ESIGN; return true; }
                if (c >= '0' && c <= '9') { mode = Mode.N_EXP; return true; }
                return false;
            }
            case N_ESIGN -> {
                if (c >= '0' && c <= '9') { mode = Mode.N_EXP; return true; }
                return false;
            }
            case N_EXP -> {
                if (c >= '0' && c <= '9') return true;
                return endNumber(c);
            }
            case LITERAL -> {
                if (c != literal.charAt(literalPos)) return false;
                if (++literalPos == literal.length()) {
                    whitespace = 0;
                    mode = Mode.AFTER;
                }
                return true;
            }
        }
        return false;
    }

    private boolean startValue(int c) {
        whitespace = 0;
        boolean wasEmpty = emptyArray;
        emptyArray = false;
        switch (c) {
            case '{' -> { return open('O'); }
            case '[' -> { return open('A'); }
            case '"' -> { return startString(false); }
            case '-' -> { mode = Mode.N_SIGN; return true; }
            case '0' -> { mode = Mode.N_ZERO; return true; }
            case 't' -> { return startLiteral("true"); }
            case 'f' -> { return startLiteral("false"); }
            case 'n' -> { return startLiteral("null"); }
            default -> {
                if (c >= '1' && c <= '9') {
                    mode = Mode.N_INT;
                    return true;
                }
                // ']' right after '[' closes an empty array
                if (c == ']' && depth > 0 && stack[depth - 1] == 'A' && wasEmpty) return close('A');
                return false;
            }
        }
    }

    private boolean emptyArray;

    private boolean startLiteral(String word) {
        literal = word;
        literalPos = 1;
        mode = Mode.LITERAL;
        return true;
    }

    private boolean startString(boolean key) {
        whitespace = 0;
        stringIsKey = key;
        mode = Mode.STRING;
        return true;
    }

    private boolean open(char kind) {
        if (depth == stack.length) stack = Arrays.copyOf(stack, depth * 2);
        stack[depth++] = kind;
        whitespace = 0;
        if (kind == 'O') {
            mode = Mode.KEY_OR_END;
        } else {
            mode = Mode.VALUE;
            emptyArray = true;
            return true;
        }
        emptyArray = false;
        return true;
    }

    private boolean close(char kind) {
        if (depth == 0 || stack[depth - 1] != kind) return false;
        depth--;
        whitespace = 0;
        emptyArray = false;
        mode = depth == 0 ? Mode.DONE : Mode.AFTER;
        return true;
    }

    private boolean afterValue(int c) {
        emptyArray = false;
        if (depth == 0) return false;
        char top = stack[depth - 1];
        if (c == ',') {
            whitespace = 0;
            mode = top == 'O' ? Mode.KEY : Mode.VALUE;
            return true;
        }
        if (c == '}' && top == 'O') return close('O');
        if (c == ']' && top == 'A') return close('A');
        return false;
    }

    private boolean endNumber(int c) {
        whitespace = 0;
        mode = Mode.AFTER;
        if (ws(c)) return true;
        return afterValue(c);
    }
}
