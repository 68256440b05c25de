package io.jollama.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code jollama} command as a separate JVM process ({@code java -cp <test classpath>
 * io.jollama.cli.Main ...}), with {@code OLLAMA_HOST} pointing at a test server and a temporary HOME.
 */
final class Cli {

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private final String host;
    private final Path home;

    Cli(String host, Path home) {
        this.host = host;
        this.home = home;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String classpath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** The JVM command line that runs the CLI with {@code args}. */
    static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(java()));
        // as the launcher does: only the commands that run the engine get the Vector API module, whose resolution
        // costs about a second of start-up; the client commands start without it
        String first = args.stream().filter(a -> !a.startsWith("-")).findFirst().orElse("");
        if (List.of("serve", "start", "bench", "bench-kernels", "make-bench-model").contains(first)) {
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", classpath(), "io.jollama.cli.Main"));
        cmd.addAll(args);
        return cmd;
    }

    Result run(String... args) {
        return runWithInput(null, args);
    }

    /** Runs with {@code input} piped to stdin (null: stdin is empty, from /dev/null). */
    Result runWithInput(String input, String... args) {
        return exec(command(List.of(args)), input, Map.of());
    }

    /**
     * Runs the CLI inside a pseudo-terminal ({@code script -qefc}), typing {@code steps} in order: a String is
     * written to the terminal, an Integer is a pause in milliseconds, a {@link WaitFor} waits for output. Output has ANSI sequences and CRs removed.
     * The terminal does not echo by itself, so text typed ahead while an answer streams does not interleave with
     * it (JLine still shows the line it edits).
     */
    Result runInTerminal(List<Object> steps, String... args) {
        StringBuilder shell = new StringBuilder("stty cols 80 rows 40 -echo 2>/dev/null; exec");
        for (String a : command(List.of(args))) shell.append(" '").append(a.replace("'", "'\\''")).append("'");
        List<String> cmd = List.of("script", "-qefc", shell.toString(), "/dev/null");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("OLLAMA_HOST", host);
            pb.environment().put("HOME", home.toString());
            pb.environment().put("TERM", "xterm");
            pb.environment().putIfAbsent("JOLLAMA_CATALOG_REFRESH", "0");
            Path out = Files.createTempFile(home, "out", ".txt");
            pb.redirectOutput(out.toFile()).redirectErrorStream(true);
            Process p = pb.start();
            try (var in = p.getOutputStream()) {
                Thread.sleep(1500); // let the JVM start and JLine take the terminal before typing
                for (Object step : steps) {
                    if (step instanceof Integer ms) Thread.sleep(ms);
                    else if (step instanceof WaitFor w) {
                        long deadline = System.nanoTime() + 60_000_000_000L;
                        while (!clean(Files.readString(out)).contains(w.text())) {
                            if (System.nanoTime() > deadline || !p.isAlive()) {
                                throw new AssertionError("never saw '" + w.text() + "'; output:\n" + clean(Files.readString(out)));
                            }
                            Thread.sleep(50);
                        }
                    } else {
                        in.write(step.toString().getBytes(StandardCharsets.UTF_8));
                        in.flush();
                    }
                }
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("jollama in a terminal did not finish; output:\n" + clean(Files.readString(out)));
                }
            }
            return new Result(p.exitValue(), clean(Files.readString(out)), "");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A step of {@link #runInTerminal}: wait until the output shows this text. */
    record WaitFor(String text) {}

    static String clean(String s) {
        return s.replaceAll("\u001B\\[[0-9;?]*[ -/]*[@-~]", "").replaceAll("\u001B[()][A-Z0-9]", "")
                .replaceAll("\u001B[=>]", "").replace("\r", "");
    }

    Result exec(List<String> cmd, String input, Map<String, String> extraEnv) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("OLLAMA_HOST", host);
            pb.environment().put("HOME", home.toString());
            pb.environment().putIfAbsent("JOLLAMA_CATALOG_REFRESH", "0");
            pb.environment().putAll(extraEnv);
            Path out = Files.createTempFile(home, "out", ".txt"), err = Files.createTempFile(home, "err", ".txt");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            if (input == null) pb.redirectInput(new File("/dev/null"));
            Process p = pb.start();
            if (input != null) {
                try (var in = p.getOutputStream()) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("jollama " + cmd + " did not finish in 120 s");
            }
            // the JVM's own notice about the Vector API incubator module is not the CLI's output
            String errText = Files.readString(err).replaceFirst("^WARNING: Using incubator modules: jdk.incubator.vector\\R", "");
            return new Result(p.exitValue(), Files.readString(out), errText);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
