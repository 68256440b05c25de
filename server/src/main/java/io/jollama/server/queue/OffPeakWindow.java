package io.jollama.server.queue;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;

/**
 * The daily window ({@code JOLLAMA_QUEUE_WINDOW}, {@code HH:MM-HH:MM}, local time) in which queued downloads run. A
 * window whose end is before its start spans midnight ({@code 22:00-06:00}); no window means always open.
 */
public record OffPeakWindow(LocalTime start, LocalTime end) {

    public static final OffPeakWindow ALWAYS = new OffPeakWindow(null, null);

    /** Parses the setting; empty means always. Throws {@link IllegalArgumentException} with the expected form. */
    public static OffPeakWindow parse(String s) {
        if (s == null || s.isBlank()) return ALWAYS;
        String[] parts = s.strip().split("-");
        try {
            if (parts.length != 2) throw new DateTimeParseException("", s, 0);
            LocalTime a = LocalTime.parse(parts[0].strip()), b = LocalTime.parse(parts[1].strip());
            return a.equals(b) ? ALWAYS : new OffPeakWindow(a, b);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("JOLLAMA_QUEUE_WINDOW must look like 22:00-06:00 (HH:MM-HH:MM, local time), not \"" + s + "\"");
        }
    }

    public boolean always() {
        return start == null;
    }

    public boolean isOpen(ZonedDateTime t) {
        if (always()) return true;
        LocalTime now = t.toLocalTime();
        if (start.isBefore(end)) return !now.isBefore(start) && now.isBefore(end);
        return !now.isBefore(start) || now.isBefore(end); // spans midnight
    }

    /** How long until the window opens next (zero when open). */
    public Duration untilOpen(ZonedDateTime t) {
        if (isOpen(t)) return Duration.ZERO;
        LocalDateTime next = t.toLocalDate().atTime(start);
        if (!next.isAfter(t.toLocalDateTime())) next = next.plusDays(1);
        return Duration.between(t.toLocalDateTime(), next);
    }

    @Override
    public String toString() {
        return always() ? "" : start + "-" + end;
    }
}
