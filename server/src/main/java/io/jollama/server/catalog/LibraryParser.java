package io.jollama.server.catalog;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Elements;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeSet;

/**
 * Reads ollama.com's library pages into the gallery's entries, field by field as the gallery's scraper does
 * (spec 1.2 and 1.3): the listing {@code /library} and a model's {@code /library/<model>/tags}.
 */
public final class LibraryParser {

    private LibraryParser() {}

    /** The models of a listing page in page order, and how many of its entries could not be read. */
    public record Listing(LinkedHashMap<String, LibraryModel> models, int errors) {

        /** {@code models_status.json} for this listing: capabilities and sizes as sorted string sets. */
        public ModelsStatus status(String date, String processingTime) {
            TreeSet<String> caps = new TreeSet<>(), sizes = new TreeSet<>();
            for (LibraryModel m : models.values()) {
                caps.addAll(m.capabilities());
                sizes.addAll(m.parameters());
            }
            return new ModelsStatus(models.size(), true, errors, date, List.copyOf(caps), List.copyOf(sizes), processingTime);
        }
    }

    private static final String NAME_CLASS = "group-hover:underline truncate";
    private static final String DESCRIPTION_CLASS = "max-w-lg break-words text-neutral-800 text-md";

    /**
     * The listing page. {@code base} makes links absolute ("https://ollama.com"); {@code now} anchors relative dates.
     * An entry missing a field the gallery requires is counted in {@link Listing#errors()} and left out.
     */
    public static Listing parseListing(String html, String base, ZonedDateTime now) {
        Document doc = Jsoup.parse(html);
        LinkedHashMap<String, LibraryModel> models = new LinkedHashMap<>();
        int errors = 0, position = 0;
        for (Element li : doc.select("li[x-test-model]")) {
            position++;
            try {
                String name = text(required(withClass(li.select("h2 span"), NAME_CLASS), "name"));
                String description = text(required(withClass(li.select("p"), DESCRIPTION_CLASS), "description"));
                String pullStr = text(required(li.selectFirst("span[x-test-pull-count]"), "pull count"));
                String tagCount = text(required(li.selectFirst("span[x-test-tag-count]"), "tag count"));
                String updated = text(required(li.selectFirst("span[x-test-updated]"), "updated"));
                Element a = required(li.selectFirst("a[href]"), "link");
                models.put(name, new LibraryModel(description, texts(li.select("span[x-test-capability]")),
                        texts(li.select("span[x-test-size]")), pullStr, Conversions.number(pullStr), tagCount, updated,
                        Conversions.relativeDate(updated, now), absolute(base, a.attr("href")), position));
            } catch (IllegalArgumentException e) {
                errors++;
            }
        }
        return new Listing(models, errors);
    }

    /**
     * A model's tags page: one entry per distinct digest in page order (aliases sharing a digest are dropped, the
     * first name stays). Empty when the page has no tag rows.
     */
    public static LinkedHashMap<String, TagInfo> parseTags(String html, String base, ZonedDateTime now) {
        Document doc = Jsoup.parse(html);
        LinkedHashMap<String, TagInfo> tags = new LinkedHashMap<>();
        for (Element row : doc.select("div[class*=group][class*=px-4][class*=py-3]")) {
            Element digestSpan = row.selectFirst("span[class*=font-mono]");
            Element a = row.selectFirst("a[href]");
            Element nameDiv = row.selectFirst("div[class*=font-medium]");
            Elements grey = row.select("div[class*=text-neutral-500]");
            Elements cols = row.select("p[class*=col-span]");
            if (digestSpan == null || a == null || nameDiv == null || grey.size() < 3 || cols.size() < 2) continue;
            String digest = text(digestSpan);
            if (tags.containsKey(digest)) continue;
            // the name's own span, so that a "latest" badge beside it is not read as part of the name
            Element nameSpan = nameDiv.selectFirst("span[class*=group-hover:underline]");
            String name = text(nameSpan != null ? nameSpan : nameDiv).replace("\n", "");
            List<String> inputs = new ArrayList<>();
            for (String part : text(grey.get(1)).split(",")) inputs.add(strip(part));
            String updatedLine = text(grey.get(2));
            String updatedStr = strip(updatedLine.substring(updatedLine.lastIndexOf('\u00b7') + 1));
            String size = text(cols.get(0)), context = text(cols.get(1));
            tags.put(digest, new TagInfo(absolute(base, a.attr("href")), name, inputs, updatedStr,
                    Conversions.relativeDate(updatedStr, now), context, Conversions.number(context), size,
                    Conversions.number(size)));
        }
        return tags;
    }

    private static Element withClass(Elements candidates, String exactClass) {
        for (Element e : candidates) if (e.attr("class").equals(exactClass)) return e;
        return null;
    }

    private static Element required(Element e, String what) {
        if (e == null) throw new IllegalArgumentException("no " + what);
        return e;
    }

    private static List<String> texts(Elements es) {
        List<String> out = new ArrayList<>(es.size());
        for (Element e : es) out.add(text(e));
        return out;
    }

    /** The element's whole text as in the page, its ends stripped. */
    private static String text(Element e) {
        return strip(e.wholeText());
    }

    /** Python's {@code str.strip()}: every Unicode space goes, the non-breaking ones too. */
    static String strip(String s) {
        int start = 0, end = s.length();
        while (start < end && isSpace(s.charAt(start))) start++;
        while (end > start && isSpace(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    static String absolute(String base, String href) {
        if (href.startsWith("http://") || href.startsWith("https://")) return href;
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return b + (href.startsWith("/") ? href : "/" + href);
    }
}
