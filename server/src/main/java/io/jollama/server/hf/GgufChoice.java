package io.jollama.server.hf;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GGUF model a Hugging Face import takes: one file, or every shard of a split model
 * ({@code -00001-of-0000N.gguf}, in order), and the repository's vision projector if it has one.
 * @param quant     the quantization read from the file name ({@code Q4_K_M}, {@code F16}, ...), or the file stem
 * @param projector the {@code mmproj} file that goes in as the projector layer (F16 preferred), or null
 */
public record GgufChoice(String quant, List<HfFile> files, HfFile projector) {

    /** ohhhllama's order of preference, best quality first, used when the requested quant is not there. */
    public static final List<String> PREFERENCE = List.of("Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S",
            "Q4_0", "Q3_K_M", "Q3_K_S", "Q2_K");
    public static final String DEFAULT_QUANT = "Q4_K_M";

    private static final Pattern SHARD = Pattern.compile("^(.*)-(\\d{5})-of-(\\d{5})\\.gguf$", Pattern.CASE_INSENSITIVE);
    private static final Pattern QUANT = Pattern.compile("^(I?Q\\d(_[A-Z0-9]+)*|F16|F32|BF16|MXFP4|TQ\\d_\\d)$");

    public long size() {
        return all().stream().mapToLong(HfFile::size).sum();
    }

    /** The model files, then the projector. */
    public List<HfFile> all() {
        if (projector == null) return files;
        List<HfFile> l = new ArrayList<>(files);
        l.add(projector);
        return List.copyOf(l);
    }

    private GgufChoice withProjector(List<HfFile> repo) {
        List<HfFile> mmproj = repo.stream().filter(f -> f.path().toLowerCase(Locale.ROOT).endsWith(".gguf")
                && f.fileName().toLowerCase(Locale.ROOT).contains("mmproj")).sorted(Comparator.comparing(HfFile::path)).toList();
        if (mmproj.isEmpty()) return this;
        for (String precision : List.of("f16", "bf16", "f32")) {
            for (HfFile f : mmproj) {
                if (f.fileName().toLowerCase(Locale.ROOT).matches(".*[-_.]" + precision + "[-_.].*")) {
                    return new GgufChoice(quant, files, f);
                }
            }
        }
        return new GgufChoice(quant, files, mmproj.getFirst());
    }

    /**
     * The candidates of a repository: its GGUF files with split shards grouped (incomplete sets left out), never a
     * multimodal projector ({@code mmproj}) file.
     */
    public static List<GgufChoice> candidates(List<HfFile> files) {
        Map<String, List<HfFile>> groups = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (HfFile f : files.stream().sorted(Comparator.comparing(HfFile::path)).toList()) {
            String lower = f.path().toLowerCase(Locale.ROOT);
            if (!lower.endsWith(".gguf") || f.fileName().toLowerCase(Locale.ROOT).contains("mmproj")) continue;
            Matcher m = SHARD.matcher(f.path());
            String key = m.matches() ? m.group(1) + "#" + m.group(3) : f.path();
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
            counts.put(key, m.matches() ? Integer.parseInt(m.group(3)) : 1);
        }
        List<GgufChoice> out = new ArrayList<>();
        for (var e : groups.entrySet()) {
            if (e.getValue().size() != counts.get(e.getKey())) continue; // a shard is missing
            out.add(new GgufChoice(quantOf(e.getValue().getFirst().path()), List.copyOf(e.getValue()), null));
        }
        return out;
    }

    /** The quant token of a path ({@code Q8_0/model-Q8_0-00001-of-00002.gguf} → {@code Q8_0}); else the file stem. */
    static String quantOf(String path) {
        String p = path.replaceAll("(?i)(-\\d{5}-of-\\d{5})?\\.gguf$", "");
        String found = null;
        for (String t : p.toUpperCase(Locale.ROOT).split("[-./]")) if (QUANT.matcher(t).matches()) found = t;
        if (found != null) return found;
        int slash = p.lastIndexOf('/');
        return p.substring(slash + 1);
    }

    /**
     * Picks the candidate for a quant: the exact quant token (or the file name itself), then the best of
     * {@link #PREFERENCE} when the quant is one of those, then the only candidate for the default quant.
     */
    public static GgufChoice pick(String repo, List<HfFile> files, String quant) {
        return pickModel(repo, files, quant).withProjector(files);
    }

    private static GgufChoice pickModel(String repo, List<HfFile> files, String quant) {
        List<GgufChoice> all = candidates(files);
        if (all.isEmpty()) {
            throw new HfException(404, "no GGUF file", "repository " + repo + " has no GGUF model file", true);
        }
        String q = quant.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        for (GgufChoice c : all) {
            if (c.quant.equalsIgnoreCase(q)) return c;
            for (HfFile f : c.files) if (f.fileName().equalsIgnoreCase(quant.strip()) || f.path().equalsIgnoreCase(quant.strip())) return c;
        }
        if (PREFERENCE.contains(q)) {
            for (String p : PREFERENCE) for (GgufChoice c : all) if (c.quant.equals(p)) return c;
        }
        if (q.equals(DEFAULT_QUANT) && all.size() == 1) return all.getFirst();
        throw new HfException(404, "quant not found", "repository " + repo + " has no " + quant + " GGUF; it has: "
                + String.join(", ", all.stream().map(GgufChoice::quant).distinct().sorted().toList()), true);
    }
}
