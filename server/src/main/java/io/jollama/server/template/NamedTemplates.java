package io.jollama.server.template;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Ollama's named prompt templates (resources beside this class, see README there) and the detection of
 * one from a GGUF's {@code tokenizer.chat_template} Jinja text.
 */
public final class NamedTemplates {
    /** Ollama's rule: the closest reference Jinja template wins if its edit distance is below this. */
    public static final int MAX_DISTANCE = 100;

    /**
     * A named template.
     *
     * @param template Go template text (CRLF normalised to LF)
     * @param stop the stop list from its parameter file (empty if it has none)
     */
    public record Named(String name, String template, List<String> stop) {}

    private record Reference(String name, String jinja) {}

    private static final Map<String, Named> BY_NAME;
    private static final List<Reference> INDEX;

    static {
        ObjectMapper mapper = new ObjectMapper();
        Map<String, Named> byName = new LinkedHashMap<>();
        List<Reference> index = new ArrayList<>();
        for (JsonNode e : mapper.readTree(resource("index.json"))) {
            index.add(new Reference(e.get("name").asString(), e.get("template").asString()));
        }
        for (String name : resource("names.txt").split("\n")) {
            name = name.strip();
            if (name.isEmpty()) continue;
            String text = resource(name + ".gotmpl").replace("\r\n", "\n");
            List<String> stop = new ArrayList<>();
            String params = resourceOrNull(name + ".json");
            if (params != null) {
                JsonNode s = mapper.readTree(params).get("stop");
                if (s != null) s.forEach(x -> stop.add(x.asString()));
            }
            byName.put(name, new Named(name, text, List.copyOf(stop)));
        }
        BY_NAME = Collections.unmodifiableMap(byName);
        INDEX = List.copyOf(index);
    }

    private NamedTemplates() {}

    private static String resourceOrNull(String name) {
        try (InputStream in = NamedTemplates.class.getResourceAsStream(name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String resource(String name) {
        String s = resourceOrNull(name);
        if (s == null) throw new IllegalStateException("missing template resource " + name);
        return s;
    }

    /** All named templates, by name. */
    public static Map<String, Named> all() { return BY_NAME; }

    public static Optional<Named> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /**
     * The named template whose reference Jinja text is closest (Levenshtein distance over code points, first
     * minimum in index order) to {@code jinja}, if that distance is below {@link #MAX_DISTANCE}.
     */
    public static Optional<Named> matchJinja(String jinja) {
        if (jinja == null) return Optional.empty();
        int best = Integer.MAX_VALUE;
        Reference bestRef = null;
        for (Reference r : INDEX) {
            int d = levenshtein(jinja, r.jinja(), best);
            if (d < best) {
                best = d;
                bestRef = r;
            }
        }
        if (bestRef == null || best >= MAX_DISTANCE) return Optional.empty();
        return byName(bestRef.name());
    }

    /** Edit distance over Unicode code points; returns a value >= {@code limit} early when it must exceed it. */
    static int levenshtein(String a, String b, int limit) {
        int[] x = a.codePoints().toArray();
        int[] y = b.codePoints().toArray();
        if (Math.abs(x.length - y.length) >= limit) return Math.abs(x.length - y.length);
        int[] prev = new int[y.length + 1];
        int[] cur = new int[y.length + 1];
        for (int j = 0; j <= y.length; j++) prev[j] = j;
        for (int i = 1; i <= x.length; i++) {
            cur[0] = i;
            int rowMin = cur[0];
            for (int j = 1; j <= y.length; j++) {
                int cost = x[i - 1] == y[j - 1] ? 0 : 1;
                cur[j] = Math.min(Math.min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
                rowMin = Math.min(rowMin, cur[j]);
            }
            if (rowMin >= limit) return rowMin;
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[y.length];
    }
}
