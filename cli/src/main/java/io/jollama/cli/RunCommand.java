package io.jollama.cli;

import io.jollama.client.Api.EmbedRequest;
import io.jollama.client.Api.GenerateRequest;
import io.jollama.client.Api.GenerateResponse;
import io.jollama.client.Api.Metrics;
import io.jollama.client.Api.ShowRequest;
import io.jollama.client.Api.ShowResponse;
import io.jollama.client.OllamaClient;
import io.jollama.client.OllamaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code jollama run MODEL [PROMPT...]}: pulls the model if it is missing, then answers one prompt (from the
 * arguments and/or piped stdin) or, on a terminal without a prompt, opens an interactive chat ({@link Repl}).
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run a model.")
public final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1..*", paramLabel = "PROMPT", description = "The prompt (else stdin, else an interactive session).")
    List<String> prompt = new ArrayList<>();

    @Option(names = "--keepalive", paramLabel = "DURATION", description = "Duration to keep a model loaded (e.g. 5m).")
    String keepAlive;

    @Option(names = "--verbose", description = "Show timings for response.")
    boolean verbose;

    @Option(names = "--insecure", description = "Use an insecure registry.")
    boolean insecure;

    @Option(names = "--nowordwrap", description = "Don't wrap words to the next line automatically.")
    boolean noWordWrap;

    @Option(names = "--format", paramLabel = "FORMAT", description = "Response format (e.g. json).")
    String format;

    @Option(names = "--think", arity = "0..1", fallbackValue = "true", paramLabel = "LEVEL",
            description = "Enable thinking mode: true/false or high/medium/low/max.")
    String think;

    @Option(names = "--hidethinking", description = "Hide thinking output (if provided).")
    boolean hideThinking;

    @Option(names = "--truncate", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "For embedding models: cut inputs longer than the context (default true).")
    boolean truncate;

    @Option(names = "--dimensions", paramLabel = "N", description = "For embedding models: truncate the vector to N dimensions.")
    Integer dimensions;

    @Override
    public Integer call() throws IOException {
        Object thinkValue = parseThink(think);
        if (format != null && !format.isEmpty() && !format.equals("json")) {
            throw new IllegalArgumentException("invalid format: \"" + format + "\"; expected \"json\"");
        }
        Invocation io = Invocation.of(spec);
        OllamaClient client = Client.connect(io);
        ShowResponse info = showOrPull(io, client, model, insecure);
        if (thinkValue == null && info.capabilities() != null && info.capabilities().contains("thinking")) thinkValue = true;

        boolean piped = io.stdinPiped(), stdoutTty = io.stdoutTerminal();
        String text = String.join(" ", prompt);
        if (piped) {
            String in = new String(io.in().readAllBytes(), StandardCharsets.UTF_8);
            text = text.isEmpty() ? in : in + " " + text;
        }
        List<String> caps = info.capabilities() == null ? List.of() : info.capabilities();
        if (caps.contains("embedding") && !caps.contains("completion")) {
            if (text.isBlank()) {
                throw new IllegalArgumentException("embedding models require input text. Usage: jollama run " + model
                        + " \"your text here\"");
            }
            var r = client.embed(new EmbedRequest(model, text, truncate ? null : false, dimensions, null, keepAlive));
            if (r.embeddings() == null || r.embeddings().isEmpty()) throw new IllegalStateException("no embeddings returned");
            io.out().println(new tools.jackson.databind.json.JsonMapper().writeValueAsString(r.embeddings().getFirst()));
            return 0;
        }
        Session session = new Session(io, client, model, info, format, keepAlive, thinkValue, hideThinking, verbose,
                !noWordWrap && stdoutTty);
        if (!text.isEmpty() || piped || !stdoutTty) {
            generateOnce(session, text);
            return 0;
        }
        return new Repl(session).run();
    }

    static Object parseThink(String think) {
        if (think == null) return null;
        return switch (think.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            case "high", "medium", "low", "max" -> think.toLowerCase(Locale.ROOT);
            default -> throw new IllegalArgumentException("invalid value for --think: \"" + think
                    + "\" (must be true, false, high, medium, low or max)");
        };
    }

    /** {@code /api/show}; on "not found" pulls the model with progress and asks again, as ollama's run does. */
    static ShowResponse showOrPull(Invocation io, OllamaClient client, String model, boolean insecure) {
        try {
            return client.show(ShowRequest.of(model));
        } catch (OllamaException e) {
            if (e.status() != 404) throw e;
        }
        PullCommand.pull(io, client, model, insecure);
        return client.show(ShowRequest.of(model));
    }

    private static void generateOnce(Session s, String text) {
        List<String> images = null;
        if (ImageFiles.multimodal(s.info)) {
            ImageFiles.Extracted e = ImageFiles.extract(text, s.io.err());
            text = e.text();
            images = e.images().isEmpty() ? null : e.images();
        }
        Output out = new Output(s.io.out(), Repl.terminalWidth(s.io), s.wordWrap);
        ThinkingPrinter thinking = new ThinkingPrinter(out, s.hideThinking);
        GenerateRequest req = new GenerateRequest(s.model, text, null, null, s.format, s.options.isEmpty() ? null : s.options,
                s.keepAlive, s.think, null, null, images);
        GenerateResponse last = s.client.generate(req, r -> {
            thinking.thinking(r.thinking());
            thinking.content(r.response());
        });
        out.finish();
        if (s.verbose && last != null) printMetrics(s.io.err(), last.metrics());
    }

    /** The timing lines of {@code --verbose}, as ollama prints them. */
    static void printMetrics(PrintStream err, Metrics m) {
        err.println();
        err.printf("total duration:       %s%n", Human.goDuration(m.totalDuration()));
        err.printf("load duration:        %s%n", Human.goDuration(m.loadDuration()));
        err.printf("prompt eval count:    %d token(s)%n", m.promptEvalCount());
        if (m.promptEvalDuration() > 0) {
            err.printf("prompt eval duration: %s%n", Human.goDuration(m.promptEvalDuration()));
            err.printf(Locale.ROOT, "prompt eval rate:     %.2f tokens/s%n", m.promptEvalCount() / (m.promptEvalDuration() / 1e9));
        }
        err.printf("eval count:           %d token(s)%n", m.evalCount());
        if (m.evalDuration() > 0) {
            err.printf("eval duration:        %s%n", Human.goDuration(m.evalDuration()));
            err.printf(Locale.ROOT, "eval rate:            %.2f tokens/s%n", m.evalCount() / (m.evalDuration() / 1e9));
        }
    }
}
