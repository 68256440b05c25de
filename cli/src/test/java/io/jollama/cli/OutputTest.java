package io.jollama.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Word wrap of streamed answers (issue 15, item 12): lines break only between words, within the width. */
class OutputTest {

    static String wrap(int width, List<String> pieces) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output o = new Output(new PrintStream(bytes, true, StandardCharsets.UTF_8), width, true);
        pieces.forEach(o::write);
        o.finish();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void wordsSplitAcrossTokensAreNeverBroken() {
        // "wonderful" arrives as "won" + "der" + "ful" just where the line is full
        List<String> pieces = List.of("Once", " upon", " a", " time", " there", " was", " a", " won", "der", "ful", " little", " cat", ".");
        String text = wrap(30, pieces);
        assertEquals("Once upon a time there was a\nwonderful little cat.\n", text);
        for (int w = 12; w <= 40; w++) {
            String wrapped = wrap(w, pieces);
            assertEquals(String.join("", pieces), wrapped.strip().replace("\n", " "), "width " + w);
            for (String line : wrapped.split("\n")) assertTrue(line.length() < w, "width " + w + ": " + line);
        }
    }

    @Test
    void aWordWiderThanTheTerminalIsBrokenAtTheEdge() {
        String text = wrap(12, List.of("ab ", "x".repeat(30)));
        for (String line : text.split("\n")) assertTrue(line.length() < 12, text);
        assertEquals("ab" + "x".repeat(30), text.replace("\n", "").replace(" ", ""));
    }
}
