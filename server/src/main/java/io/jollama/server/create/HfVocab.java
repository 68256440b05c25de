package io.jollama.server.create;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufWriter;
import io.jollama.engine.tokenizer.Tokenizer;
import tools.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tokenizer of a Hugging Face model directory as llama.cpp's {@code convert_hf_to_gguf.py} writes it into a
 * GGUF ({@code tokenizer.ggml.*} and {@code tokenizer.chat_template}), from {@code tokenizer.json},
 * {@code tokenizer_config.json}, {@code special_tokens_map.json}, {@code config.json} and {@code chat_template.jinja}.
 *
 * <p>Two kinds, as llama.cpp chooses them: a byte-level BPE ({@code gpt2}: its {@code get_vocab_base} token list
 * and types, the merges, and the pre-tokenizer found by hashing the tokenization of llama.cpp's check text), and a
 * SentencePiece-style BPE with byte fallback ({@code llama}: its {@code LlamaHfVocab} token list). For the latter
 * llama.cpp gives every token the score -1000, which loses the merge order; here a token made by a merge gets
 * minus that merge's rank, so the SentencePiece tokenizer merges in the order the BPE model does.
 */
final class HfVocab {

    /** llama.cpp's check text (get_vocab_base_pre), whose tokenization identifies a BPE pre-tokenizer. */
    static final String CHECK_TEXT = "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL";

    static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    private static final Map<String, String> PRE_BY_HASH = loadHashes();

    /** Ollama's identification of a pre-tokenizer by the sha256 of its Split regexes (used when the check text's hash is unknown). */
    private static final Map<String, String> PRE_BY_REGEX_HASH = Map.of(
            "d98f9631be1e9607a9848c26c1f9eac1aa9fc21ac6ba82a2fc0741af9780a48f", "llama-bpe",
            "03df5c5863ad70781dcfdef491ead25140f895fe8010964be0daefe27be32b02", "deepseek-llm",
            "21cde974d587f0d54dc8d56b183cc1e6239600172035c68fbd6d4b9f8da0576e", "deepseek-coder",
            "1ff7f41064896984db5d1bb6ff64fa4bc29007d08c1b439e505b7392777a319e", "qwen2",
            "00431aed57e696b747435f734d1e3b9b1bfd931a121fb5cac7129e97c181e9ba", "qwen35");

    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final List<String> SPECIAL_TYPES = List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask");

    /** The directory's JSON files (null when absent). */
    record Sources(JsonNode tokenizer, JsonNode tokenizerConfig, JsonNode specialTokensMap, JsonNode config,
                   String chatTemplateJinja) {}

    private HfVocab() {}

    /** Whether tokenizer.json is a SentencePiece-style BPE with byte fallback (llama.cpp's LlamaHfVocab test). */
    static boolean isSentencePieceStyle(JsonNode tokenizer) {
        JsonNode model = tokenizer.path("model");
        boolean llama3 = model.path("type").asString("").equals("BPE") && model.path("ignore_merges").asBoolean(false)
                && !model.path("byte_fallback").asBoolean(true);
        return !llama3 && model.path("type").asString("").equals("BPE") && model.path("byte_fallback").asBoolean(false)
                && tokenizer.path("decoder").path("type").asString("").equals("Sequence");
    }

    /** The tokenizer keys for the GGUF, in llama.cpp's order. */
    static Map<String, GgufValue> convert(Sources s, Integer hparamVocabSize, Path scratch) throws IOException {
        if (s.tokenizer() == null) throw new CreateException("tokenizer.json is missing: only Hugging Face fast tokenizers (tokenizer.json) can be converted");
        return isSentencePieceStyle(s.tokenizer()) ? sentencePiece(s) : bytePairs(s, hparamVocabSize, scratch);
    }

    // ------------------------------------------------------------------ byte-level BPE (gpt2)

    private static Map<String, GgufValue> bytePairs(Sources s, Integer hparamVocabSize, Path scratch) throws IOException {
        JsonNode model = s.tokenizer().path("model");
        if (!model.path("type").asString("").equals("BPE")) {
            throw new CreateException("tokenizer.json has model type " + model.path("type").asString("?") + "; only BPE tokenizers can be converted");
        }
        Map<Integer, String> reverse = new HashMap<>();
        for (var e : model.path("vocab").properties()) reverse.put(e.getValue().asInt(), e.getKey());
        Map<Integer, JsonNode> added = new HashMap<>();
        for (JsonNode t : s.tokenizer().path("added_tokens")) {
            added.put(t.path("id").asInt(), t);
            reverse.put(t.path("id").asInt(), t.path("content").asString());
        }
        int maxId = reverse.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        int vocabSize = hparamVocabSize != null ? hparamVocabSize : reverse.size();
        if (maxId >= vocabSize) throw new CreateException("tokenizer.json has token id " + maxId + ", but config.json's vocab_size is " + vocabSize);
        String[] tokens = new String[vocabSize];
        int[] types = new int[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            String t = reverse.get(i);
            if (t == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else if (added.containsKey(i)) {
                JsonNode a = added.get(i);
                if (a.path("special").asBoolean(false) || looksSpecial(t)) {
                    types[i] = CONTROL;
                } else {
                    t = t.replace("\u2581", " ");
                    types[i] = USER_DEFINED;
                }
                tokens[i] = t;
            } else {
                tokens[i] = t;
                types[i] = NORMAL;
            }
        }
        List<String> merges = merges(model.path("merges"));
        Special special = special(s, tokens.length);

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("tokenizer.ggml.model", GgufValue.of("gpt2"));
        kv.put("tokenizer.ggml.pre", GgufValue.of("default")); // replaced below
        kv.put("tokenizer.ggml.tokens", GgufValue.ofStrings(tokens));
        kv.put("tokenizer.ggml.token_type", GgufValue.ofInts(types));
        if (!merges.isEmpty()) kv.put("tokenizer.ggml.merges", GgufValue.ofStrings(merges.toArray(String[]::new)));
        special.addTo(kv);
        kv.put("tokenizer.ggml.pre", GgufValue.of(detectPre(kv, s.tokenizer(), scratch)));
        return kv;
    }

    /** llama.cpp's does_token_look_special. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<｜") && t.endsWith("｜>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    private static List<String> merges(JsonNode m) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : m) {
            if (e.isString()) {
                out.add(e.asString());
            } else if (e.isArray() && e.size() == 2) {
                // pairs: a space inside a part is written as U+0120, as gguf-py does
                out.add(e.get(0).asString().replace(" ", "\u0120") + " " + e.get(1).asString().replace(" ", "\u0120"));
            } else {
                throw new CreateException("tokenizer.json has merges in an unknown format");
            }
        }
        return out;
    }

    /**
     * The pre-tokenizer name: the check text is tokenized with each pre-tokenizer the engine knows, and the first
     * whose sha256 is in llama.cpp's table gives the name the table assigns. When none matches (llama.cpp would
     * refuse the model), Ollama's identification by the Split regexes is used, else "default", as Ollama does.
     */
    private static String detectPre(Map<String, GgufValue> kv, JsonNode tokenizer, Path scratch) throws IOException {
        String byRegex = PRE_BY_REGEX_HASH.get(regexHash(tokenizer));
        LinkedHashSet<String> candidates = new LinkedHashSet<>();
        if (byRegex != null) candidates.add(byRegex);
        candidates.addAll(PRE_BY_HASH.values());
        candidates.add("default");
        Path tmp = Files.createTempFile(scratch, "vocab-", ".gguf");
        try {
            for (String pre : candidates) {
                GgufWriter w = new GgufWriter();
                kv.forEach(w::put);
                w.put("tokenizer.ggml.pre", GgufValue.of(pre));
                w.write(tmp);
                Tokenizer t;
                try {
                    t = Tokenizer.fromGguf(GgufFile.readHeader(tmp));
                } catch (IllegalArgumentException unknownToEngine) {
                    continue;
                }
                String found = PRE_BY_HASH.get(sha256(pythonList(t.encode(CHECK_TEXT, true, false))));
                if (found != null) return found;
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return byRegex != null ? byRegex : "default";
    }

    private static String pythonList(int[] ids) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) b.append(", ");
            b.append(ids[i]);
        }
        return b.append(']').toString();
    }

    private static String regexHash(JsonNode tokenizer) {
        StringBuilder all = new StringBuilder();
        for (JsonNode p : tokenizer.path("pre_tokenizer").path("pretokenizers")) {
            if (p.path("type").asString("").equals("Split")) all.append(p.path("pattern").path("Regex").asString(""));
        }
        return sha256(all.toString());
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> loadHashes() {
        Map<String, String> m = new LinkedHashMap<>();
        try (InputStream in = HfVocab.class.getResourceAsStream("pre-tokenizer-hashes.txt");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] p = line.trim().split(" ");
                m.put(p[0], p[1]); // a later line wins, as in llama.cpp's chain of ifs
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return Map.copyOf(m);
    }

    // ------------------------------------------------------------------ SentencePiece-style BPE (llama)

    private static Map<String, GgufValue> sentencePiece(Sources s) {
        JsonNode model = s.tokenizer().path("model");
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (var e : model.path("vocab").properties()) vocab.put(e.getKey(), e.getValue().asInt());
        int base = vocab.size();
        Map<Integer, String> reverse = new HashMap<>();
        vocab.forEach((t, id) -> reverse.put(id, t));
        List<JsonNode> addedAbove = new ArrayList<>();
        for (JsonNode t : s.tokenizer().path("added_tokens")) {
            int id = t.path("id").asInt();
            if (id >= base) addedAbove.add(t);
            else reverse.putIfAbsent(id, t.path("content").asString());
        }
        addedAbove.sort(java.util.Comparator.comparingInt(t -> t.path("id").asInt()));
        Set<Integer> specialIds = specialIds(s, vocab);

        List<String> merges = merges(model.path("merges"));
        Map<String, Integer> mergeRank = new HashMap<>();
        for (int r = 0; r < merges.size(); r++) {
            String m = merges.get(r);
            int sp = m.indexOf(' ', 1);
            if (sp > 0) mergeRank.putIfAbsent(m.substring(0, sp) + m.substring(sp + 1), r);
        }

        int n = base + addedAbove.size();
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int id = 0; id < base; id++) {
            String t = reverse.get(id);
            if (t == null) throw new CreateException("tokenizer.json has no token with id " + id);
            tokens[id] = t;
            if (BYTE_TOKEN.matcher(t).matches()) types[id] = BYTE;
            else types[id] = specialIds.contains(id) ? CONTROL : NORMAL;
            Integer rank = types[id] == NORMAL ? mergeRank.get(t) : null;
            scores[id] = types[id] != NORMAL ? -1000f : rank != null ? -rank : -(float) (merges.size() + id);
        }
        for (int i = 0; i < addedAbove.size(); i++) {
            JsonNode a = addedAbove.get(i);
            int id = base + i;
            tokens[id] = a.path("content").asString();
            types[id] = specialIds.contains(a.path("id").asInt()) ? CONTROL : USER_DEFINED;
            scores[id] = -1000f;
        }
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        JsonNode prefix = s.tokenizerConfig() == null ? null : s.tokenizerConfig().get("add_prefix_space");
        if (prefix != null && prefix.isBoolean()) kv.put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(prefix.asBoolean()));
        else if (!addsSpacePrefix(s.tokenizer())) kv.put("tokenizer.ggml.add_space_prefix", GgufValue.ofBool(false));
        kv.put("tokenizer.ggml.model", GgufValue.of("llama"));
        kv.put("tokenizer.ggml.pre", GgufValue.of("default"));
        kv.put("tokenizer.ggml.tokens", GgufValue.ofStrings(tokens));
        kv.put("tokenizer.ggml.scores", GgufValue.ofFloats(scores));
        kv.put("tokenizer.ggml.token_type", GgufValue.ofInts(types));
        special(s, n).addTo(kv);
        return kv;
    }

    /** Whether the tokenizer puts ▁ before the text: a Prepend normalizer or a Metaspace pre-tokenizer that prepends. */
    private static boolean addsSpacePrefix(JsonNode tokenizer) {
        if (containsType(tokenizer.path("normalizer"), "Prepend")) return true;
        JsonNode pre = tokenizer.path("pre_tokenizer");
        List<JsonNode> all = new ArrayList<>();
        all.add(pre);
        pre.path("pretokenizers").forEach(all::add);
        for (JsonNode p : all) {
            if (p.path("type").asString("").equals("Metaspace")) {
                String scheme = p.path("prepend_scheme").asString("");
                return !scheme.equals("never") && p.path("add_prefix_space").asBoolean(true);
            }
        }
        return false;
    }

    private static boolean containsType(JsonNode n, String type) {
        if (n.path("type").asString("").equals(type)) return true;
        for (JsonNode c : n.path("normalizers")) if (containsType(c, type)) return true;
        return false;
    }

    /** HF's all_special_ids: the ids of the *_token entries and additional_special_tokens. */
    private static Set<Integer> specialIds(Sources s, Map<String, Integer> vocab) {
        Map<String, Integer> all = new HashMap<>(vocab);
        for (JsonNode t : s.tokenizer().path("added_tokens")) all.put(t.path("content").asString(), t.path("id").asInt());
        Set<Integer> ids = new LinkedHashSet<>();
        for (JsonNode src : new JsonNode[]{s.specialTokensMap(), s.tokenizerConfig()}) {
            if (src == null) continue;
            for (String typ : SPECIAL_TYPES) {
                String c = content(src.get(typ + "_token"));
                if (c != null && all.containsKey(c)) ids.add(all.get(c));
            }
            for (JsonNode a : src.path("additional_special_tokens")) {
                String c = content(a);
                if (c != null && all.containsKey(c)) ids.add(all.get(c));
            }
        }
        return ids;
    }

    private static String content(JsonNode entry) {
        if (entry == null) return null;
        if (entry.isString()) return entry.asString();
        if (entry.isObject() && entry.path("content").isString()) return entry.path("content").asString();
        return null;
    }

    // ------------------------------------------------------------------ gguf-py's SpecialVocab

    private record Special(Map<String, Integer> ids, Map<String, Boolean> add, String chatTemplate) {
        void addTo(Map<String, GgufValue> kv) {
            ids.forEach((typ, id) -> {
                String key = switch (typ) {
                    case "bos" -> "bos_token_id";
                    case "eos" -> "eos_token_id";
                    case "unk" -> "unknown_token_id";
                    case "sep" -> "seperator_token_id";
                    case "pad" -> "padding_token_id";
                    case "mask" -> "mask_token_id";
                    default -> null; // gguf-py has no key for cls
                };
                if (key != null) kv.put("tokenizer.ggml." + key, GgufValue.ofU32(id));
            });
            add.forEach((typ, v) -> {
                if (typ.equals("bos") || typ.equals("eos") || typ.equals("sep")) kv.put("tokenizer.ggml.add_" + typ + "_token", GgufValue.ofBool(v));
            });
            if (chatTemplate != null) kv.put("tokenizer.chat_template", GgufValue.of(chatTemplate));
        }
    }

    private static Special special(Sources s, int nVocab) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        Map<String, Boolean> add = new LinkedHashMap<>();
        JsonNode config = s.tokenizerConfig();
        List<JsonNode> added = new ArrayList<>();
        s.tokenizer().path("added_tokens").forEach(added::add);
        String bos = config == null ? null : content(config.get("bos_token"));
        String eos = config == null ? null : content(config.get("eos_token"));
        String cls = config == null ? null : content(config.get("cls_token"));
        JsonNode post = s.tokenizer().path("post_processor");
        List<JsonNode> processors = new ArrayList<>();
        if (post.has("processors")) post.path("processors").forEach(processors::add);
        else if (post.isObject()) processors.add(post);
        for (JsonNode p : processors) {
            String type = p.path("type").asString("");
            if (type.equals("RobertaProcessing")) {
                add.put("bos", true);
                add.put("eos", true);
                add.put("sep", true);
            } else if (type.equals("TemplateProcessing")) {
                JsonNode single = p.path("single");
                if (single.size() > 1) {
                    String first = single.get(0).path("SpecialToken").path("id").asString(null);
                    if (first != null) {
                        if (config == null) bos = first;
                        add.put("bos", first.equals(bos) || first.equals(cls));
                    }
                    String last = single.get(single.size() - 1).path("SpecialToken").path("id").asString(null);
                    if (last != null) {
                        if (config == null) eos = last;
                        add.put("eos", last.equals(eos));
                    }
                }
            }
        }
        String template = null;
        if (config != null) {
            JsonNode t = config.get("chat_template");
            if (t != null && t.isString()) template = t.asString();
            else if (t != null && t.isArray()) {
                for (JsonNode e : t) if (e.path("name").asString("").equals("default")) template = e.path("template").asString(null);
            } else if (t == null) template = s.chatTemplateJinja();
            for (String typ : SPECIAL_TYPES) {
                JsonNode a = config.get("add_" + typ + "_token");
                if (a != null && a.isBoolean()) add.put(typ, a.asBoolean());
                String c = content(config.get(typ + "_token"));
                if (c == null) continue;
                for (JsonNode at : added) {
                    if (at.path("content").asString("").equals(c)) {
                        setSpecial(ids, typ, at.path("id").asInt(), nVocab);
                        break;
                    }
                }
            }
        }
        if (s.config() != null) {
            for (String typ : SPECIAL_TYPES) {
                JsonNode id = s.config().get(typ + "_token_id");
                if (id == null && s.config().has("text_config")) id = s.config().path("text_config").get(typ + "_token_id");
                if (id != null && id.isIntegralNumber()) setSpecial(ids, typ, id.asInt(), nVocab);
            }
        }
        return new Special(ids, add, template);
    }

    private static void setSpecial(Map<String, Integer> ids, String typ, int id, int nVocab) {
        if (id < 0) throw new CreateException("invalid value for special token type " + typ + ": " + id);
        if (id < nVocab) ids.putIfAbsent(typ, id);
    }
}
