package io.jollama.cli;

import io.jollama.client.Api.CreateRequest;
import io.jollama.client.Api.Message;
import io.jollama.client.OllamaClient;
import io.jollama.server.create.Modelfile;
import io.jollama.server.store.ModelName;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code jollama create MODEL [-f Modelfile] [-q TYPE]}: reads the Modelfile, uploads the local GGUF files it names
 * (FROM, ADAPTER) as blobs, then streams {@code /api/create} (spec §5.5).
 */
@Command(name = "create", mixinStandardHelpOptions = true, description = "Create a model from a Modelfile.")
public final class CreateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Name of the Modelfile (default \"Modelfile\").")
    Path file = Path.of("Modelfile");

    @Option(names = {"-q", "--quantize"}, paramLabel = "TYPE", description = "Quantize model to this level (e.g. q8_0, q4_K_M).")
    String quantize;

    @Override
    public Integer call() throws IOException {
        if (!ModelName.parse(model).isValid()) throw new IllegalArgumentException("invalid model name: " + model);
        Path dir = file.toAbsolutePath().getParent();
        Modelfile mf;
        if (Files.exists(file)) {
            try {
                mf = Modelfile.parse(Files.readAllBytes(file));
            } catch (Modelfile.ParseException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        } else {
            mf = new Modelfile(List.of(new Modelfile.Command("model", ".")));
        }
        Invocation io = Invocation.of(spec);
        OllamaClient client = Client.connect(io);
        String from = null, template = null, system = null, renderer = null, parser = null, requires = null;
        Map<String, String> files = new LinkedHashMap<>(), adapters = new LinkedHashMap<>();
        List<String> licenses = new ArrayList<>();
        Map<String, Object> params = new LinkedHashMap<>();
        List<Message> messages = new ArrayList<>();
        for (Modelfile.Command c : mf.commands()) {
            switch (c.name()) {
                case "model" -> {
                    Path p = resolve(dir, c.args());
                    if (p != null && Files.exists(p)) files.putAll(upload(io.out(), client, modelFiles(p), Files.isDirectory(p) ? p : null));
                    else from = c.args();
                }
                case "adapter" -> {
                    Path p = resolve(dir, c.args());
                    if (p == null || !Files.exists(p)) throw new IllegalArgumentException("adapter " + c.args() + " not found");
                    adapters.putAll(upload(io.out(), client, modelFiles(p), Files.isDirectory(p) ? p : null));
                }
                case "template" -> template = c.args();
                case "system" -> system = c.args();
                case "license" -> licenses.add(c.args());
                case "renderer" -> renderer = c.args();
                case "parser" -> parser = c.args();
                case "requires" -> {
                    if (!c.args().matches("v?\\d+(\\.\\d+){0,2}([-+][0-9A-Za-z.-]+)?")) {
                        throw new IllegalArgumentException("requires must be a valid semver (e.g. 0.14.0)");
                    }
                    requires = c.args();
                }
                case "draft" -> throw new IllegalArgumentException("DRAFT models are not supported");
                case "message" -> {
                    int i = c.args().indexOf(": ");
                    messages.add(new Message(c.args().substring(0, i), c.args().substring(i + 2)));
                }
                default -> {
                    if (OptionTypes.DEPRECATED.contains(c.name())) {
                        io.err().println("warning: parameter " + c.name() + " is deprecated");
                    } else {
                        OptionTypes.put(params, c.name(), List.of(c.args()));
                    }
                }
            }
        }
        CreateRequest request = new CreateRequest(model, from, files, adapters, template, system, licenses, params,
                messages, quantize, renderer, parser, requires, null);
        try (ProgressView view = new ProgressView(io.out(), io.stdoutTerminal(), ProgressView.Kind.CREATE)) {
            client.create(request, view::update);
        }
        return 0;
    }

    /** A FROM/ADAPTER argument as a path: relative to the Modelfile's directory, {@code ~} expanded; null if not a path. */
    private static Path resolve(Path dir, String arg) {
        try {
            if (arg.equals("~") || arg.startsWith("~/")) arg = System.getProperty("user.home") + arg.substring(1);
            Path p = Path.of(arg);
            return p.isAbsolute() ? p : dir.resolve(p);
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    private static final java.util.regex.Pattern SHARD = java.util.regex.Pattern.compile("^(.*)-(\\d{5})-of-(\\d{5})\\.gguf$");

    /** A file (with its sibling shards when it is a split GGUF's {@code -00001-of-0000N.gguf}), or the GGUF files of a directory. */
    private static List<Path> modelFiles(Path p) throws IOException {
        java.util.regex.Matcher m = SHARD.matcher(p.getFileName().toString());
        if (!Files.isDirectory(p) && m.matches()) {
            int count = Integer.parseInt(m.group(3));
            List<Path> shards = new java.util.ArrayList<>();
            for (int i = 1; i <= count; i++) {
                Path s = p.resolveSibling(String.format("%s-%05d-of-%05d.gguf", m.group(1), i, count));
                if (!Files.exists(s)) throw new IllegalArgumentException("split GGUF " + p.getFileName() + ": shard " + s.getFileName() + " is missing");
                shards.add(s);
            }
            return shards;
        }
        if (!Files.isDirectory(p)) return List.of(p);
        List<Path> safetensors = safetensorsFiles(p);
        if (!safetensors.isEmpty()) return safetensors;
        try (Stream<Path> s = Files.list(p)) {
            List<Path> gguf = s.filter(f -> f.getFileName().toString().endsWith(".gguf")).sorted().toList();
            if (gguf.isEmpty()) throw new IllegalArgumentException("no Modelfile or safetensors files found");
            return gguf;
        }
    }

    /**
     * A Hugging Face directory as ollama's filesForModel picks it: model*.safetensors (also one level down), or
     * consolidated*.safetensors, or a PEFT adapter's adapter_model.safetensors; then the *.json files (also one level
     * down), chat_template.jinja and tokenizer.model. Empty when the directory has no safetensors.
     */
    private static List<Path> safetensorsFiles(Path dir) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(dir, 2)) {
            all = s.filter(Files::isRegularFile).sorted().toList();
        }
        java.util.function.Predicate<Path> top = f -> f.getParent().equals(dir);
        java.util.function.Function<Path, String> name = f -> f.getFileName().toString();
        List<Path> weights = all.stream().filter(f -> name.apply(f).startsWith("model") && name.apply(f).endsWith(".safetensors")).toList();
        if (weights.isEmpty()) weights = all.stream().filter(top).filter(f -> name.apply(f).startsWith("consolidated") && name.apply(f).endsWith(".safetensors")).toList();
        if (weights.isEmpty()) weights = all.stream().filter(top).filter(f -> name.apply(f).equals("adapter_model.safetensors")).toList();
        if (weights.isEmpty()) return List.of();
        List<Path> files = new ArrayList<>(weights);
        all.stream().filter(f -> name.apply(f).endsWith(".json")).forEach(files::add);
        all.stream().filter(top).filter(f -> name.apply(f).equals("chat_template.jinja") || name.apply(f).equals("tokenizer.model")).forEach(files::add);
        return files;
    }

    /** Uploads each file as a blob (unless the server has it) and returns its name (relative to {@code dir}, else the base name) → digest. */
    private static Map<String, String> upload(PrintStream progress, OllamaClient client, List<Path> paths, Path dir) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Path p : paths) {
            String digest = OllamaClient.digest(p);
            if (!client.blobExists(digest)) {
                progress.println("copying file " + digest + " 100%");
                client.createBlob(digest, p);
            }
            out.put(dir != null ? dir.relativize(p).toString().replace('\\', '/') : p.getFileName().toString(), digest);
        }
        return out;
    }
}
