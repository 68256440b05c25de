package io.jollama.server.gotemplate;

import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON encoding as Go's encoding/json.Marshal does it: compact, map keys sorted, {@code <>&} and
 * U+2028/U+2029 escaped, float64 numbers formatted like Go. Records encode their components in
 * declaration order under their own names (use {@link JsonMarshaler} for other names).
 */
public final class GoJson {
    private GoJson() {}

    /** A JSON object whose keys keep their insertion order (a Go struct or ordered map). */
    public record Ordered(LinkedHashMap<String, Object> fields) {}

    public static String encode(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        switch (v) {
            case null -> b.append("null");
            case JsonMarshaler m -> write(b, m.toJsonValue());
            case String s -> writeString(b, s);
            case Boolean x -> b.append(x);
            case Double d -> b.append(formatFloat(d));
            case Float f -> b.append(formatFloat(f.doubleValue()));
            case Number n -> b.append(n.longValue());
            case Character c -> b.append((int) c);
            case Ordered o -> writeObject(b, o.fields());
            case Map<?, ?> m -> {
                writeObject(b, GoFmt.sortedStringMap(m));
            }
            case Collection<?> c -> {
                b.append('[');
                boolean first = true;
                for (Object e : c) {
                    if (!first) b.append(',');
                    first = false;
                    write(b, e);
                }
                b.append(']');
            }
            case Object[] arr -> write(b, List.of(arr));
            case Record r -> {
                var fields = new LinkedHashMap<String, Object>();
                for (RecordComponent rc : r.getClass().getRecordComponents()) {
                    fields.put(rc.getName(), Values.component(r, rc));
                }
                writeObject(b, fields);
            }
            default -> writeString(b, v.toString());
        }
    }

    private static void writeObject(StringBuilder b, Map<String, Object> m) {
        b.append('{');
        boolean first = true;
        for (var e : m.entrySet()) {
            if (!first) b.append(',');
            first = false;
            writeString(b, e.getKey());
            b.append(':');
            write(b, e.getValue());
        }
        b.append('}');
    }

    static void writeString(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '<', '>', '&', '\u2028', '\u2029' -> b.append(String.format("\\u%04x", (int) c));
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** Go's float64 JSON form: shortest digits, exponent form only below 1e-6 or from 1e21. */
    static String formatFloat(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) throw new IllegalArgumentException("json: unsupported value: " + d);
        if (d == 0) return (1 / d < 0) ? "-0" : "0";
        double abs = Math.abs(d);
        if (abs < 1e-6 || abs >= 1e21) {
            String s = GoFmt.formatG(d, -1, 'e');
            // Go trims "e-07" to "e-7" in JSON output
            int e = s.indexOf('e');
            if (e >= 0 && s.length() - e == 4 && s.charAt(e + 2) == '0') s = s.substring(0, e + 2) + s.substring(e + 3);
            return s;
        }
        return new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
    }

    /** Converts a value for the {@code json} template function; never fails (errors give an empty string). */
    static String encodeLenient(Object v) {
        try {
            return encode(v);
        } catch (RuntimeException e) {
            return "";
        }
    }
}
