package io.jollama.server.catalog;

import java.math.BigDecimal;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The gallery's conversions of the library's display strings (spec 1.4). */
public final class Conversions {

    private Conversions() {}

    private static final String[][] UNITS = {
            {"PB", "e15"}, {"TB", "e12"}, {"GB", "e9"}, {"MB", "e6"}, {"KB", "e3"},
            {"P", "e15"}, {"T", "e12"}, {"G", "e9"}, {"M", "e6"}, {"K", "e3"}};

    /**
     * A size, context window or pull count as a number, with DECIMAL units as the gallery computes them
     * ("14GB" → 14000000000, "128K" → 128000, "117.1M" → 117100000, "3,912" → 3912); the fraction is cut off.
     * Anything unparsable ("", "-", a cloud tag's empty size) is 0.
     */
    public static long number(String text) {
        if (text == null) return 0;
        String s = text.toUpperCase(Locale.ROOT).replace(",", "").replace(" ", "").strip();
        for (String[] u : UNITS) s = s.replace(u[0], u[1]);
        s = s.replace("B", "");
        try {
            return new BigDecimal(s).longValue();
        } catch (NumberFormatException | ArithmeticException e) {
            return 0;
        }
    }

    private static final Pattern AGO = Pattern.compile(
            "(?:about\\s+)?(\\d{1,6}|an?|one)\\s+(second|minute|hour|day|week|month|year)s?\\s+ago");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT);

    /**
     * A relative date of the library ("2 weeks ago", "1 year ago", "yesterday", "3 hours ago") as {@code YYYY-MM-DD},
     * counted back from {@code now} in calendar units (months and years keep the day of month, clamped); null when
     * the text is not such a date.
     */
    public static String relativeDate(String text, ZonedDateTime now) {
        if (text == null) return null;
        String s = text.strip().toLowerCase(Locale.ROOT).replace('\u00a0', ' ').replaceAll("\\s+", " ");
        ZonedDateTime t = switch (s) {
            case "now", "just now", "today", "less than a minute ago", "a moment ago", "moments ago" -> now;
            case "yesterday" -> now.minusDays(1);
            default -> ago(s, now);
        };
        return t == null ? null : DATE.format(t);
    }

    private static ZonedDateTime ago(String s, ZonedDateTime now) {
        Matcher m = AGO.matcher(s);
        if (!m.matches()) return null;
        long n = switch (m.group(1)) {
            case "a", "an", "one" -> 1;
            default -> Long.parseLong(m.group(1));
        };
        return switch (m.group(2)) {
            case "second" -> now.minusSeconds(n);
            case "minute" -> now.minusMinutes(n);
            case "hour" -> now.minusHours(n);
            case "day" -> now.minusDays(n);
            case "week" -> now.minusWeeks(n);
            case "month" -> now.minusMonths(n);
            default -> now.minusYears(n);
        };
    }
}
