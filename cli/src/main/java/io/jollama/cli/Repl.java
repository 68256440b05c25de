package io.jollama.cli;

import io.jollama.client.Api.ChatRequest;
import io.jollama.client.Api.ChatResponse;
import io.jollama.client.Api.CreateRequest;
import io.jollama.client.Api.GenerateRequest;
import io.jollama.client.Api.Message;
import io.jollama.client.Api.ShowRequest;
import io.jollama.client.Api.ShowResponse;
import io.jollama.client.OllamaException;
import io.jollama.client.ResponseStream;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** The interactive chat of {@code jollama run}: JLine line editing and history, ollama's slash commands. */
final class Repl {

    private final Session s;
    private PrintStream out;
    private Terminal terminal;

    Repl(Session session) {
        this.s = session;
    }

    static int terminalWidth(Invocation io) {
        String cols = io.env("COLUMNS");
        try {
            if (cols != null) return Integer.parseInt(cols.strip());
        } catch (NumberFormatException ignored) {
            // fall through
        }
        return 80;
    }

    int run() throws IOException {
        try (Terminal t = TerminalBuilder.builder().system(true).build()) {
            terminal = t;
            out = new PrintStream(t.output(), true, t.encoding());
            DefaultParser parser = new DefaultParser();
            parser.setEscapeChars(new char[0]);
            parser.setQuoteChars(new char[0]);
            LineReaderBuilder b = LineReaderBuilder.builder().terminal(t).parser(parser)
                    .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                    .option(LineReader.Option.INSERT_TAB, true);
            String noHistory = s.io.env("OLLAMA_NOHISTORY");
            if (noHistory == null || noHistory.isBlank() || noHistory.strip().matches("0|f|F|false|FALSE|False")) {
                b.variable(LineReader.HISTORY_FILE, Path.of(System.getProperty("user.home"), ".jollama", "history"));
            }
            LineReader reader = b.build();
            load();
            printModelMessages();
            loop(reader);
            reader.getHistory().save();
        }
        return 0;
    }

    private void load() {
        s.client.generate(new GenerateRequest(s.model, "", null, null, null, null, s.keepAlive, null, null, null), r -> {});
        s.messages.clear();
        if (s.info.messages() != null) s.messages.addAll(s.info.messages());
    }

    private void printModelMessages() {
        for (Message m : s.messages) {
            if (m.role().equals("user")) out.println(">>> " + m.content());
            else if (m.role().equals("assistant")) out.println(m.content() + "\n");
        }
    }

    private void loop(LineReader reader) {
        StringBuilder multi = null; // text of an open """ block
        boolean multiIsSystem = false;
        while (true) {
            String line;
            try {
                line = reader.readLine(multi == null ? ">>> " : "... ");
            } catch (UserInterruptException e) {
                if (multi != null) {
                    multi = null;
                    continue;
                }
                if (e.getPartialLine().isEmpty()) out.println("Use Ctrl + d or /bye to exit.");
                continue;
            } catch (EndOfFileException e) {
                out.println();
                return;
            }
            if (multi != null) {
                if (line.endsWith("\"\"\"")) {
                    multi.append(line, 0, line.length() - 3);
                    String text = multi.toString();
                    multi = null;
                    if (multiIsSystem) setSystem(text);
                    else chat(text);
                } else {
                    multi.append(line).append('\n');
                }
                continue;
            }
            String trimmed = line.strip();
            if (trimmed.startsWith("\"\"\"") || trimmed.startsWith("/set system \"\"\"")) {
                multiIsSystem = !trimmed.startsWith("\"\"\"");
                String rest = multiIsSystem ? trimmed.substring("/set system \"\"\"".length()) : trimmed.substring(3);
                if (rest.endsWith("\"\"\"")) {
                    String text = rest.substring(0, rest.length() - 3);
                    if (multiIsSystem) setSystem(text);
                    else chat(text);
                } else {
                    multi = new StringBuilder(rest.isEmpty() ? "" : rest + "\n");
                }
                continue;
            }
            if (trimmed.isEmpty()) continue;
            if (trimmed.startsWith("/") && !startsWithFile(trimmed)) {
                if (!command(trimmed)) return;
                continue;
            }
            chat(line);
        }
    }

    /** Runs a slash command; false means quit. */
    private boolean command(String line) {
        String[] args = line.split("\\s+");
        switch (args[0]) {
            case "/bye", "/exit" -> {
                return false;
            }
            case "/clear" -> {
                s.messages.removeIf(m -> !m.role().equals("system"));
                out.println("Cleared session context");
            }
            case "/set" -> set(line, args);
            case "/show" -> show(args);
            case "/load" -> {
                if (args.length != 2) {
                    out.println("Usage:\n  /load <modelname>");
                    break;
                }
                out.println("Loading model '" + args[1] + "'");
                try {
                    s.info = RunCommand.showOrPull(s.io, s.client, args[1], false);
                    s.model = args[1];
                    s.system = null;
                    load();
                } catch (OllamaException e) {
                    out.println("error: " + e.getMessage());
                }
            }
            case "/save" -> {
                if (args.length != 2) {
                    out.println("Usage:\n  /save <modelname>");
                    break;
                }
                save(args[1]);
            }
            case "/list" -> {
                try {
                    new ListCommand().call();
                } catch (RuntimeException e) {
                    out.println("error: " + e.getMessage());
                }
            }
            case "/?", "/help" -> help(args.length > 1 ? args[1] : "");
            default -> out.println("Unknown command '" + args[0] + "'. Type /? for help");
        }
        return true;
    }

    private void set(String line, String[] args) {
        if (args.length < 2) {
            help("set");
            return;
        }
        switch (args[1]) {
            case "parameter" -> {
                if (args.length < 4) {
                    out.println("Usage:\n  /set parameter <name> <value>");
                    return;
                }
                List<String> values = Arrays.asList(args).subList(3, args.length);
                try {
                    if (args[2].equals("stop")) s.options.remove("stop");
                    OptionTypes.put(s.options, args[2], values);
                    out.println("Set parameter '" + args[2] + "' to '" + String.join(", ", values) + "'");
                } catch (IllegalArgumentException e) {
                    out.println("Couldn't set parameter: " + e.getMessage());
                }
            }
            case "system" -> {
                String text = line.strip().substring("/set system".length()).strip();
                if (text.length() >= 2 && text.startsWith("\"") && text.endsWith("\"")) text = text.substring(1, text.length() - 1);
                setSystem(text);
            }
            case "verbose" -> { s.verbose = true; out.println("Set 'verbose' mode."); }
            case "quiet" -> { s.verbose = false; out.println("Set 'quiet' mode."); }
            case "wordwrap" -> { s.wordWrap = true; out.println("Set 'wordwrap' mode."); }
            case "nowordwrap" -> { s.wordWrap = false; out.println("Set 'nowordwrap' mode."); }
            case "format" -> {
                if (args.length < 3 || !args[2].equals("json")) {
                    out.println("Invalid or missing format. For 'json' mode use '/set format json'");
                } else {
                    s.format = "json";
                    out.println("Set format to 'json' mode.");
                }
            }
            case "noformat" -> { s.format = null; out.println("Disabled format."); }
            case "history", "nohistory" -> out.println("Set '" + args[1] + "' mode.");
            case "think" -> {
                try {
                    s.think = args.length > 2 ? RunCommand.parseThink(args[2]) : true;
                    if (s.info.capabilities() == null || !s.info.capabilities().contains("thinking")) {
                        out.println("warning: model '" + s.model + "' does not support thinking output");
                    }
                    out.println("Set 'think' mode.");
                } catch (IllegalArgumentException e) {
                    out.println(e.getMessage());
                }
            }
            case "nothink" -> { s.think = false; out.println("Set 'nothink' mode."); }
            default -> out.println("Unknown command '/set " + args[1] + "'. Type /? for help");
        }
    }

    private void setSystem(String text) {
        s.system = text;
        // replace a trailing system message or append one, as ollama does
        if (!s.messages.isEmpty() && s.messages.getLast().role().equals("system")) s.messages.removeLast();
        s.messages.add(new Message("system", text));
        out.println("Set system message.");
    }

    private void show(String[] args) {
        if (args.length != 2) {
            help("show");
            return;
        }
        ShowResponse r;
        try {
            r = s.client.show(new ShowRequest(s.model, s.system, null, s.options.isEmpty() ? null : Map.copyOf(s.options)));
        } catch (OllamaException e) {
            out.println("error: " + e.getMessage());
            return;
        }
        switch (args[1]) {
            case "info" -> ShowCommand.printInfo(r, false, out);
            case "license" -> out.println(r.license() == null || r.license().isEmpty() ? "No license was specified for this model." : r.license());
            case "modelfile" -> out.println(r.modelfile());
            case "parameters" -> {
                if ((r.parameters() == null || r.parameters().isEmpty()) && s.options.isEmpty()) {
                    out.println("No parameters were specified for this model.");
                } else {
                    if (r.parameters() != null && !r.parameters().isEmpty()) {
                        out.println("Model defined parameters:");
                        out.println(r.parameters());
                    }
                    if (!s.options.isEmpty()) {
                        out.println("User defined parameters:");
                        s.options.forEach((k, v) -> out.printf("%-30s %s%n", k, v));
                    }
                }
            }
            case "system" -> out.println(s.system != null ? s.system
                    : r.system() == null || r.system().isEmpty() ? "No system message was specified for this model." : r.system());
            case "template" -> out.println(r.template() == null || r.template().isEmpty() ? "No prompt template was specified for this model." : r.template());
            default -> out.println("Unknown command '/show " + args[1] + "'. Type /? for help");
        }
    }

    private void save(String name) {
        // ollama builds on the parent model when there is one; a parent that is not (or no longer) a local model,
        // such as the GGUF file name a model was created from, falls back to the current model
        String from = s.model;
        String parent = s.info.details() == null ? null : s.info.details().parentModel();
        if (parent != null && !parent.isEmpty()) {
            try {
                s.client.show(ShowRequest.of(parent));
                from = parent;
            } catch (OllamaException notLocal) {
                // keep the current model
            }
        }
        try {
            s.client.create(new CreateRequest(name, from, null, null, null, s.system, null,
                    s.options.isEmpty() ? null : s.options, List.copyOf(s.messages), null, null, null, null, null), p -> {});
            out.println("Created new model '" + name + "'");
        } catch (OllamaException e) {
            out.println("error: " + e.getMessage());
        }
    }

    /** Whether a line that starts with "/" starts with an image path (for a multimodal model) rather than a command. */
    private boolean startsWithFile(String line) {
        if (!ImageFiles.multimodal(s.info)) return false;
        String first = line.split("\\s+")[0];
        for (String f : ImageFiles.names(line)) if (f.startsWith(first)) return true;
        return false;
    }

    /** One chat turn: streams the answer; Ctrl-C stops it and keeps the session. */
    private void chat(String text) {
        List<String> images = null;
        if (ImageFiles.multimodal(s.info)) {
            try {
                ImageFiles.Extracted e = ImageFiles.extract(text, out);
                text = e.text();
                images = e.images().isEmpty() ? null : e.images();
            } catch (IllegalArgumentException e) {
                out.println("error: " + e.getMessage());
                return;
            }
        }
        s.messages.add(new Message("user", text, null, images));
        Output o = new Output(out, terminal.getWidth() > 0 ? terminal.getWidth() : 80, s.wordWrap);
        ThinkingPrinter printer = new ThinkingPrinter(o, s.hideThinking);
        StringBuilder answer = new StringBuilder();
        ChatRequest req = new ChatRequest(s.model, List.copyOf(s.messages), s.format,
                s.options.isEmpty() ? null : Map.copyOf(s.options), s.keepAlive, s.think, null);
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        ResponseStream<ChatResponse> stream;
        try {
            stream = s.client.chatStream(req);
        } catch (OllamaException e) {
            s.messages.removeLast();
            out.println("Error: " + e.getMessage());
            return;
        }
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, sig -> {
            stream.close();
            done.complete(null);
        });
        Thread.ofVirtual().start(() -> {
            try {
                ChatResponse last = null;
                for (ChatResponse r : stream) {
                    if (done.isDone()) break;
                    if (r.message() != null) {
                        printer.thinking(r.message().thinking());
                        printer.content(r.message().content());
                        if (r.message().content() != null) answer.append(r.message().content());
                    }
                    last = r;
                }
                done.complete(last);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            } finally {
                stream.close();
            }
        });
        ChatResponse last;
        try {
            last = done.get();
        } catch (ExecutionException e) {
            o.finish();
            out.println("Error: " + e.getCause().getMessage());
            s.messages.removeLast();
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } finally {
            terminal.handle(Terminal.Signal.INT, previous);
        }
        o.finish();
        out.println();
        s.messages.add(new Message("assistant", answer.toString()));
        if (last != null && s.verbose) RunCommand.printMetrics(out, last.metrics());
    }

    private void help(String topic) {
        switch (topic) {
            case "set" -> out.println("""
                    Available Commands:
                      /set parameter ...     Set a parameter
                      /set system <string>   Set system message
                      /set history           Enable history
                      /set nohistory         Disable history
                      /set wordwrap          Enable wordwrap
                      /set nowordwrap        Disable wordwrap
                      /set format json       Enable JSON mode
                      /set noformat          Disable formatting
                      /set verbose           Show LLM stats
                      /set quiet             Disable LLM stats
                      /set think             Enable thinking
                      /set nothink           Disable thinking
                    """);
            case "show" -> out.println("""
                    Available Commands:
                      /show info         Show details for this model
                      /show license      Show model license
                      /show modelfile    Show Modelfile for this model
                      /show parameters   Show parameters for this model
                      /show system       Show system message
                      /show template     Show prompt template
                    """);
            case "shortcuts" -> out.println("""
                    Available keyboard shortcuts:
                      Ctrl + a            Move to the beginning of the line (Home)
                      Ctrl + e            Move to the end of the line (End)
                      Ctrl + l            Clear the screen
                      Ctrl + c            Stop the model from responding
                      Ctrl + d            Exit jollama (/bye)
                    """);
            default -> out.println("""
                    Available Commands:
                      /set            Set session variables
                      /show           Show model information
                      /load <model>   Load a session or model
                      /save <model>   Save your current session
                      /clear          Clear session context
                      /list           List models
                      /bye            Exit
                      /?, /help       Help for a command
                      /? shortcuts    Help for keyboard shortcuts

                    Use \"\"\" to begin a multi-line message.
                    """);
        }
    }
}
