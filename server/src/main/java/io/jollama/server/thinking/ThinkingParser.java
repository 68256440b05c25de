package io.jollama.server.thinking;

/**
 * Splits streamed model output into thinking and content by the template's tags (spec §8.2): leading whitespace is
 * skipped; output that starts with the opening tag is thinking up to the closing tag (whitespace right after either tag
 * dropped), anything else first means no thinking at all. Partial tags at the end of a chunk are held back.
 */
public final class ThinkingParser {
    public record Delta(String thinking, String content) {}

    private enum State { LOOKING_FOR_OPEN, THINKING, AFTER_CLOSE, CONTENT }

    private final String open;
    private final String close;
    private final StringBuilder buf = new StringBuilder();
    private State state;

    /** @param startInside the rendered prompt already ends with the opening tag */
    public ThinkingParser(String open, String close, boolean startInside) {
        this.open = open;
        this.close = close;
        this.state = startInside ? State.THINKING : State.LOOKING_FOR_OPEN;
        this.skipWhitespace = true;
    }

    private boolean skipWhitespace;

    public Delta add(String text) {
        buf.append(text);
        StringBuilder thinking = new StringBuilder(), content = new StringBuilder();
        boolean progress = true;
        while (progress && !buf.isEmpty()) {
            progress = false;
            switch (state) {
                case LOOKING_FOR_OPEN -> {
                    trimLeading();
                    if (buf.isEmpty()) break;
                    String s = buf.toString();
                    if (s.startsWith(open)) {
                        buf.delete(0, open.length());
                        state = State.THINKING;
                        skipWhitespace = true;
                        progress = true;
                    } else if (!open.startsWith(s)) {
                        state = State.CONTENT;
                        progress = true;
                    }
                }
                case THINKING -> {
                    if (skipWhitespace) {
                        trimLeading();
                        if (buf.isEmpty()) break;
                        skipWhitespace = false;
                    }
                    String s = buf.toString();
                    int at = s.indexOf(close);
                    if (at >= 0) {
                        thinking.append(s, 0, at);
                        buf.delete(0, at + close.length());
                        state = State.AFTER_CLOSE;
                        progress = true;
                    } else {
                        int keep = partialSuffix(s, close);
                        thinking.append(s, 0, s.length() - keep);
                        buf.delete(0, s.length() - keep);
                    }
                }
                case AFTER_CLOSE -> {
                    trimLeading();
                    if (!buf.isEmpty()) {
                        state = State.CONTENT;
                        progress = true;
                    }
                }
                case CONTENT -> {
                    content.append(buf);
                    buf.setLength(0);
                }
            }
        }
        return new Delta(thinking.toString(), content.toString());
    }

    /** What is held back at the end of generation. */
    public Delta flush() {
        String rest = buf.toString();
        buf.setLength(0);
        return switch (state) {
            case THINKING -> new Delta(rest, "");
            case LOOKING_FOR_OPEN, CONTENT -> new Delta("", rest);
            case AFTER_CLOSE -> new Delta("", "");
        };
    }

    private void trimLeading() {
        int i = 0;
        while (i < buf.length() && Character.isWhitespace(buf.charAt(i))) i++;
        buf.delete(0, i);
    }

    private static int partialSuffix(String s, String tag) {
        for (int len = Math.min(s.length(), tag.length() - 1); len > 0; len--) {
            if (s.endsWith(tag.substring(0, len))) return len;
        }
        return 0;
    }
}
