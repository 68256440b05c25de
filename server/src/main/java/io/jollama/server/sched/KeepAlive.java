package io.jollama.server.sched;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;

/**
 * Ollama's {@code keep_alive}: a number of seconds (fractions allowed) or a Go duration string ("5m", "1h30m",
 * "500ms", "-1m"). Negative means forever, zero means unload as soon as the model is idle.
 */
public final class KeepAlive {
    /** Stored for "forever", as Ollama stores the largest duration. */
    public static final Duration FOREVER = Duration.ofNanos(Long.MAX_VALUE);

    private KeepAlive() {}

    /** From a decoded JSON value (Number or String); other types are refused with Go's wording. */
    public static Duration fromJson(Object value) {
        return switch (value) {
            case null -> null;
            case Number n -> seconds(new BigDecimal(n.toString()));
            case String s -> parseDuration(s);
            case Boolean b -> throw new IllegalArgumentException("Unsupported type: 'bool'");
            case Map<?, ?> m -> throw new IllegalArgumentException("Unsupported type: 'map[string]interface {}'");
            case java.util.List<?> l -> throw new IllegalArgumentException("Unsupported type: '[]interface {}'");
            default -> throw new IllegalArgumentException("Unsupported type: '" + value.getClass().getSimpleName() + "'");
        };
    }

    /** OLLAMA_KEEP_ALIVE: a duration string or a bare integer of seconds. */
    public static Duration fromEnv(String value, Duration fallback) {
        if (value == null || value.isBlank()) return fallback;
        String v = value.strip();
        try {
            return seconds(new BigDecimal(Long.parseLong(v)));
        } catch (NumberFormatException notAnInteger) {
            try {
                return normalize(parseDuration(v));
            } catch (IllegalArgumentException e) {
                return fallback;
            }
        }
    }

    private static Duration seconds(BigDecimal s) {
        if (s.signum() < 0) return FOREVER;
        BigDecimal nanos = s.multiply(BigDecimal.valueOf(1_000_000_000L));
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) >= 0) return FOREVER;
        return Duration.ofNanos(nanos.longValue());
    }

    private static Duration normalize(Duration d) {
        return d.isNegative() ? FOREVER : d;
    }

    public static boolean isForever(Duration d) {
        return d != null && d.equals(FOREVER);
    }

    /** Go's {@code time.ParseDuration}, with its error messages; negative results mean forever. */
    public static Duration parseDuration(String s) {
        String orig = s;
        if (s.isEmpty()) throw new IllegalArgumentException("time: invalid duration " + quote(orig));
        boolean neg = false;
        int i = 0;
        if (s.charAt(0) == '-' || s.charAt(0) == '+') {
            neg = s.charAt(0) == '-';
            i++;
        }
        if (s.substring(i).equals("0")) return Duration.ZERO;
        if (i == s.length()) throw new IllegalArgumentException("time: invalid duration " + quote(orig));
        BigDecimal total = BigDecimal.ZERO;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) i++;
            String num = s.substring(start, i);
            if (num.isEmpty() || num.equals(".") || num.chars().filter(c -> c == '.').count() > 1) {
                throw new IllegalArgumentException("time: invalid duration " + quote(orig));
            }
            int ustart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') i++;
            String unit = s.substring(ustart, i);
            if (unit.isEmpty()) throw new IllegalArgumentException("time: missing unit in duration " + quote(orig));
            long scale = switch (unit) {
                case "ns" -> 1L;
                case "us", "µs", "μs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> throw new IllegalArgumentException("time: unknown unit " + quote(unit) + " in duration " + quote(orig));
            };
            total = total.add(new BigDecimal(num).multiply(BigDecimal.valueOf(scale)));
        }
        if (total.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) throw new IllegalArgumentException("time: invalid duration " + quote(orig));
        return neg ? FOREVER : Duration.ofNanos(total.longValue());
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
