package io.jollama.server.auth;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * {@code JOLLAMA_REQUEST_LIMIT}: at most {@code perMinute} requests a minute per caller (a key's name, or a client
 * address when keys are off), as a token bucket: a full bucket of {@code perMinute} tokens that refills evenly over
 * a minute, so a burst of the whole allowance is fine and a steady rate above it is not.
 */
public final class RequestRateLimit {

    private static final long MINUTE = Duration.ofMinutes(1).toNanos();
    /** Buckets kept at most; beyond, full ones (callers quiet for a minute) are dropped. */
    private static final int MAX_CALLERS = 10_000;

    private final int perMinute;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long updated;

        Bucket(double tokens, long updated) {
            this.tokens = tokens;
            this.updated = updated;
        }
    }

    /** @param nanoTime the clock ({@code System::nanoTime}; tests move their own) */
    public RequestRateLimit(int perMinute, LongSupplier nanoTime) {
        if (perMinute <= 0) throw new IllegalArgumentException("perMinute must be positive");
        this.perMinute = perMinute;
        this.nanoTime = nanoTime;
    }

    public int perMinute() {
        return perMinute;
    }

    /** Takes one request's token; returns 0 when allowed, else the seconds until one is available. */
    public long take(String caller) {
        long now = nanoTime.getAsLong();
        if (buckets.size() > MAX_CALLERS) buckets.values().removeIf(b -> refilled(b, now) >= perMinute);
        Bucket b = buckets.computeIfAbsent(caller, c -> new Bucket(perMinute, now));
        synchronized (b) {
            b.tokens = refilled(b, now);
            b.updated = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return 0;
            }
            double nanosPerToken = (double) MINUTE / perMinute;
            return Math.max(1, (long) Math.ceil((1 - b.tokens) * nanosPerToken / 1e9 - 1e-6)); // whole seconds, no rounding noise
        }
    }

    private double refilled(Bucket b, long now) {
        return Math.min(perMinute, b.tokens + (double) (now - b.updated) * perMinute / MINUTE);
    }

    /** The setting: empty or 0 is off (null). */
    public static RequestRateLimit fromSetting(String value, LongSupplier nanoTime) {
        if (value.isEmpty()) return null;
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0) throw new IllegalArgumentException("JOLLAMA_REQUEST_LIMIT must be a whole number of requests per minute (0 = no limit), not \"" + value + "\"");
        return n == 0 ? null : new RequestRateLimit(n, nanoTime);
    }
}
