package io.jollama.cli;

import java.time.Duration;
import java.time.OffsetDateTime;

/** Sizes, ages and durations written the way ollama's CLI writes them. */
final class Human {

    private Human() {}

    /** Decimal units: {@code 999 B}, {@code 1.5 KB}, {@code 12 MB}, {@code 4.7 GB}. */
    /** A count as ollama's format.HumanNumber writes it: 412.44M, 4.3B, 12K. */
    static String number(long b) {
        if (b >= 1_000_000_000L) {
            double v = b / 1e9;
            return v == Math.floor(v) ? String.format(java.util.Locale.ROOT, "%.0fB", v) : String.format(java.util.Locale.ROOT, "%.1fB", v);
        }
        if (b >= 1_000_000L) {
            double v = b / 1e6;
            return v == Math.floor(v) ? String.format(java.util.Locale.ROOT, "%.0fM", v) : String.format(java.util.Locale.ROOT, "%.2fM", v);
        }
        if (b >= 1000) return String.format(java.util.Locale.ROOT, "%.0fK", b / 1e3);
        return Long.toString(b);
    }

    static String bytes(long b) {
        double value;
        String unit;
        if (b >= 1_000_000_000_000L) { value = b / 1e12; unit = "TB"; }
        else if (b >= 1_000_000_000L) { value = b / 1e9; unit = "GB"; }
        else if (b >= 1_000_000L) { value = b / 1e6; unit = "MB"; }
        else if (b >= 1_000L) { value = b / 1e3; unit = "KB"; }
        else return b + " B";
        if (value >= 10 || value == Math.floor(value)) return (long) value + " " + unit;
        return String.format("%.1f %s", value, unit);
    }

    /** {@code 2 weeks ago}, {@code 4 minutes from now}, {@code Forever}. */
    static String relative(OffsetDateTime t, OffsetDateTime now) {
        if (t == null) return "Never";
        if (t.getYear() > now.getYear() + 100) return "Forever";
        Duration d = Duration.between(t, now);
        if (d.isNegative()) return duration(d.negated()) + " from now";
        return duration(d) + " ago";
    }

    private static String duration(Duration d) {
        long seconds = d.toSeconds();
        if (seconds < 1) return "Less than a second";
        if (seconds == 1) return "1 second";
        if (seconds < 60) return seconds + " seconds";
        long minutes = d.toMinutes();
        if (minutes == 1) return "About a minute";
        if (minutes < 60) return minutes + " minutes";
        long hours = Math.round(d.toSeconds() / 3600.0);
        if (hours == 1) return "About an hour";
        if (hours < 48) return hours + " hours";
        if (hours < 24 * 7 * 2) return hours / 24 + " days";
        if (hours < 24 * 30 * 2) return hours / 24 / 7 + " weeks";
        if (hours < 24 * 365 * 2) return hours / 24 / 30 + " months";
        return d.toDays() / 365 + " years";
    }

    /** A Go-style duration: {@code 1.234567s}, {@code 12.3ms}, {@code 850µs}. */
    static String goDuration(long nanos) {
        if (nanos < 1_000) return nanos + "ns";
        if (nanos < 1_000_000) return trim(nanos / 1e3) + "µs";
        if (nanos < 1_000_000_000) return trim(nanos / 1e6) + "ms";
        double s = nanos / 1e9;
        if (s < 60) return trim(s) + "s";
        long total = nanos / 1_000_000_000L;
        long h = total / 3600, m = total % 3600 / 60;
        String sec = trim(s - h * 3600 - m * 60) + "s";
        return (h > 0 ? h + "h" : "") + m + "m" + sec;
    }

    private static String trim(double v) {
        String s = String.format("%.6f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    /** An ETA like ollama's bars: {@code 59s}, {@code 2m10s}, {@code 1h5m}, {@code 99h+}. */
    static String eta(long seconds) {
        if (seconds >= 100 * 3600) return "99h+";
        if (seconds >= 3600) return seconds / 3600 + "h" + seconds % 3600 / 60 + "m";
        if (seconds >= 60) return seconds / 60 + "m" + seconds % 60 + "s";
        return seconds + "s";
    }
}
