package io.jollama.cli;

import io.jollama.client.Gallery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jollama search [TEXT] [filters]}: the library catalog (the models of ollama.com/library), one row per model
 * (or per tag with {@code --tags}), with sizes, context windows, capabilities and what is installed or queued.
 */
@Command(name = "search", mixinStandardHelpOptions = true, description = "Search the model library catalog.",
        footer = {"", "Sizes take decimal units (8GB, 500MB), context windows too (128K). Examples:",
                "  jollama search qwen --capability tools --max-size 8GB",
                "  jollama search --capability vision --input image --sort newest",
                "  jollama search llama3.2 --tags"})
public final class SearchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "TEXT", description = "Words the name or description contains.")
    List<String> words = new ArrayList<>();

    @Option(names = {"-c", "--capability"}, paramLabel = "CAP", description = "Required capability (tools, thinking, vision, embedding, audio); repeatable.")
    List<String> capabilities = new ArrayList<>();

    @Option(names = {"-p", "--parameters"}, paramLabel = "SIZE", description = "Parameter size badge (8b, 70b, e2b); repeatable, any of them.")
    List<String> parameters = new ArrayList<>();

    @Option(names = "--input", paramLabel = "TYPE", description = "Input type a tag must take (text, image); repeatable.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--min-size", paramLabel = "SIZE", description = "Smallest download size of a tag (e.g. 1GB).")
    String minSize;

    @Option(names = "--max-size", paramLabel = "SIZE", description = "Largest download size of a tag (e.g. 8GB).")
    String maxSize;

    @Option(names = "--min-context", paramLabel = "N", description = "Smallest context window (e.g. 32K).")
    String minContext;

    @Option(names = "--max-context", paramLabel = "N", description = "Largest context window (e.g. 128K).")
    String maxContext;

    @Option(names = "--updated-after", paramLabel = "DATE", description = "Updated on or after this date (YYYY-MM-DD).")
    String updatedAfter;

    @Option(names = "--updated-before", paramLabel = "DATE", description = "Updated on or before this date (YYYY-MM-DD).")
    String updatedBefore;

    @Option(names = "--installed", description = "Only models with an installed tag.")
    boolean installed;

    @Option(names = "--sort", paramLabel = "ORDER", defaultValue = "popular", description = "popular (default), newest or size.")
    String sort;

    @Option(names = {"-n", "--limit"}, paramLabel = "N", defaultValue = "20", description = "Models per page (default 20).")
    int limit;

    @Option(names = "--page", paramLabel = "N", defaultValue = "1", description = "Page of results (default 1).")
    int page;

    @Option(names = "--tags", description = "One row per tag instead of per model.")
    boolean tags;

    @Override
    public Integer call() {
        Invocation io = Invocation.of(spec);
        List<Map.Entry<String, String>> q = new ArrayList<>();
        if (!words.isEmpty()) q.add(Map.entry("q", String.join(" ", words)));
        capabilities.forEach(c -> q.add(Map.entry("capability", c)));
        parameters.forEach(p -> q.add(Map.entry("parameters", p)));
        inputs.forEach(i -> q.add(Map.entry("input", i)));
        add(q, "min_size", minSize);
        add(q, "max_size", maxSize);
        add(q, "min_context", minContext);
        add(q, "max_context", maxContext);
        add(q, "updated_after", updatedAfter);
        add(q, "updated_before", updatedBefore);
        if (installed) q.add(Map.entry("installed", "true"));
        q.add(Map.entry("sort", sort));
        q.add(Map.entry("per_page", String.valueOf(limit)));
        q.add(Map.entry("page", String.valueOf(page)));
        Gallery.SearchResult r = Client.connect(io).gallerySearch(q);
        if (tags) tagTable(r).print(io.out());
        else modelTable(r).print(io.out());
        int shown = (r.page() - 1) * r.perPage() + r.models().size();
        if (shown < r.total()) {
            io.out().println("(" + r.models().size() + " of " + r.total() + " models; --page " + (r.page() + 1) + " for more)");
        }
        return 0;
    }

    private static void add(List<Map.Entry<String, String>> q, String key, String value) {
        if (value != null && !value.isBlank()) q.add(Map.entry(key, value));
    }

    static Table modelTable(Gallery.SearchResult r) {
        Table t = new Table("NAME", "SIZES", "CONTEXT", "CAPABILITIES", "INSTALLED");
        for (Gallery.Model m : r.models()) {
            t.row(m.name(), range(m.tags(), Gallery.Tag::sizeNum, Gallery.Tag::sizeStr),
                    range(m.tags(), Gallery.Tag::contextWindowNum, Gallery.Tag::contextWindow),
                    m.capabilities() == null || m.capabilities().isEmpty() ? "-" : String.join(", ", m.capabilities()),
                    status(m));
        }
        return t;
    }

    static Table tagTable(Gallery.SearchResult r) {
        Table t = new Table("NAME", "SIZE", "CONTEXT", "INPUT", "UPDATED", "INSTALLED");
        for (Gallery.Model m : r.models()) {
            for (Gallery.Tag tag : m.tags()) {
                t.row(tag.name(), dash(tag.sizeStr()), dash(tag.contextWindow()), String.join(", ", tag.inputTypes()),
                        dash(tag.updatedStr()), tag.installed() ? "yes" : tag.queued() ? "queued" : "-");
            }
        }
        return t;
    }

    /** "274MB", or the smallest and largest of the tags, "1.3GB–404GB" (as the library writes them). */
    private static String range(List<Gallery.Tag> tags, java.util.function.ToLongFunction<Gallery.Tag> num,
                                java.util.function.Function<Gallery.Tag, String> text) {
        List<Gallery.Tag> sized = tags.stream().filter(t -> num.applyAsLong(t) > 0).toList();
        if (sized.isEmpty()) return "-";
        Gallery.Tag lo = sized.stream().min(Comparator.comparingLong(num)).orElseThrow();
        Gallery.Tag hi = sized.stream().max(Comparator.comparingLong(num)).orElseThrow();
        return num.applyAsLong(lo) == num.applyAsLong(hi) ? text.apply(lo) : text.apply(lo) + "–" + text.apply(hi);
    }

    /** The installed tags ("latest, 8b"), else "queued", else "-". */
    private static String status(Gallery.Model m) {
        List<String> inst = m.tags().stream().filter(Gallery.Tag::installed)
                .map(t -> t.name().substring(t.name().indexOf(':') + 1)).toList();
        if (!inst.isEmpty()) return String.join(", ", inst);
        if (m.installed()) return "yes";
        return m.queued() ? "queued" : "-";
    }

    private static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }
}
