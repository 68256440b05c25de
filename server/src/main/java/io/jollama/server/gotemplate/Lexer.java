package io.jollama.server.gotemplate;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits Go template source into items, following Go's text/template/parse lexer:
 * text, delimiters with trim markers ({@code {{- } and { -}}}), comments, and the tokens inside actions.
 */
final class Lexer {
    enum Kind {
        TEXT, LEFT_DELIM, RIGHT_DELIM, SPACE, IDENTIFIER, FIELD, DOT, VARIABLE, STRING, RAW_STRING, CHAR_CONSTANT,
        NUMBER, BOOL, NIL, PIPE, DECLARE, ASSIGN, COMMA, LEFT_PAREN, RIGHT_PAREN, CHAR, ERROR, EOF,
        // keywords
        BLOCK, BREAK, CONTINUE, DEFINE, ELSE, END, IF, RANGE, TEMPLATE, WITH
    }

    record Item(Kind kind, int pos, String val) {
        /** Go's item.String(): keywords in angle brackets, everything else quoted (long values cut at 10). */
        String describe() {
            return switch (kind) {
                case EOF -> "EOF";
                case ERROR -> val;
                default -> {
                    if (kind.compareTo(Kind.BLOCK) >= 0) yield "<" + val + ">";
                    if (val.codePointCount(0, val.length()) > 10) {
                        yield Strings.quote(val.substring(0, val.offsetByCodePoints(0, 10))) + "...";
                    }
                    yield Strings.quote(val);
                }
            };
        }
    }

    private final String name;
    private final String src;
    private final List<Item> items = new ArrayList<>();
    private int pos;
    private int parenDepth;

    private Lexer(String name, String src) {
        this.name = name;
        this.src = src;
    }

    /**
     * Lexes the whole source. A lexical error becomes a final ERROR item, raised by the parser when it gets there,
     * so that (as with Go's lazy lexer) an earlier syntax error is reported first.
     */
    static List<Item> lex(String name, String src) {
        Lexer l = new Lexer(name, src);
        try {
            l.run();
        } catch (LexError e) {
            l.items.add(new Item(Kind.ERROR, e.pos, e.getMessage()));
        }
        return l.items;
    }

    private static final class LexError extends RuntimeException {
        final int pos;

        LexError(int pos, String msg) {
            super(msg, null, false, false);
            this.pos = pos;
        }
    }

    private LexError error(int at, String msg) {
        return new LexError(at, msg);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    private static boolean isAlnum(char c) {
        return c == '_' || Character.isLetterOrDigit(c);
    }

    private void run() {
        boolean trimNextText = false;
        while (true) {
            int delim = src.indexOf("{{", pos);
            int end = delim < 0 ? src.length() : delim;
            int start = pos;
            if (trimNextText) {
                while (start < end && isSpace(src.charAt(start))) start++;
            }
            boolean leftTrim = delim >= 0 && hasLeftTrim(delim + 2);
            int textEnd = end;
            if (leftTrim) {
                while (textEnd > start && isSpace(src.charAt(textEnd - 1))) textEnd--;
            }
            if (textEnd > start) items.add(new Item(Kind.TEXT, start, src.substring(start, textEnd)));
            if (delim < 0) {
                items.add(new Item(Kind.EOF, src.length(), ""));
                return;
            }
            pos = delim + 2;
            if (leftTrim) pos += 2; // "- " (the space is consumed as well; more spaces are lexed as SPACE)
            trimNextText = lexAction(delim);
        }
    }

    private boolean hasLeftTrim(int at) {
        return at + 1 < src.length() && src.charAt(at) == '-' && isSpace(src.charAt(at + 1));
    }

    /** Returns the length of a right delimiter at {@code at} (with its trim marker), or 0. Sets trim in [0]. */
    private int rightDelimAt(int at, boolean[] trim) {
        if (at + 3 < src.length() && isSpace(src.charAt(at)) && src.charAt(at + 1) == '-'
                && src.startsWith("}}", at + 2)) {
            trim[0] = true;
            return 4;
        }
        if (src.startsWith("}}", at)) {
            trim[0] = false;
            return 2;
        }
        return 0;
    }

    /** Lexes one action starting after its left delimiter; returns whether the following text is trimmed. */
    private boolean lexAction(int delimPos) {
        // comment: {{/* ... */}} possibly with trim markers
        if (src.startsWith("/*", pos)) {
            int close = src.indexOf("*/", pos + 2);
            if (close < 0) throw error(delimPos, "unclosed comment");
            pos = close + 2;
            boolean[] trim = new boolean[1];
            int len = rightDelimAt(pos, trim);
            if (len == 0) throw error(delimPos, "comment ends before closing delimiter");
            pos += len;
            return trim[0];
        }
        items.add(new Item(Kind.LEFT_DELIM, delimPos, "{{"));
        parenDepth = 0;
        while (true) {
            boolean[] trim = new boolean[1];
            int rd = rightDelimAt(pos, trim);
            if (rd > 0 && parenDepth == 0) {
                items.add(new Item(Kind.RIGHT_DELIM, pos, "}}"));
                pos += rd;
                return trim[0];
            }
            if (pos >= src.length()) throw error(delimPos, "unclosed action");
            char c = src.charAt(pos);
            int start = pos;
            if (rd > 0) {
                // "}}" inside parentheses
                throw error(start, "unclosed left paren");
            } else if (isSpace(c)) {
                while (pos < src.length() && isSpace(src.charAt(pos))) {
                    if (rightDelimAt(pos, trim) == 4) break;
                    pos++;
                }
                if (pos > start) items.add(new Item(Kind.SPACE, start, src.substring(start, pos)));
            } else if (c == '=') {
                pos++;
                items.add(new Item(Kind.ASSIGN, start, "="));
            } else if (c == ':') {
                if (pos + 1 >= src.length() || src.charAt(pos + 1) != '=') throw error(start, "expected :=");
                pos += 2;
                items.add(new Item(Kind.DECLARE, start, ":="));
            } else if (c == '|') {
                pos++;
                items.add(new Item(Kind.PIPE, start, "|"));
            } else if (c == '"') {
                lexQuote(start);
            } else if (c == '`') {
                int close = src.indexOf('`', pos + 1);
                if (close < 0) throw error(start, "unterminated raw quoted string");
                pos = close + 1;
                items.add(new Item(Kind.RAW_STRING, start, src.substring(start, pos)));
            } else if (c == '\'') {
                lexChar(start);
            } else if (c == '$') {
                pos++;
                while (pos < src.length() && isAlnum(src.charAt(pos))) pos++;
                items.add(new Item(Kind.VARIABLE, start, src.substring(start, pos)));
                checkTerminator();
            } else if (c == '.') {
                if (pos + 1 < src.length() && Character.isDigit(src.charAt(pos + 1))) {
                    lexNumber(start);
                } else {
                    pos++;
                    while (pos < src.length() && isAlnum(src.charAt(pos))) pos++;
                    if (pos == start + 1) {
                        items.add(new Item(Kind.DOT, start, "."));
                    } else {
                        items.add(new Item(Kind.FIELD, start, src.substring(start, pos)));
                    }
                    checkTerminator();
                }
            } else if (c == '+' || c == '-' || Character.isDigit(c)) {
                lexNumber(start);
            } else if (Character.isLetter(c) || c == '_') {
                while (pos < src.length() && isAlnum(src.charAt(pos))) pos++;
                String word = src.substring(start, pos);
                Kind k = switch (word) {
                    case "block" -> Kind.BLOCK;
                    case "break" -> Kind.BREAK;
                    case "continue" -> Kind.CONTINUE;
                    case "define" -> Kind.DEFINE;
                    case "else" -> Kind.ELSE;
                    case "end" -> Kind.END;
                    case "if" -> Kind.IF;
                    case "range" -> Kind.RANGE;
                    case "template" -> Kind.TEMPLATE;
                    case "with" -> Kind.WITH;
                    case "true", "false" -> Kind.BOOL;
                    case "nil" -> Kind.NIL;
                    default -> Kind.IDENTIFIER;
                };
                items.add(new Item(k, start, word));
                checkTerminator();
            } else if (c == '(') {
                pos++;
                parenDepth++;
                items.add(new Item(Kind.LEFT_PAREN, start, "("));
            } else if (c == ')') {
                pos++;
                parenDepth--;
                items.add(new Item(Kind.RIGHT_PAREN, start, ")"));
                if (parenDepth < 0) throw error(start, "unexpected right paren U+0029 ')'");
            } else if (c == ',') {
                pos++;
                items.add(new Item(Kind.COMMA, start, ","));
            } else if (c < 0x7f && c > ' ') {
                // other printable ASCII: the parser reports it as unexpected where it appears
                pos++;
                items.add(new Item(Kind.CHAR, start, String.valueOf(c)));
            } else {
                throw error(start, String.format("unrecognized character in action: U+%04X '%c'", (int) c, c));
            }
        }
    }

    /** After an identifier, field or variable Go requires a terminator character. */
    private void checkTerminator() {
        if (pos >= src.length()) return;
        char c = src.charAt(pos);
        if (isSpace(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(' || c == '='
                || src.startsWith("}}", pos)) {
            return;
        }
        throw error(pos, String.format("bad character U+%04X '%c'", (int) c, c));
    }

    private void lexQuote(int start) {
        pos++;
        while (true) {
            if (pos >= src.length() || src.charAt(pos) == '\n') throw error(start, "unterminated quoted string");
            char c = src.charAt(pos);
            if (c == '\\') {
                pos += 2;
                continue;
            }
            pos++;
            if (c == '"') break;
        }
        items.add(new Item(Kind.STRING, start, src.substring(start, pos)));
    }

    private void lexChar(int start) {
        pos++;
        while (true) {
            if (pos >= src.length() || src.charAt(pos) == '\n') throw error(start, "unterminated character constant");
            char c = src.charAt(pos);
            if (c == '\\') {
                pos += 2;
                continue;
            }
            pos++;
            if (c == '\'') break;
        }
        items.add(new Item(Kind.CHAR_CONSTANT, start, src.substring(start, pos)));
    }

    private void lexNumber(int start) {
        if (src.charAt(pos) == '+' || src.charAt(pos) == '-') pos++;
        String digits = "0123456789_";
        if (src.startsWith("0x", pos) || src.startsWith("0X", pos)) {
            pos += 2;
            digits = "0123456789abcdefABCDEF_";
        } else if (src.startsWith("0o", pos) || src.startsWith("0O", pos)) {
            pos += 2;
            digits = "01234567_";
        } else if (src.startsWith("0b", pos) || src.startsWith("0B", pos)) {
            pos += 2;
            digits = "01_";
        }
        while (pos < src.length() && digits.indexOf(src.charAt(pos)) >= 0) pos++;
        if (pos < src.length() && src.charAt(pos) == '.') {
            pos++;
            while (pos < src.length() && digits.indexOf(src.charAt(pos)) >= 0) pos++;
        }
        if (digits.length() <= 11 && pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) pos++;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
        }
        if (pos < src.length() && isAlnum(src.charAt(pos))) {
            pos++;
            throw error(start, "bad number syntax: \"" + src.substring(start, pos) + "\"");
        }
        items.add(new Item(Kind.NUMBER, start, src.substring(start, pos)));
    }
}
