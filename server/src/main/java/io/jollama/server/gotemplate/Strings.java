package io.jollama.server.gotemplate;

import java.io.ByteArrayOutputStream;
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

    /** Go escapes: hex and octal escapes are bytes, u and U escapes are code points; the bytes are decoded as UTF-8. */
    private static String unescape(String s, char quote, Function<String, TemplateException> err) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                int end = i + 1;
                if (Character.isHighSurrogate(c) && end < s.length()) end++;
                out.writeBytes(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end - 1;
                continue;
            }
            if (++i >= s.length()) throw err.apply("invalid syntax");
            char e = s.charAt(i);
            switch (e) {
                case 'a' -> out.write(7);
                case 'b' -> out.write('\b');
                case 'f' -> out.write('\f');
                case 'n' -> out.write('\n');
                case 'r' -> out.write('\r');
                case 't' -> out.write('\t');
                case 'v' -> out.write(11);
                case '\\' -> out.write('\\');
                case '\'', '"' -> {
                    if (e != quote) throw err.apply("invalid syntax");
                    out.write(e);
                }
                case 'x', 'u', 'U' -> {
                    int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + n >= s.length()) throw err.apply("invalid syntax");
                    int v;
                    try {
                        v = Integer.parseInt(s.substring(i + 1, i + 1 + n), 16);
                    } catch (NumberFormatException ex) {
                        throw err.apply("invalid syntax");
                    }
                    i += n;
                    if (e == 'x') {
                        out.write(v);
                    } else {
                        if (!Character.isValidCodePoint(v) || (v >= 0xd800 && v < 0xe000)) throw err.apply("invalid syntax");
                        out.writeBytes(Character.toString(v).getBytes(StandardCharsets.UTF_8));
                    }
                }
                default -> {
                    if (e < '0' || e > '7' || i + 2 >= s.length()) throw err.apply("invalid syntax");
                    int v;
                    try {
                        v = Integer.parseInt(s.substring(i, i + 3), 8);
                    } catch (NumberFormatException ex) {
                        throw err.apply("invalid syntax");
                    }
                    if (v > 255) throw err.apply("invalid syntax");
                    i += 2;
                    out.write(v);
                }
            }
        }
        return out.toString(StandardCharsets.UTF_8);
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
