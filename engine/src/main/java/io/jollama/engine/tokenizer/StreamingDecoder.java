package io.jollama.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns generated tokens into text as they come, one per generation: each token's bytes ({@link Tokenizer#tokenBytes})
 * are appended and only complete UTF-8 characters are returned, so a character split over several byte tokens is
 * emitted once, whole. Like llama-server's streamed content, pieces are concatenated as they are (no leading-space
 * removal or space clean-up).
 */
public final class StreamingDecoder {

    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    public StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The text that became complete with this token ("" while a multi-byte character is still incomplete). */
    public String next(int token) {
        pending.writeBytes(tokenizer.tokenBytes(token));
        byte[] buf = pending.toByteArray();
        int complete = completePrefix(buf);
        if (complete == 0) return "";
        pending.reset();
        pending.write(buf, complete, buf.length - complete);
        return new String(buf, 0, complete, StandardCharsets.UTF_8);
    }

    /** What is left at the end; incomplete trailing bytes become U+FFFD. */
    public String flush() {
        String rest = new String(pending.toByteArray(), StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    /**
     * The length of the longest prefix that does not end inside a UTF-8 sequence that could still be completed.
     * Invalid bytes are passed on (they decode to U+FFFD) rather than held back.
     */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // look back at most 3 bytes for the start of an unfinished sequence
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead byte
            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
            if (c >= 0xF5) need = 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
