package io.jollama.cli;

import io.jollama.client.Api.ShowRequest;
import io.jollama.client.Api.ShowResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jollama show MODEL}: the model's information, or one raw field with a flag. */
@Command(name = "show", mixinStandardHelpOptions = true, description = "Show information for a model.")
public final class ShowCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Option(names = "--license", description = "Show license of a model") boolean license;
    @Option(names = "--modelfile", description = "Show Modelfile of a model") boolean modelfile;
    @Option(names = "--parameters", description = "Show parameters of a model") boolean parameters;
    @Option(names = "--system", description = "Show system message of a model") boolean system;
    @Option(names = "--template", description = "Show template of a model") boolean template;
    @Option(names = {"-v", "--verbose"}, description = "Show detailed model information") boolean verbose;

    @Override
    public Integer call() {
        int flags = (license ? 1 : 0) + (modelfile ? 1 : 0) + (parameters ? 1 : 0) + (system ? 1 : 0) + (template ? 1 : 0);
        if (flags > 1) {
            throw new IllegalArgumentException("only one of '--license', '--modelfile', '--parameters', '--system', or '--template' can be specified");
        }
        Invocation io = Invocation.of(spec);
        ShowResponse r = Client.connect(io).show(new ShowRequest(model, null, verbose ? true : null, null));
        PrintStream out = io.out();
        if (license) out.println(nz(r.license()));
        else if (modelfile) out.println(nz(r.modelfile()));
        else if (parameters) out.println(nz(r.parameters()));
        else if (system) out.println(nz(r.system()));
        else if (template) out.println(nz(r.template()));
        else printInfo(r, verbose, out);
        return 0;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /** The info tables ollama prints: Model, Capabilities, Projector, Parameters, System, License (and Metadata, Tensors with -v). */
    static void printInfo(ShowResponse r, boolean verbose, PrintStream out) {
        Map<String, Object> info = r.modelInfo() == null ? Map.of() : r.modelInfo();
        String arch = String.valueOf(info.getOrDefault("general.architecture", ""));
        List<String[]> model = new ArrayList<>();
        add(model, "architecture", arch);
        if (r.details() != null) add(model, "parameters", r.details().parameterSize());
        add(model, "context length", info.get(arch + ".context_length"));
        add(model, "embedding length", info.get(arch + ".embedding_length"));
        if (r.details() != null) add(model, "quantization", r.details().quantizationLevel());
        add(model, "requires", r.requires());
        section(out, "Model", model);

        if (r.capabilities() != null && !r.capabilities().isEmpty()) {
            section(out, "Capabilities", r.capabilities().stream().map(c -> new String[]{c}).toList());
        }
        if (r.projectorInfo() != null && !r.projectorInfo().isEmpty()) {
            Map<String, Object> p = r.projectorInfo();
            String parch = String.valueOf(p.getOrDefault("general.architecture", ""));
            List<String[]> rows = new ArrayList<>();
            add(rows, "architecture", parch);
            if (p.get("general.parameter_count") instanceof Number n) add(rows, "parameters", Human.number(n.longValue()));
            for (String modality : List.of("vision", "audio")) {
                if (p.get(parch + "." + modality + ".embedding_length") instanceof Number n) {
                    add(rows, "embedding length", n);
                    break;
                }
            }
            for (String modality : List.of("vision", "audio")) {
                if (p.get(parch + "." + modality + ".projection_dim") instanceof Number n) {
                    add(rows, "dimensions", n);
                    break;
                }
            }
            section(out, "Projector", rows);
        }
        if (r.parameters() != null && !r.parameters().isBlank()) {
            List<String[]> params = new ArrayList<>();
            for (String line : r.parameters().split("\n")) {
                String[] kv = line.strip().split("\\s+", 2);
                if (kv.length == 2) params.add(kv);
            }
            section(out, "Parameters", params);
        }
        if (r.system() != null && !r.system().isBlank()) section(out, "System", firstLines(r.system()));
        if (r.license() != null && !r.license().isBlank()) section(out, "License", firstLines(r.license()));
        if (verbose) {
            List<String[]> meta = new ArrayList<>();
            info.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> meta.add(new String[]{e.getKey(), metadataValue(e.getValue())}));
            section(out, "Metadata", meta);
            if (r.tensors() != null) {
                section(out, "Tensors", r.tensors().stream()
                        .map(t -> new String[]{t.name(), t.type(), String.valueOf(t.shape())}).toList());
            }
        }
    }

    /**
     * A metadata value as ollama's show prints it: a long array shows the items that fit about 10 columns
     * ({@code [<unk> <s> ...+510 more]}, items as Go's %v prints them), never thousands of characters.
     */
    static String metadataValue(Object value) {
        if (!(value instanceof List<?> items)) return String.valueOf(value);
        int shown = 0, width = 1;
        for (Object item : items) {
            int w = String.valueOf(item).length() + (shown > 0 ? 2 : 0);
            if (width + w > 10 && shown > 0) break;
            width += w;
            shown++;
        }
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < shown; i++) b.append(i > 0 ? " " : "").append(items.get(i));
        if (shown < items.size()) b.append(" ...+").append(items.size() - shown).append(" more");
        return b.append(']').toString();
    }

    private static void add(List<String[]> rows, String key, Object value) {
        if (value == null) return;
        String v = String.valueOf(value);
        if (!v.isEmpty() && !v.equals("0")) rows.add(new String[]{key, v});
    }

    private static List<String[]> firstLines(String text) {
        List<String[]> rows = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            if (rows.size() == 2) {
                rows.add(new String[]{"..."});
                break;
            }
            rows.add(new String[]{line.strip()});
        }
        return rows;
    }

    /** A section: a two-space indented title, rows indented four, each cell padded to its column width plus four. */
    private static void section(PrintStream out, String title, List<String[]> rows) {
        if (rows.isEmpty()) return;
        int cols = rows.stream().mapToInt(r -> r.length).max().orElse(1);
        int[] width = new int[cols];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
        out.println("  " + title);
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder("    ");
            for (int i = 0; i < r.length; i++) line.append(r[i]).append(" ".repeat(width[i] - r[i].length() + 4));
            out.println(line);
        }
        out.println();
    }
}
