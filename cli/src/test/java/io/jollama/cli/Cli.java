package io.jollama.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code jollama} command with {@code OLLAMA_HOST} pointing at a test server and a temporary HOME:
 * in the test JVM through {@link Main#run} with captured streams and the environment a process would get
 * ({@link #run}, {@link #runWithInput}, {@link #runWithEnv}), or as a separate JVM process ({@code java -cp <test
 * classpath> io.jollama.cli.Main ...}: {@link #runProcess}, {@link #exec}, {@link #runInTerminal}), which also covers
 * what only a process has (its own stdin, stdout and exit code; a terminal). A JVM start costs about a second, so most
 * tests run in-process and each area keeps a few process runs.
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

    /** Runs in the test JVM with an empty stdin (not piped) and stdout not a terminal. */
    Result run(String... args) {
        return inProcess(null, Map.of(), args);
    }

    /** Runs in the test JVM with {@code input} piped to stdin (null: stdin is empty and not piped). */
    Result runWithInput(String input, String... args) {
        return inProcess(input, Map.of(), args);
    }

    /** Runs in the test JVM with {@code extraEnv} added to the environment. */
    Result runWithEnv(Map<String, String> extraEnv, String... args) {
        return inProcess(null, extraEnv, args);
    }

    /** Runs as a separate process, its stdin from /dev/null. */
    Result runProcess(String... args) {
        return exec(command(List.of(args)), null, Map.of());
    }

    /** Runs as a separate process with {@code input} piped to its stdin. */
    Result runProcessWithInput(String input, String... args) {
        return exec(command(List.of(args)), input, Map.of());
    }

    /** The environment a process started by {@link #exec} gets. */
    private Map<String, String> environment(Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("OLLAMA_HOST", host);
        env.put("HOME", home.toString());
        env.putIfAbsent("JOLLAMA_CATALOG_REFRESH", "0");
        env.putAll(extraEnv);
        return env;
    }

    /**
     * {@link Main#run} in the test JVM, as {@link #exec} runs it in a process: the same arguments and environment,
     * stdin piped only when there is input, stdout and stderr captured (not terminals), at most 120 s.
     */
    private Result inProcess(String input, Map<String, String> extraEnv, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        byte[] in = input == null ? new byte[0] : input.getBytes(StandardCharsets.UTF_8);
        Invocation io = new Invocation(new ByteArrayInputStream(in), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.copyOf(environment(extraEnv)), input != null, false);
        int[] code = {-1};
        Thread t = Thread.ofPlatform().name("jollama " + String.join(" ", args)).start(() -> code[0] = Main.run(io, args));
        try {
            if (!t.join(Duration.ofSeconds(120))) {
                t.interrupt();
                throw new AssertionError("jollama " + List.of(args) + " did not finish in 120 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        io.out().flush();
        io.err().flush();
        return new Result(code[0], out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Runs the CLI inside a pseudo-terminal ({@code script -qefc}), typing {@code steps} in order once the REPL shows
     * its first prompt: a String is written to the terminal, an Integer is a pause in milliseconds, a {@link WaitFor}
     * waits for output, {@link #PROMPT} waits until the REPL is back at its prompt. Output has ANSI sequences and CRs removed.
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
                // JLine has the terminal (in raw mode) once it shows the first prompt: typing starts then
                int prompts = 0;
                awaitPrompt(p, out, prompts);
                for (Object step : steps) {
                    if (step instanceof Integer ms) Thread.sleep(ms);
                    else if (step instanceof WaitFor w) {
                        long deadline = System.nanoTime() + 60_000_000_000L;
                        while (!clean(Files.readString(out)).contains(w.text())) {
                            if (System.nanoTime() > deadline || !p.isAlive()) {
                                throw new AssertionError("never saw '" + w.text() + "'; output:\n" + clean(Files.readString(out)));
                            }
                            Thread.sleep(20);
                        }
                    } else if (step == PROMPT) {
                        awaitPrompt(p, out, prompts);
                    } else {
                        prompts = prompts(clean(Files.readString(out)));
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

    /**
     * A step of {@link #runInTerminal}: wait until the REPL is back at its prompt after the last text typed (the
     * output ends with a prompt {@code >>>} that was not there before it).
     */
    static final Object PROMPT = new Object();

    private static int prompts(String output) {
        int n = 0;
        for (int i = output.indexOf(">>> "); i >= 0; i = output.indexOf(">>> ", i + 1)) n++;
        return n;
    }

    /** Waits until the output ends with a prompt, and holds more prompts than {@code before}. */
    private static void awaitPrompt(Process p, Path out, int before) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            String text = clean(Files.readString(out));
            if (prompts(text) > before && text.stripTrailing().endsWith(">>>")) return;
            if (System.nanoTime() > deadline || !p.isAlive()) throw new AssertionError("never saw the prompt; output:\n" + text);
            Thread.sleep(20);
        }
    }

    static String clean(String s) {
        return s.replaceAll("\u001B\\[[0-9;?]*[ -/]*[@-~]", "").replaceAll("\u001B[()][A-Z0-9]", "")
                .replaceAll("\u001B[=>]", "").replace("\r", "");
    }

    Result exec(List<String> cmd, String input, Map<String, String> extraEnv) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().putAll(environment(extraEnv));
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
