package io.jollama.engine.runner;

import java.util.List;

/**
 * Holds back generated text that could be the start of a stop sequence, so that a stop sequence split over
 * several tokens is never emitted. {@link #push} returns the text that is safe to emit.
 */
final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    boolean stopped() {
        return stopped;
    }

    /** Adds text; returns what may be emitted now. After a stop sequence is seen, returns the text before it. */
    String push(String text) {
        if (stopped) return "";
        pending.append(text);
        int cut = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        int hold = 0;
        for (String s : stops) hold = Math.max(hold, overlap(pending, s));
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** What is still held back when generation ends for another reason. */
    String flush() {
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }

    /** The length of the longest suffix of text that is a proper prefix of stop. */
    private static int overlap(CharSequence text, String stop) {
        int max = Math.min(text.length(), stop.length() - 1);
        for (int len = max; len > 0; len--) {
            boolean match = true;
            for (int i = 0; i < len; i++) {
                if (text.charAt(text.length() - len + i) != stop.charAt(i)) {
                    match = false;
                    break;
                }
            }
            if (match) return len;
        }
        return 0;
    }
}
