package io.jollama.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jollama bench-kernels} on a small matrix: a table row per type with real figures, and clear errors. */
class BenchKernelsCommandTest {

    record Result(int code, String out, String err) {}

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = new CommandLine(new Main()).execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void measuresTheReadBandwidthAndEachType() {
        Result r = run("bench-kernels", "--type", "q8_0,Q4_K", "--mb", "4", "--seconds", "0.05");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("4 MiB of weights per type"), r.out());
        for (String type : new String[]{"read", "Q8_0", "Q4_K"}) {
            Matcher m = Pattern.compile("(?m)^" + type + " +([0-9.]+) +([0-9.]+)").matcher(r.out());
            assertTrue(m.find(), "no row for " + type + " in\n" + r.out());
            assertTrue(Double.parseDouble(m.group(1)) > 0 && Double.parseDouble(m.group(2)) > 0, r.out());
        }
        assertTrue(!r.out().contains("non-finite"), r.out());
    }

    /** The batch path itself (MatMul.matmulRange) is tested in the engine; a whole measured run costs ~20 s here. */
    @Test
    void batchOutsideItsRangeIsAOneLineError() {
        for (String bad : new String[]{"0", "65"}) {
            Result r = run("bench-kernels", "--batch", bad);
            assertEquals(1, r.code());
            assertTrue(r.err().contains("--batch must be from 1 to 64, got " + bad), r.err());
        }
    }

    @Test
    void badOptionsAreOneLineErrors() {
        Result r = run("bench-kernels", "--type", "Q9_9");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown weight type 'Q9_9'"), r.err());
        r = run("bench-kernels", "--type", "IQ2_XXS");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no kernel for weight type IQ2_XXS"), r.err());
        r = run("bench-kernels", "--mb", "4096");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--mb must be from 1 to 2048"), r.err());
        assertTrue(!r.err().contains("Exception"), r.err());
    }
}
