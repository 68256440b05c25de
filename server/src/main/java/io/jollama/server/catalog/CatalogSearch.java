package io.jollama.server.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Search and filters over the catalog, those the gallery offers only in its web page: text, capability, parameter
 * size, input type, context window range, size range, updated range, installed/queued, sort (popular, newest, size)
 * and paging. Model filters select models; tag filters (input, context, size) select a model's tags, and a model
 * is found when at least one of its tags passes them.
 */
public final class CatalogSearch {

    private CatalogSearch() {}

    /** A bad query parameter: {@code error} is short, {@code message} says what is expected. */
    public static final class BadQuery extends IllegalArgumentException {
        public final String error;

        BadQuery(String error, String message) {
            super(message);
            this.error = error;
        }
    }

    public enum Sort { POPULAR, NEWEST, SIZE }

    /**
     * One search. Empty lists and nulls mean "any". Sizes and context windows are numbers as the catalog's
     * ({@code size_num}, {@code context_window_num}).
     */
    public record Query(String text, List<String> capabilities, List<String> parameters, List<String> inputs,
                        Long minContext, Long maxContext, Long minSize, Long maxSize, String updatedAfter,
                        String updatedBefore, Boolean installed, Boolean queued, Sort sort, int page, int perPage) {

        public static final int DEFAULT_PER_PAGE = 20, MAX_PER_PAGE = 1000;

        boolean filtersTags() {
            return !inputs.isEmpty() || minContext != null || maxContext != null || minSize != null || maxSize != null;
        }

        /**
         * From query parameters ({@code q}, {@code capability}, {@code parameters}, {@code input}, {@code min_context},
         * {@code max_context}, {@code min_size}, {@code max_size}, {@code updated_after}, {@code updated_before},
         * {@code installed}, {@code queued}, {@code sort}, {@code page}, {@code per_page}); list parameters may repeat
         * or be comma-separated; sizes take units ({@code 8GB}, {@code 500MB}), context windows too ({@code 128K}).
         */
        public static Query from(Map<String, List<String>> params) {
            String sort = one(params, "sort");
            Sort s;
            try {
                s = sort == null ? Sort.POPULAR : Sort.valueOf(sort.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new BadQuery("invalid sort", "sort must be popular, newest or size, not '" + sort + "'");
            }
            int page = integer(params, "page", 1, 1, Integer.MAX_VALUE);
            int perPage = integer(params, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE);
            return new Query(one(params, "q"), list(params, "capability"), list(params, "parameters"),
                    list(params, "input"), number(params, "min_context"), number(params, "max_context"),
                    number(params, "min_size"), number(params, "max_size"), date(params, "updated_after"),
                    date(params, "updated_before"), bool(params, "installed"), bool(params, "queued"), s, page, perPage);
        }

        private static String one(Map<String, List<String>> p, String key) {
            List<String> v = p.get(key);
            if (v == null || v.isEmpty() || v.getLast().isBlank()) return null;
            return v.getLast().strip();
        }

        private static List<String> list(Map<String, List<String>> p, String key) {
            List<String> out = new ArrayList<>();
            for (String v : p.getOrDefault(key, List.of())) {
                for (String part : v.split(",")) if (!part.isBlank()) out.add(part.strip().toLowerCase(Locale.ROOT));
            }
            return out;
        }

        private static Long number(Map<String, List<String>> p, String key) {
            String v = one(p, key);
            if (v == null) return null;
            long n = Conversions.number(v);
            if (n == 0 && !v.matches("0+(\\.0*)?\\s*[A-Za-z]*")) {
                throw new BadQuery("invalid " + key, key + " must be a number with an optional unit (8GB, 500MB, 128K), not '" + v + "'");
            }
            return n;
        }

        private static String date(Map<String, List<String>> p, String key) {
            String v = one(p, key);
            if (v == null) return null;
            try {
                return LocalDate.parse(v).toString();
            } catch (DateTimeParseException e) {
                throw new BadQuery("invalid " + key, key + " must be a date YYYY-MM-DD, not '" + v + "'");
            }
        }

        private static Boolean bool(Map<String, List<String>> p, String key) {
            String v = one(p, key);
            if (v == null) return null;
            return switch (v.toLowerCase(Locale.ROOT)) {
                case "true", "1", "yes" -> true;
                case "false", "0", "no" -> false;
                default -> throw new BadQuery("invalid " + key, key + " must be true or false, not '" + v + "'");
            };
        }

        private static int integer(Map<String, List<String>> p, String key, int fallback, int min, int max) {
            String v = one(p, key);
            if (v == null) return fallback;
            try {
                int n = Integer.parseInt(v);
                if (n < min || n > max) throw new NumberFormatException();
                return n;
            } catch (NumberFormatException e) {
                throw new BadQuery("invalid " + key, key + " must be a whole number from " + min + " to " + max + ", not '" + v + "'");
            }
        }
    }

    /** One tag in a search result: the gallery's tag fields plus its digest and status. */
    @JsonPropertyOrder({"name", "digest", "href", "input_types", "updated_str", "update_date", "context_window",
            "context_window_num", "size_str", "size_num", "installed", "queued"})
    public record Tag(@JsonProperty("name") String name, @JsonProperty("digest") String digest,
                      @JsonProperty("href") String href, @JsonProperty("input_types") List<String> inputTypes,
                      @JsonProperty("updated_str") String updatedStr, @JsonProperty("update_date") String updateDate,
                      @JsonProperty("context_window") String contextWindow,
                      @JsonProperty("context_window_num") long contextWindowNum,
                      @JsonProperty("size_str") String sizeStr, @JsonProperty("size_num") long sizeNum,
                      @JsonProperty("installed") boolean installed, @JsonProperty("queued") boolean queued) {}

    /** One model in a search result: the gallery's model fields plus its name, status and (matching) tags. */
    @JsonPropertyOrder({"name", "description", "capabilities", "parameters", "pull_str", "pull", "tag_count", "updated",
            "update_date", "link", "popularity", "installed", "queued", "tags"})
    public record Model(@JsonProperty("name") String name, @JsonProperty("description") String description,
                        @JsonProperty("capabilities") List<String> capabilities,
                        @JsonProperty("parameters") List<String> parameters,
                        @JsonProperty("pull_str") String pullStr, @JsonProperty("pull") long pull,
                        @JsonProperty("tag_count") Object tagCount, @JsonProperty("updated") String updated,
                        @JsonProperty("update_date") String updateDate, @JsonProperty("link") String link,
                        @JsonProperty("popularity") int popularity, @JsonProperty("installed") boolean installed,
                        @JsonProperty("queued") boolean queued, @JsonProperty("tags") List<Tag> tags) {}

    @JsonPropertyOrder({"total", "page", "per_page", "models"})
    public record Result(@JsonProperty("total") int total, @JsonProperty("page") int page,
                         @JsonProperty("per_page") int perPage, @JsonProperty("models") List<Model> models) {}

    public static Result search(CatalogDocuments docs, Query q, Catalog.Installed installed, Set<String> queued) {
        List<Model> found = new ArrayList<>();
        List<Word> words = new ArrayList<>();
        if (q.text() != null) {
            for (String w : q.text().toLowerCase(Locale.ROOT).split("\\s+")) if (!w.isEmpty()) words.add(Word.of(w));
        }
        for (var e : docs.models().entrySet()) {
            String name = e.getKey();
            LibraryModel m = e.getValue();
            if (!matchesModel(name, m, q, words)) continue;
            List<Tag> tags = new ArrayList<>();
            boolean anyInstalled = false, anyQueued = false;
            LinkedHashMap<String, TagInfo> all = docs.tags().getOrDefault(name, new LinkedHashMap<>());
            for (var t : all.entrySet()) {
                TagInfo ti = t.getValue();
                String key = ti.name().toLowerCase(Locale.ROOT);
                boolean inst = installed.names().contains(key) || installed.ids().contains(t.getKey());
                boolean que = queued.contains(key);
                anyInstalled |= inst;
                anyQueued |= que;
                if (!matchesTag(ti, q)) continue;
                tags.add(new Tag(ti.name(), t.getKey(), ti.href(), ti.inputTypes(), ti.updatedStr(), ti.updateDate(),
                        ti.contextWindow(), ti.contextWindowNum(), ti.sizeStr(), ti.sizeNum(), inst, que));
            }
            // a model installed or queued under a name the tags page does not list (an alias) still counts
            String prefix = name.toLowerCase(Locale.ROOT) + ":";
            anyInstalled |= installed.names().stream().anyMatch(n -> n.startsWith(prefix));
            anyQueued |= queued.stream().anyMatch(n -> n.startsWith(prefix));
            if (q.filtersTags() && tags.isEmpty()) continue;
            if (q.installed() != null && q.installed() != anyInstalled) continue;
            if (q.queued() != null && q.queued() != anyQueued) continue;
            found.add(new Model(name, m.description(), m.capabilities(), m.parameters(), m.pullStr(), m.pull(),
                    m.tagCount(), m.updated(), m.updateDate(), m.link(), m.popularity(), anyInstalled, anyQueued, tags));
        }
        found.sort(order(q.sort()));
        int from = (int) Math.min((long) (q.page() - 1) * q.perPage(), found.size());
        int to = Math.min(from + q.perPage(), found.size());
        return new Result(found.size(), q.page(), q.perPage(), List.copyOf(found.subList(from, to)));
    }

    /**
     * A search word: it matches anywhere in a model's name, and at the start of a word in its description (so "nomic"
     * finds nomic-embed-text but not "economical").
     */
    private record Word(String text, Pattern atWordStart) {
        static Word of(String w) {
            return new Word(w, Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(w)));
        }

        boolean matches(String lowerName, String lowerDescription) {
            return lowerName.contains(text) || atWordStart.matcher(lowerDescription).find();
        }
    }

    private static boolean matchesModel(String name, LibraryModel m, Query q, List<Word> words) {
        String lowerName = name.toLowerCase(Locale.ROOT);
        String description = m.description() == null ? "" : m.description().toLowerCase(Locale.ROOT);
        for (Word w : words) if (!w.matches(lowerName, description)) return false;
        for (String c : q.capabilities()) if (!lower(m.capabilities()).contains(c)) return false;
        if (!q.parameters().isEmpty() && q.parameters().stream().noneMatch(lower(m.parameters())::contains)) return false;
        if (q.updatedAfter() != null && (m.updateDate() == null || m.updateDate().compareTo(q.updatedAfter()) < 0)) return false;
        if (q.updatedBefore() != null && (m.updateDate() == null || m.updateDate().compareTo(q.updatedBefore()) > 0)) return false;
        return true;
    }

    private static boolean matchesTag(TagInfo t, Query q) {
        for (String i : q.inputs()) if (!lower(t.inputTypes()).contains(i)) return false;
        if (q.minContext() != null && t.contextWindowNum() < q.minContext()) return false;
        if (q.maxContext() != null && t.contextWindowNum() > q.maxContext()) return false;
        if (q.minSize() != null && t.sizeNum() < q.minSize()) return false;
        // a cloud tag has no download size (0): a size ceiling does not make it match
        if (q.maxSize() != null && (t.sizeNum() <= 0 || t.sizeNum() > q.maxSize())) return false;
        return true;
    }

    private static List<String> lower(List<String> xs) {
        return xs == null ? List.of() : xs.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    }

    private static Comparator<Model> order(Sort sort) {
        Comparator<Model> popular = Comparator.comparingInt(Model::popularity);
        return switch (sort) {
            case POPULAR -> popular;
            case NEWEST -> Comparator.comparing(Model::updateDate, Comparator.nullsLast(Comparator.reverseOrder())).thenComparing(popular);
            case SIZE -> Comparator.comparingLong(CatalogSearch::smallestSize).thenComparing(popular);
        };
    }

    /** The smallest download among the model's (matching) tags; models without a sized tag sort last. */
    private static long smallestSize(Model m) {
        return m.tags().stream().mapToLong(Tag::sizeNum).filter(s -> s > 0).min().orElse(Long.MAX_VALUE);
    }
}
