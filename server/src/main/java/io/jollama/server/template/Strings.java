package io.jollama.server.template;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** Go string-literal unquoting and quoting (strconv.Unquote / strconv.Quote). */
final class Strings {
    private Strings() {}

    static String unquote(String quoted, Function<String, TemplateException> err) {
        if (quoted.length() < 2 || quoted.charAt(0) != '"' || quoted.charAt(quoted.length() - 1) != '"') {
            throw err.apply("invalid syntax");
        }
        return unescape(quoted.substring(1, quoted.length() - 1), '"', err);
    }

    static String unquoteChar(String quoted, Function<String, TemplateException> err) {
        String s = unescape(quoted.substring(1, quoted.length() - 1), '\'', err);
        if (s.codePointCount(0, s.length()) != 1) throw err.apply("malformed character constant: " + quoted);
        return s;
    }

    private static String unescape(String s, char quote, Function<String, TemplateException> err) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= s.length()) throw err.apply("invalid syntax");
            char e = s.charAt(i);
            switch (e) {
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case '\\' -> out.append('\\');
                case '\'', '"' -> {
                    if (e != quote) throw err.apply("invalid syntax");
                    out.append(e);
                }
                case 'x', 'u', 'U' -> {
                    int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + n >= s.length()) throw err.apply("invalid syntax");
                    int cp;
                    try {
                        cp = Integer.parseInt(s.substring(i + 1, i + 1 + n), 16);
                    } catch (RuntimeException ex) {
                        throw err.apply("invalid syntax");
                    }
                    i += n;
                    if (e == 'x') {
                        // a raw byte; collect consecutive \x bytes and decode them as UTF-8
                        byte[] bytes = new byte[] {(byte) cp};
                        out.append(new String(bytes, StandardCharsets.ISO_8859_1));
                    } else {
                        out.appendCodePoint(cp);
                    }
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        if (i + 2 >= s.length()) throw err.apply("invalid syntax");
                        int v = Integer.parseInt(s.substring(i, i + 3), 8);
                        i += 2;
                        out.append((char) v);
                    } else {
                        throw err.apply("invalid syntax");
                    }
                }
            }
        }
        return out.toString();
    }

    /** strconv.Quote: double-quoted Go string literal, non-printable characters escaped. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\u0007' -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\u000b' -> b.append("\\v");
                default -> {
                    if (cp < 0x20 || cp == 0x7f) {
                        b.append(String.format("\\x%02x", cp));
                    } else if (!Character.isDefined(cp) || Character.getType(cp) == Character.CONTROL
                            || Character.getType(cp) == Character.FORMAT && cp != 0x200d) {
                        b.append(cp <= 0xffff ? String.format("\\u%04x", cp) : String.format("\\U%08x", cp));
                    } else {
                        b.appendCodePoint(cp);
                    }
                }
            }
        });
        return b.append('"').toString();
    }
}
