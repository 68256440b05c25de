package io.jollama.cli;

import picocli.CommandLine.Model.CommandSpec;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Map;

/**
 * What a command runs with: its standard streams, its environment, and whether stdin is piped and stdout is a
 * terminal. {@link Main#main} gives the process's own; tests run commands in the test JVM with captured streams and
 * an explicit environment, as a process would get them.
 */
public record Invocation(InputStream in, PrintStream out, PrintStream err, Map<String, String> env,
                         boolean stdinPiped, boolean stdoutTerminal) {

    /** The process's own streams and environment. */
    public static Invocation system() {
        return new Invocation(System.in, System.out, System.err, System.getenv(), Tty.stdinPiped(), Tty.stdout());
    }

    /** The invocation of the command line a command belongs to (its root is a {@link Main}). */
    static Invocation of(CommandSpec spec) {
        return ((Main) spec.root().userObject()).invocation();
    }

    /** An environment variable, or null. */
    String env(String name) {
        return env.get(name);
    }
}
