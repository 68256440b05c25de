package io.jollama.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;

/** The {@code jollama} command: ollama's commands plus Jollama's own tools. */
@Command(name = "jollama",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Large language model runner (Ollama-compatible, pure Java).",
        subcommands = {ServeCommand.class, CreateCommand.class, ShowCommand.class, RunCommand.class, StopCommand.class,
                PullCommand.class, PushCommand.class, ListCommand.class, PsCommand.class, CopyCommand.class,
                RemoveCommand.class, QueueCommand.class, HfCommand.class, SearchCommand.class, CatalogCommand.class, KeysCommand.class, GgufCommand.class, BenchCommand.class, BenchKernelsCommand.class, MakeBenchModelCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    private final Invocation invocation;

    public Main() {
        this(Invocation.system());
    }

    public Main(Invocation invocation) {
        this.invocation = invocation;
    }

    Invocation invocation() {
        return invocation;
    }

    public static void main(String[] args) {
        System.exit(run(Invocation.system(), args));
    }

    /** Runs the command line {@code args} with {@code io}'s streams and environment; returns the exit code. */
    public static int run(Invocation io, String... args) {
        return commandLine(io).execute(bareThinkMeansTrue(args));
    }

    /**
     * As in ollama (a pflag with a default for a bare flag), {@code --think} takes a level only as {@code --think=high};
     * a bare {@code --think} means true and the next word stays an argument ({@code run MODEL --think "hi"}).
     */
    static String[] bareThinkMeansTrue(String[] args) {
        String[] out = args.clone();
        for (int i = 0; i < out.length; i++) {
            if (out[i].equals("--")) break;
            if (out[i].equals("--think")) out[i] = "--think=true";
        }
        return out;
    }

    /** The configured command line (tests run commands through it in-process). */
    public static CommandLine commandLine() {
        return commandLine(Invocation.system());
    }

    /** The configured command line printing to {@code io}'s streams (picocli's usage and errors too). */
    public static CommandLine commandLine(Invocation io) {
        Main main = new Main(io);
        return new CommandLine(main).setExecutionExceptionHandler(main::handleError)
                .setOut(new PrintWriter(new OutputStreamWriter(io.out(), io.out().charset()), true))
                .setErr(new PrintWriter(new OutputStreamWriter(io.err(), io.err().charset()), true));
    }

    /** Expected failures (bad input, server not running) print one line, never a stack trace. */
    private int handleError(Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        if (e instanceof io.jollama.client.OllamaException oe && oe.status() == 401) {
            msg += invocation.env("JOLLAMA_API_KEY") == null ? " (set JOLLAMA_API_KEY to a key from 'jollama keys add')"
                    : " (JOLLAMA_API_KEY is not a key of this server)";
        }
        cmd.getErr().println("Error: " + msg);
        if (invocation.env("JOLLAMA_DEBUG") != null) e.printStackTrace(cmd.getErr());
        return 1;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(invocation.out());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public String[] getVersion() {
            return VersionCommand.lines(Invocation.of(spec));
        }
    }
}
