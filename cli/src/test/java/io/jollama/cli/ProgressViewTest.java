package io.jollama.cli;

import io.jollama.client.Api.ProgressResponse;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;

import static org.junit.jupiter.api.Assertions.*;

/** The progress display and the human-readable figures, in-process. */
class ProgressViewTest {

    static String render(boolean terminal, ProgressView.Kind kind, ProgressResponse... updates) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (ProgressView v = new ProgressView(new PrintStream(buf, true, StandardCharsets.UTF_8), terminal, kind)) {
            for (ProgressResponse p : updates) {
                v.update(p);
                if (terminal) sleep(); // terminal frames are drawn at most every 100 ms
            }
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    static void sleep() {
        try {
            Thread.sleep(120);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void terminalBarsAreRedrawnInPlaceAndEndComplete() {
        String out = render(true, ProgressView.Kind.PULL,
                new ProgressResponse("pulling manifest", null, 0, 0),
                new ProgressResponse("pulling 0123", "sha256:0123456789abcdef", 4_700_000_000L, 0),
                new ProgressResponse("pulling 0123", "sha256:0123456789abcdef", 4_700_000_000L, 2_350_000_000L),
                new ProgressResponse("pulling 0123", "sha256:0123456789abcdef", 4_700_000_000L, 4_700_000_000L),
                new ProgressResponse("success", null, 0, 0));
        String last = out.substring(out.lastIndexOf("\033[2K", out.lastIndexOf("\033[2Kpulling 0")));
        String[] frames = Cli.clean(out).split("\n");
        assertTrue(Cli.clean(out).contains("pulling 0123456789ab:  50% ▕████████████             ▏ 2.4 GB/4.7 GB"), Cli.clean(out));
        assertTrue(last.contains("pulling 0123456789ab: 100% ▕█████████████████████████▏ 4.7 GB\n"), last);
        assertTrue(out.contains("\033[2F"), "moves the cursor back over the lines it drew");
        assertEquals("success", frames[frames.length - 1], "the final frame has no spinner");
    }

    @Test
    void plainLinesWhenNotATerminal() {
        String out = render(false, ProgressView.Kind.CREATE,
                new ProgressResponse("parsing GGUF", null, 0, 0),
                new ProgressResponse("quantizing F32 model to Q8_0", "0000000000000000000", 100, 5),
                new ProgressResponse("quantizing F32 model to Q8_0", "0000000000000000000", 100, 7),
                new ProgressResponse("quantizing F32 model to Q8_0", "0000000000000000000", 100, 100),
                new ProgressResponse("writing manifest", null, 0, 0),
                new ProgressResponse("success", null, 0, 0));
        assertEquals("""
                parsing GGUF
                quantizing F32 model to Q8_0: 0% 5 B/100 B
                quantizing F32 model to Q8_0: 100% 100 B/100 B
                writing manifest
                success
                """, out);
    }

    @Test
    void humanFigures() {
        assertEquals("999 B", Human.bytes(999));
        assertEquals("1.5 KB", Human.bytes(1500));
        assertEquals("12 MB", Human.bytes(12_345_678));
        assertEquals("4.7 GB", Human.bytes(4_700_000_000L));
        assertEquals("2 GB", Human.bytes(2_000_000_000L));
        OffsetDateTime now = OffsetDateTime.parse("2026-11-22T02:00:00Z");
        assertEquals("2 weeks ago", Human.relative(now.minusDays(15), now));
        assertEquals("About an hour ago", Human.relative(now.minusMinutes(61), now));
        assertEquals("4 minutes from now", Human.relative(now.plusMinutes(4).plusSeconds(30), now));
        assertEquals("Forever", Human.relative(now.plusYears(290), now));
        assertEquals("59s", Human.eta(59));
        assertEquals("2m10s", Human.eta(130));
        assertEquals("1h5m", Human.eta(3900));
        assertEquals("99h+", Human.eta(100 * 3600));
        assertEquals("2.5s", Human.goDuration(2_500_000_000L));
        assertEquals("12.3ms", Human.goDuration(12_300_000L));
        assertEquals("1m5s", Human.goDuration(65_000_000_000L));
    }

    @Test
    void wordWrapBreaksBetweenWords() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Output o = new Output(new PrintStream(buf, true, StandardCharsets.UTF_8), 20, true);
        for (String t : new String[]{"Once", " upon a", " time there", " was a little", " girl.\nThe end"}) o.write(t);
        o.finish();
        assertEquals("Once upon a time\nthere was a little\ngirl.\nThe end\n", buf.toString(StandardCharsets.UTF_8));
    }
}
