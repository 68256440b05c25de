package io.jollama.server.gotemplate;

import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The parts of Go's fmt package that templates use: %v printing, Sprint, Sprintln and Sprintf. */
public final class GoFmt {
    private GoFmt() {}

    /** Go's {@code %v} of a value. */
    public static String print(Object v) {
        StringBuilder b = new StringBuilder();
        printValue(b, v, 0);
        return b.toString();
    }

    private static void printValue(StringBuilder b, Object v, int depth) {
        switch (v) {
            case null -> b.append("<nil>");
            case GoStringer s -> b.append(s.goString());
            case String s -> b.append(s);
            case Boolean x -> b.append(x);
            case Double d -> b.append(formatG(d, -1, 'g'));
            case Float f -> b.append(formatG(f.doubleValue(), -1, 'g'));
            case Number n -> b.append(n.longValue());
            case Character c -> b.append((int) c.charValue());
            case Collection<?> c -> {
                b.append('[');
                boolean first = true;
                for (Object e : c) {
                    if (!first) b.append(' ');
                    first = false;
                    printValue(b, e, depth + 1);
                }
                b.append(']');
            }
            case Map<?, ?> m -> {
                b.append("map[");
                boolean first = true;
                for (var e : sortedEntries(m)) {
                    if (!first) b.append(' ');
                    first = false;
                    printValue(b, e.getKey(), depth + 1);
                    b.append(':');
                    printValue(b, e.getValue(), depth + 1);
                }
                b.append(']');
            }
            case Record r -> {
                b.append('{');
                boolean first = true;
                for (RecordComponent rc : r.getClass().getRecordComponents()) {
                    if (!first) b.append(' ');
                    first = false;
                    printValue(b, Values.component(r, rc), depth + 1);
                }
                b.append('}');
            }
            default -> b.append(v);
        }
    }

    /** Map entries in Go's printing/ranging order (keys sorted; numbers numerically, strings bytewise). */
    static List<Map.Entry<Object, Object>> sortedEntries(Map<?, ?> m) {
        List<Map.Entry<Object, Object>> entries = new ArrayList<>();
        for (var e : m.entrySet()) entries.add(new java.util.AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
        entries.sort((a, c) -> compareKeys(a.getKey(), c.getKey()));
        return entries;
    }

    private static int compareKeys(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) return Double.compare(x.doubleValue(), y.doubleValue());
        if (a instanceof String x && b instanceof String y) return compareGoStrings(x, y);
        return String.valueOf(a).compareTo(String.valueOf(b));
    }

    /** Go compares strings bytewise (UTF-8), which differs from UTF-16 order for supplementary characters. */
    static int compareGoStrings(String a, String b) {
        return java.util.Arrays.compareUnsigned(Values.utf8(a), Values.utf8(b));
    }

    /** fmt.Sprint: operands separated by a space when neither side is a string. */
    public static String sprint(List<Object> args) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            Object a = args.get(i);
            if (i > 0 && !(a instanceof String) && !(args.get(i - 1) instanceof String)) b.append(' ');
            printValue(b, a, 0);
        }
        return b.toString();
    }

    /** fmt.Sprintln: operands always separated by spaces, newline appended. */
    public static String sprintln(List<Object> args) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) b.append(' ');
            printValue(b, args.get(i), 0);
        }
        return b.append('\n').toString();
    }

    /** fmt.Sprintf with verbs v s d q t f F e E g G x X c o b U T %, flags {@code +-# 0}, width and precision. */
    public static String sprintf(String format, List<Object> args) {
        StringBuilder out = new StringBuilder();
        int argi = 0;
        int n = format.length();
        for (int i = 0; i < n; i++) {
            char c = format.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i + 1 >= n) {
                out.append("%!(NOVERB)");
                break;
            }
            Spec spec = new Spec();
            i++;
            // flags
            for (; i < n; i++) {
                char f = format.charAt(i);
                if (f == '-') spec.minus = true;
                else if (f == '+') spec.plus = true;
                else if (f == '#') spec.sharp = true;
                else if (f == ' ') spec.space = true;
                else if (f == '0') spec.zero = true;
                else break;
            }
            // width
            if (i < n && format.charAt(i) == '*') {
                i++;
                if (argi < args.size() && args.get(argi) instanceof Number w) {
                    spec.width = w.intValue();
                    if (spec.width < 0) {
                        spec.minus = true;
                        spec.width = -spec.width;
                    }
                } else {
                    out.append("%!(BADWIDTH)");
                }
                argi++;
            } else {
                int start = i;
                while (i < n && Character.isDigit(format.charAt(i))) i++;
                if (i > start) spec.width = Integer.parseInt(format.substring(start, i));
            }
            // precision
            if (i < n && format.charAt(i) == '.') {
                i++;
                if (i < n && format.charAt(i) == '*') {
                    i++;
                    if (argi < args.size() && args.get(argi) instanceof Number p) {
                        spec.prec = Math.max(0, p.intValue());
                    } else {
                        out.append("%!(BADPREC)");
                    }
                    argi++;
                } else {
                    int start = i;
                    while (i < n && Character.isDigit(format.charAt(i))) i++;
                    spec.prec = i > start ? Integer.parseInt(format.substring(start, i)) : 0;
                }
            }
            if (i >= n) {
                out.append("%!(NOVERB)");
                break;
            }
            char verb = format.charAt(i);
            if (verb == '%') {
                out.append('%');
                continue;
            }
            if (argi >= args.size()) {
                out.append("%!").append(verb).append("(MISSING)");
                continue;
            }
            Object arg = args.get(argi++);
            out.append(formatOne(spec, verb, arg));
        }
        if (argi < args.size()) {
            out.append("%!(EXTRA ");
            for (int k = argi; k < args.size(); k++) {
                if (k > argi) out.append(", ");
                Object a = args.get(k);
                out.append(a == null ? "<nil>" : Values.typeName(a) + "=" + print(a));
            }
            out.append(')');
        }
        return out.toString();
    }

    private static final class Spec {
        boolean minus, plus, sharp, space, zero;
        int width = -1;
        int prec = -1;
    }

    private static String bad(char verb, Object arg) {
        return "%!" + verb + "(" + (arg == null ? "<nil>" : Values.typeName(arg) + "=" + print(arg)) + ")";
    }

    private static String formatOne(Spec s, char verb, Object arg) {
        if (verb == 'T') return pad(s, arg == null ? "<nil>" : Values.typeName(arg), false);
        // like fmt, composite values apply the verb (and width) to each element
        if (!(arg instanceof GoStringer)) {
            if (arg instanceof Collection<?> c) {
                StringBuilder b = new StringBuilder("[");
                for (Object e : c) {
                    if (b.length() > 1) b.append(' ');
                    b.append(formatOne(s, verb, e));
                }
                return b.append(']').toString();
            }
            if (arg instanceof Map<?, ?> m) {
                StringBuilder b = new StringBuilder("map[");
                for (var e : sortedEntries(m)) {
                    if (b.length() > 4) b.append(' ');
                    b.append(formatOne(s, verb, e.getKey())).append(':').append(formatOne(s, verb, e.getValue()));
                }
                return b.append(']').toString();
            }
        }
        Values.Kind k = Values.kind(arg);
        String body;
        boolean numeric = k == Values.Kind.INT || k == Values.Kind.FLOAT;
        switch (verb) {
            case 'v' -> {
                if (k == Values.Kind.FLOAT) body = floatVerb(s, 'g', Values.toDouble(arg));
                else if (k == Values.Kind.INT) body = intVerb(s, 'd', Values.toLong(arg));
                else if (arg == null) body = "<nil>";
                else body = precString(s, print(arg));
            }
            case 's' -> {
                if (arg instanceof String || arg instanceof GoStringer) body = precString(s, print(arg));
                else if (arg instanceof Record) body = print(arg);
                else return bad(verb, arg);
            }
            case 'q' -> {
                if (arg instanceof String || arg instanceof GoStringer) body = Strings.quote(precString(s, print(arg)));
                else if (k == Values.Kind.INT) body = "'" + new String(Character.toChars((int) Values.toLong(arg))) + "'";
                else return bad(verb, arg);
            }
            case 'd', 'b', 'o', 'x', 'X', 'c', 'U' -> {
                if (k == Values.Kind.INT) {
                    body = intVerb(s, verb, Values.toLong(arg));
                } else if ((verb == 'x' || verb == 'X') && arg instanceof String str) {
                    StringBuilder h = new StringBuilder();
                    for (byte by : Values.utf8(str)) h.append(String.format(verb == 'x' ? "%02x" : "%02X", by & 0xff));
                    body = h.toString();
                } else if ((verb == 'x' || verb == 'X' || verb == 'b') && k == Values.Kind.FLOAT) {
                    return bad(verb, arg);
                } else {
                    return bad(verb, arg);
                }
            }
            case 't' -> {
                if (k != Values.Kind.BOOL) return bad(verb, arg);
                body = arg.toString();
            }
            case 'e', 'E', 'f', 'F', 'g', 'G' -> {
                if (k != Values.Kind.FLOAT) return bad(verb, arg);
                body = floatVerb(s, verb, Values.toDouble(arg));
            }
            default -> {
                return bad(verb, arg);
            }
        }
        return pad(s, body, numeric && verb != 'c' && verb != 'q');
    }

    private static String precString(Spec s, String str) {
        if (s.prec < 0) return str;
        int cps = str.codePointCount(0, str.length());
        if (cps <= s.prec) return str;
        return str.substring(0, str.offsetByCodePoints(0, s.prec));
    }

    private static String intVerb(Spec s, char verb, long v) {
        String digits = switch (verb) {
            case 'b' -> Long.toBinaryString(Math.abs(v));
            case 'o' -> Long.toOctalString(Math.abs(v));
            case 'x' -> Long.toHexString(Math.abs(v));
            case 'X' -> Long.toHexString(Math.abs(v)).toUpperCase();
            case 'c' -> new String(Character.toChars((int) v));
            case 'U' -> String.format("U+%04X", v);
            default -> Long.toString(Math.abs(v));
        };
        if (verb == 'c' || verb == 'U') return digits;
        if (v == Long.MIN_VALUE) digits = Long.toString(v).substring(1);
        if (s.prec >= 0) {
            while (digits.length() < s.prec) digits = "0" + digits;
        }
        if (s.sharp) {
            if (verb == 'x') digits = "0x" + digits;
            else if (verb == 'X') digits = "0X" + digits;
            else if (verb == 'o') digits = "0" + digits;
            else if (verb == 'b') digits = "0b" + digits;
        }
        String sign = v < 0 ? "-" : s.plus ? "+" : s.space ? " " : "";
        return sign + digits;
    }

    private static String floatVerb(Spec s, char verb, double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "+Inf" : "-Inf";
        String body = switch (verb) {
            case 'e', 'E' -> formatG(d, s.prec < 0 ? 6 : s.prec, 'e');
            case 'f', 'F' -> new BigDecimal(d).setScale(s.prec < 0 ? 6 : s.prec, RoundingMode.HALF_EVEN).toPlainString();
            default -> formatG(d, s.prec, 'g');
        };
        if (verb == 'E' || verb == 'G') body = body.toUpperCase();
        if (d == 0 && 1 / d < 0 && !body.startsWith("-")) body = "-" + body;
        if (!body.startsWith("-")) body = (s.plus ? "+" : s.space ? " " : "") + body;
        return body;
    }

    private static String pad(Spec s, String body, boolean numeric) {
        if (s.width < 0) return body;
        int len = body.codePointCount(0, body.length());
        if (len >= s.width) return body;
        String fill = " ".repeat(s.width - len);
        if (s.minus) return body + fill;
        if (s.zero && numeric) {
            String zeros = "0".repeat(s.width - len);
            if (!body.isEmpty() && (body.charAt(0) == '-' || body.charAt(0) == '+' || body.charAt(0) == ' ')) {
                return body.charAt(0) + zeros + body.substring(1);
            }
            return zeros + body;
        }
        return fill + body;
    }

    /**
     * strconv.FormatFloat(d, fmt, prec, 64) for fmt 'e' and 'g'; prec -1 means the shortest
     * representation that round-trips.
     */
    static String formatG(double d, int prec, char fmt) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "+Inf" : "-Inf";
        boolean neg = d < 0 || (d == 0 && 1 / d < 0);
        double abs = Math.abs(d);
        String digits;
        int dp; // decimal point position: value = 0.digits * 10^dp
        if (abs == 0) {
            digits = "0";
            dp = 1;
        } else {
            BigDecimal bd;
            if (prec < 0) {
                bd = new BigDecimal(Double.toString(abs)).stripTrailingZeros();
            } else {
                int sig = fmt == 'e' ? prec + 1 : Math.max(prec, 1);
                bd = new BigDecimal(abs).round(new MathContext(sig, RoundingMode.HALF_EVEN)).stripTrailingZeros();
            }
            digits = bd.unscaledValue().toString();
            dp = digits.length() - bd.scale();
        }
        String sign = neg ? "-" : "";
        int nd = digits.length();
        boolean shortest = prec < 0;
        if (fmt == 'e') return sign + eFormat(digits, dp, shortest ? nd - 1 : prec);
        // 'g', following strconv's choice between %e and %f
        int p = shortest ? nd : (prec == 0 ? 1 : prec);
        int eprec = p;
        if (eprec > nd && nd >= dp) eprec = nd;
        if (shortest) eprec = 6;
        int exp = dp - 1;
        if (exp < -4 || exp >= eprec) {
            if (p > nd) p = nd;
            return sign + eFormat(digits, dp, p - 1);
        }
        if (p > dp) p = nd;
        return sign + fFormat(digits, dp, Math.max(p - dp, 0));
    }

    private static String eFormat(String digits, int dp, int prec) {
        StringBuilder b = new StringBuilder();
        b.append(digits.charAt(0));
        if (prec > 0) {
            b.append('.');
            for (int i = 1; i <= prec; i++) b.append(i < digits.length() ? digits.charAt(i) : '0');
        }
        int exp = digits.equals("0") ? 0 : dp - 1;
        b.append('e').append(exp < 0 ? '-' : '+');
        int ae = Math.abs(exp);
        if (ae < 10) b.append('0');
        b.append(ae);
        return b.toString();
    }

    private static String fFormat(String digits, int dp, int frac) {
        StringBuilder b = new StringBuilder();
        if (dp > 0) {
            for (int i = 0; i < dp; i++) b.append(i < digits.length() ? digits.charAt(i) : '0');
        } else {
            b.append('0');
        }
        if (frac > 0) {
            b.append('.');
            for (int i = 0; i < frac; i++) {
                int idx = dp + i;
                b.append(idx >= 0 && idx < digits.length() ? digits.charAt(idx) : '0');
            }
        }
        return b.toString();
    }

    static TreeMap<String, Object> sortedStringMap(Map<?, ?> m) {
        TreeMap<String, Object> t = new TreeMap<>(GoFmt::compareGoStrings);
        m.forEach((k, v) -> t.put(String.valueOf(k), v));
        return t;
    }
}
