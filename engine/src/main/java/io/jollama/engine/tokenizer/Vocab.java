package io.jollama.engine.tokenizer;

import io.jollama.engine.gguf.GgufFile;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A tokenizer's vocabulary as llama.cpp loads it: token texts, scores and attributes, the special ids and flags
 * with llama.cpp's per-model defaults, the end-of-generation set, the special-token partitioning and the
 * detokenizer. Immutable after {@link #load}; lookups are precomputed.
 */
final class Vocab {

    enum Type { SPM, BPE, WPM }

    // token attributes (llama.cpp's llama_token_attr bits)
    static final int UNKNOWN = 1, UNUSED = 1 << 1, NORMAL = 1 << 2, CONTROL = 1 << 3, USER_DEFINED = 1 << 4,
            BYTE = 1 << 5, LSTRIP = 1 << 7, RSTRIP = 1 << 8;

    private final Type type;
    final String[] texts;
    final float[] scores;
    final int[] attrs;
    private final Map<String, Integer> ids;
    private final byte[][] pieces;     // token_to_piece(special = true), built once
    private final int[] specialTokens; // control, user-defined and unknown tokens, longest text first
    private final boolean[] eog;
    private final int[] byteTokens;    // SPM byte fallback: byte → token, -1 if missing

    final int bos, eos, eot, eom, unk, sep, pad;
    final boolean addBos, addEos, addSep, addSpacePrefix, cleanSpaces;
    final boolean lowercase, stripAccents;
    final PreTokenizer.Config pre; // BPE only

    private Vocab(Builder b) {
        this.type = b.type;
        this.texts = b.texts;
        this.scores = b.scores;
        this.attrs = b.attrs;
        this.ids = b.ids;
        this.bos = b.bos; this.eos = b.eos; this.eot = b.eot; this.eom = b.eom;
        this.unk = b.unk; this.sep = b.sep; this.pad = b.pad;
        this.addBos = b.addBos; this.addEos = b.addEos; this.addSep = b.addSep;
        this.addSpacePrefix = b.addSpacePrefix; this.cleanSpaces = b.cleanSpaces;
        this.lowercase = b.lowercase; this.stripAccents = b.stripAccents;
        this.pre = b.pre;
        this.eog = b.eog;
        this.specialTokens = b.specialTokens;
        this.byteTokens = byteTokens();
        this.pieces = new byte[texts.length][];
        for (int i = 0; i < texts.length; i++) pieces[i] = piece(i);
    }

    Type type() { return type; }

    int size() { return texts.length; }

    /** The id of a token text, or -1. */
    int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    boolean isEog(int token) { return token >= 0 && token < eog.length && eog[token]; }

    boolean has(int token, int attr) { return (attrs[check(token)] & attr) != 0; }

    int check(int token) {
        if (token < 0 || token >= texts.length) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (0.." + (texts.length - 1) + ")");
        }
        return token;
    }

    /** The byte a byte token stands for (its text is {@code <0xNN>}). */
    int byteOf(int token) {
        return Integer.parseInt(texts[token], 3, 5, 16);
    }

    /** The byte-fallback token for a byte (SPM: {@code <0xNN>}, or the one-byte text if that is missing). */
    int byteToken(int b) {
        return byteTokens[b & 0xFF];
    }

    private int[] byteTokens() {
        int[] r = new int[256];
        for (int b = 0; b < 256; b++) {
            int id = id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) id = id(String.valueOf((char) b));
            r[b] = id;
        }
        return r;
    }

    // ---- pieces and detokenization ----

    private byte[] piece(int token) {
        int attr = attrs[token];
        String text = texts[token];
        if ((attr & (UNKNOWN | CONTROL | USER_DEFINED)) != 0) return text.getBytes(StandardCharsets.UTF_8);
        if ((attr & NORMAL) != 0) {
            if (type == Type.BPE && !pre.spmStyle()) return byteDecode(text);
            return text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
        }
        if ((attr & BYTE) != 0) return new byte[] {(byte) byteOf(token)};
        return new byte[0];
    }

    /** Byte-level BPE text back to bytes; characters outside the 256 become llama.cpp's "[UNK_BYTE_0x..]" marker. */
    private static byte[] byteDecode(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        text.codePoints().forEach(cp -> {
            int b = Unicode.charToByte(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder sb = new StringBuilder("[UNK_BYTE_0x");
                for (byte x : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) sb.append(String.format("%02x", x & 0xFF));
                sb.append(text).append(']');
                out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }

    /** token_to_piece(special = false): control and unknown tokens give nothing. */
    byte[] tokenBytes(int token) {
        check(token);
        if ((attrs[token] & (UNKNOWN | CONTROL)) != 0) return new byte[0];
        return pieces[token].clone();
    }

    String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean removeSpace = addSpacePrefix;
        for (int t : tokens) {
            check(t);
            if ((attrs[t] & (UNKNOWN | CONTROL)) == 0) {
                byte[] p = pieces[t];
                int from = removeSpace && p.length > 0 && p[0] == ' ' ? 1 : 0;
                out.write(p, from, p.length - from);
            }
            removeSpace = false;
        }
        byte[] text = out.toByteArray();
        if (cleanSpaces) text = cleanSpaces(text);
        return new String(text, StandardCharsets.UTF_8);
    }

    /** llama.cpp's three clean-up passes over detokenized BPE text. */
    private static byte[] cleanSpaces(byte[] t) {
        // pass 1: " ?", " !", " .", " ," lose the space
        int n = t.length;
        int total = n > 0 ? 1 : 0;
        for (int i = 1; i < n; i++) {
            byte x = t[i];
            if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) total--;
            t[total++] = x;
        }
        // pass 2: a single apostrophe between spaces loses both spaces
        n = total;
        total = n > 0 ? 1 : 0;
        for (int i = 1; i < n; i++) {
            byte x = t[i];
            if (x == '\'' && i + 1 < n && t[i - 1] == ' ' && t[i + 1] == ' ') {
                total--;
                t[++i] = 0;
            }
            t[total++] = x;
        }
        // pass 3: " 's", " 'm", " 're", " 've" lose the space
        n = total;
        total = n > 0 ? 1 : 0;
        for (int i = 1; i < n; i++) {
            byte x = t[i];
            if (t[i - 1] == ' ' && x == '\'' && i + 1 < n) {
                byte x1 = t[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if (x1 != 't' && x1 != 'd' && i + 2 < n) {
                    byte x2 = t[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) total--;
                }
            }
            t[total++] = x;
        }
        return Arrays.copyOf(t, total);
    }

    // ---- special-token partitioning ----

    /** A piece of the input: raw text (token = -1) or an already recognised special token. */
    record Fragment(int token, String text) {
        boolean isText() { return token < 0; }
    }

    /**
     * Splits the text at the special tokens' texts, longest first (llama.cpp's tokenizer_st_partition). Control and
     * unknown tokens are only matched when {@code parseSpecial}; user-defined tokens always.
     */
    List<Fragment> partition(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) return fragments;
        fragments.add(new Fragment(-1, text));
        for (int special : specialTokens) {
            int attr = attrs[special];
            if (!parseSpecial && (attr & (CONTROL | UNKNOWN)) != 0) continue;
            String st = texts[special];
            List<Fragment> next = null;
            for (int f = 0; f < fragments.size(); f++) {
                Fragment frag = fragments.get(f);
                if (!frag.isText() || frag.text.indexOf(st) < 0) {
                    if (next != null) next.add(frag);
                    continue;
                }
                if (next == null) next = new ArrayList<>(fragments.subList(0, f));
                String raw = frag.text;
                int from = 0, to = raw.length();
                while (from < to) {
                    int match = raw.indexOf(st, from);
                    if (match < 0 || match + st.length() > to) {
                        next.add(new Fragment(-1, raw.substring(from, to)));
                        break;
                    }
                    int leftEnd = match;
                    if ((attr & LSTRIP) != 0) while (leftEnd > from && Unicode.isAsciiSpace(raw.charAt(leftEnd - 1))) leftEnd--;
                    if (leftEnd > from) next.add(new Fragment(-1, raw.substring(from, leftEnd)));
                    next.add(new Fragment(special, st));
                    from = match + st.length();
                    if ((attr & RSTRIP) != 0) while (from < to && Unicode.isAsciiSpace(raw.charAt(from))) from++;
                }
            }
            if (next != null) fragments = next;
        }
        return fragments;
    }

    // ---- loading ----

    static Vocab load(GgufFile gguf) {
        return new Builder(gguf).build();
    }

    private static final class Builder {
        final GgufFile gguf;
        Type type;
        String[] texts;
        float[] scores;
        int[] attrs;
        Map<String, Integer> ids;
        int bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, sep = -1, pad = -1;
        int fimPre = -1, fimSuf = -1, fimMid = -1, fimPad = -1, fimRep = -1, fimSep = -1;
        boolean addBos, addEos, addSep, addSpacePrefix, cleanSpaces;
        boolean lowercase, stripAccents;
        PreTokenizer.Config pre;
        boolean[] eog;
        int[] specialTokens;

        Builder(GgufFile gguf) { this.gguf = gguf; }

        Vocab build() {
            String model = gguf.getString("tokenizer.ggml.model", null);
            if (model == null) throw new IllegalArgumentException("the GGUF has no tokenizer (tokenizer.ggml.model is missing)");
            String preName = gguf.getString("tokenizer.ggml.pre", "");
            switch (model) {
                case "llama" -> { type = Type.SPM; bos = 1; eos = 2; unk = 0; addSpacePrefix = true; addBos = true; }
                case "bert" -> { type = Type.WPM; bos = 101; unk = 100; sep = 102; pad = 0; addBos = true; addSep = true; cleanSpaces = true; }
                case "gpt2" -> {
                    type = Type.BPE; bos = 11; eos = 11;
                    pre = PreTokenizer.forName(preName);
                    cleanSpaces = pre.cleanSpaces();
                    addBos = pre.addBos();
                    if (preName.equals("glm4") || preName.equals("chatglm-bpe")) bos = -1;
                    if (preName.equals("jina-v1-en") || preName.equals("jina-v2-code") || preName.equals("roberta-bpe")) addSep = true;
                }
                case "gemma4" -> {
                    type = Type.BPE;
                    pre = PreTokenizer.forName("gemma4");
                    cleanSpaces = pre.cleanSpaces();
                    if (gguf.getStrings("tokenizer.ggml.merges") == null) throw new IllegalArgumentException("the gemma4 tokenizer has no merges (tokenizer.ggml.merges is missing)");
                }
                default -> throw new IllegalArgumentException("unsupported tokenizer model '" + model + "' (tokenizer.ggml.model)");
            }
            addSpacePrefix = gguf.getBool("tokenizer.ggml.add_space_prefix", addSpacePrefix);

            texts = gguf.getStrings("tokenizer.ggml.tokens");
            if (texts == null) throw new IllegalArgumentException("the GGUF has no vocabulary (tokenizer.ggml.tokens is missing or not a string array)");
            int n = texts.length;
            texts = texts.clone();
            scores = new float[n];
            float[] fs = gguf.getFloats("tokenizer.ggml.scores");
            if (fs != null) {
                if (fs.length < n) throw new IllegalArgumentException("tokenizer.ggml.scores has " + fs.length + " entries for " + n + " tokens");
                System.arraycopy(fs, 0, scores, 0, n);
            } else if (gguf.getArray("tokenizer.ggml.scores") != null) {
                int[] is = gguf.getInts("tokenizer.ggml.scores");
                if (is == null || is.length < n) throw new IllegalArgumentException("tokenizer.ggml.scores is not a number array of " + n + " entries");
                for (int i = 0; i < n; i++) scores[i] = is[i];
            }
            attrs = new int[n];
            int[] types = gguf.getArray("tokenizer.ggml.token_type") != null ? gguf.getInts("tokenizer.ggml.token_type") : null;
            if (types != null && types.length < n) throw new IllegalArgumentException("tokenizer.ggml.token_type has " + types.length + " entries for " + n + " tokens");
            ids = new HashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                if (texts[i].isEmpty()) texts[i] = "[EMPTY_" + i + "]";
                Integer prev = ids.putIfAbsent(texts[i], i);
                if (prev != null) throw new IllegalArgumentException("duplicate token in vocabulary: '" + texts[i] + "' has ids " + prev + " and " + i);
                attrs[i] = types == null ? NORMAL : switch (types[i]) {
                    case 1 -> NORMAL;
                    case 2 -> UNKNOWN;
                    case 3 -> CONTROL;
                    case 4 -> USER_DEFINED;
                    case 5 -> UNUSED;
                    case 6 -> BYTE;
                    default -> 0;
                };
            }
            readSpecialIds(n);
            addBos = gguf.getBool("tokenizer.ggml.add_bos_token", addBos);
            addEos = gguf.getBool("tokenizer.ggml.add_eos_token", addEos);
            addSep = gguf.getBool("tokenizer.ggml.add_sep_token", addSep);
            if (pre != null && pre.spmStyle()) addBos = true; // llama.cpp insists on BOS for Gemma 4
            if (addBos && bos < 0) throw new IllegalArgumentException("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
            if (addEos && eos < 0) throw new IllegalArgumentException("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");
            if (addSep && sep < 0) throw new IllegalArgumentException("tokenizer.ggml.add_sep_token is true, but tokenizer.ggml.seperator_token_id is not set");
            lowercase = gguf.getBool("tokenizer.ggml.normalizer.lowercase", true); // llama.cpp default: BERT lower-cases
            stripAccents = gguf.getBool("tokenizer.ggml.normalizer.strip_accents", lowercase);
            detectSpecialsByText();
            buildEog();
            buildSpecialCache();
            perModelAttributes(preName);
            return new Vocab(this);
        }

        private void readSpecialIds(int n) {
            bos = special("tokenizer.ggml.bos_token_id", bos, n);
            eos = special("tokenizer.ggml.eos_token_id", eos, n);
            eot = special("tokenizer.ggml.eot_token_id", eot, n);
            eom = special("tokenizer.ggml.eom_token_id", eom, n);
            unk = special("tokenizer.ggml.unknown_token_id", unk, n);
            sep = special("tokenizer.ggml.seperator_token_id", sep, n);
            pad = special("tokenizer.ggml.padding_token_id", pad, n);
            fimPre = special("tokenizer.ggml.fim_pre_token_id", fimPre, n);
            fimSuf = special("tokenizer.ggml.fim_suf_token_id", fimSuf, n);
            fimMid = special("tokenizer.ggml.fim_mid_token_id", fimMid, n);
            fimPad = special("tokenizer.ggml.fim_pad_token_id", fimPad, n);
            fimRep = special("tokenizer.ggml.fim_rep_token_id", fimRep, n);
            fimSep = special("tokenizer.ggml.fim_sep_token_id", fimSep, n);
            fimPre = special("tokenizer.ggml.prefix_token_id", fimPre, n);
            fimSuf = special("tokenizer.ggml.suffix_token_id", fimSuf, n);
            fimMid = special("tokenizer.ggml.middle_token_id", fimMid, n);
        }

        /** A special id from the metadata; defaults outside the vocabulary are dropped, bad ids keep the default. */
        private int special(String key, int fallback, int n) {
            if (fallback >= n) fallback = -1;
            if (!gguf.has(key)) return fallback;
            long id = gguf.getLong(key, -1);
            return id >= 0 && id < n ? (int) id : fallback;
        }

        private void markControl(int id) {
            attrs[id] |= CONTROL;
        }

        private static final Set<String> EOT_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
        private static final Set<String> FIM_PRE = Set.of("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>");
        private static final Set<String> FIM_SUF = Set.of("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>");
        private static final Set<String> FIM_MID = Set.of("<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>");
        private static final Set<String> FIM_PAD = Set.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
        private static final Set<String> FIM_REP = Set.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
        private static final Set<String> EOG_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
                "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]",
                "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[");

        /** The first token (by id) with one of the texts, marked control; or the current id if already set. */
        private int detect(int current, Set<String> candidates) {
            if (current >= 0) return current;
            for (int i = 0; i < texts.length; i++) {
                if (candidates.contains(texts[i])) {
                    markControl(i);
                    return i;
                }
            }
            return -1;
        }

        private void detectSpecialsByText() {
            eot = detect(eot, EOT_TEXTS);
            eom = detect(eom, Set.of("<|eom_id|>"));
            fimPre = detect(fimPre, FIM_PRE);
            fimSuf = detect(fimSuf, FIM_SUF);
            fimMid = detect(fimMid, FIM_MID);
            fimPad = detect(fimPad, FIM_PAD);
            fimRep = detect(fimRep, FIM_REP);
            fimSep = detect(fimSep, Set.of("<|file_sep|>"));
            for (int i = 0; i < texts.length; i++) {
                if ((attrs[i] & CONTROL) != 0 && texts[i].contains("unused")) attrs[i] |= UNUSED;
            }
        }

        private void buildEog() {
            TreeSet<Integer> set = new TreeSet<>();
            for (int id : new int[] {fimPad, fimRep, fimSep}) if (id >= 0) set.add(id);
            for (int i = 0; i < texts.length; i++) {
                if (EOG_TEXTS.contains(texts[i])) {
                    set.add(i);
                    markControl(i);
                }
            }
            for (String t : List.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>")) {
                Integer id = ids.get(t);
                if (id != null) attrs[id] = USER_DEFINED;
            }
            for (int id : new int[] {eos, eot, eom}) if (id >= 0) set.add(id);
            // gpt-oss / solar-open: "<|end|>" ends a message, not the generation
            boolean hasReturn = false, hasCall = false, hasFlush = false;
            int endId = -1;
            for (int id : set) {
                switch (texts[id]) {
                    case "<|return|>" -> hasReturn = true;
                    case "<|call|>", "<|calls|>" -> hasCall = true;
                    case "<|flush|>" -> hasFlush = true;
                    case "<|end|>" -> endId = id;
                    default -> { }
                }
            }
            if (endId >= 0 && hasCall && (hasReturn || hasFlush)) {
                set.remove(endId);
                attrs[endId] = USER_DEFINED;
            }
            // gemma4 / paddleocr: "</s>" is not an end of generation when "<|tool_response>" exists
            int sId = -1;
            boolean hasToolResponse = false;
            for (int id : set) {
                if (texts[id].equals("<|tool_response>")) hasToolResponse = true;
                else if (texts[id].equals("</s>")) sId = id;
            }
            if (hasToolResponse && sId >= 0) {
                set.remove(sId);
                attrs[sId] = NORMAL;
            }
            eog = new boolean[texts.length];
            for (int id : set) eog[id] = true;
        }

        private void buildSpecialCache() {
            List<Integer> special = new ArrayList<>();
            for (int i = 0; i < texts.length; i++) {
                if ((attrs[i] & (CONTROL | USER_DEFINED | UNKNOWN)) != 0) special.add(i);
            }
            int[] utf8Len = new int[texts.length];
            for (int id : special) utf8Len[id] = Unicode.utf8Length(texts[id]);
            special.sort(Comparator.comparingInt((Integer id) -> -utf8Len[id]).thenComparingInt(id -> id));
            specialTokens = special.stream().mapToInt(Integer::intValue).toArray();
        }

        private void perModelAttributes(String preName) {
            String name = gguf.getString("general.name", "").toLowerCase(Locale.ROOT);
            String arch = gguf.getString("general.architecture", "");
            if (preName.contains("jina-v2-de") || preName.contains("jina-v2-es") || preName.contains("jina-v2-code")
                    || arch.contains("nomic-bert-moe") || arch.contains("jina-bert-v3")) {
                Integer m = ids.get("<mask>");
                if (m != null) attrs[m] |= LSTRIP;
            } else if (name.contains("phi-3") || name.contains("phi3")) {
                for (int id : specialTokens) attrs[id] |= RSTRIP;
                setRstrip("</s>", true);
                for (String t : List.of("<unk>", "<s>", "<|endoftext|>")) setRstrip(t, false);
            } else if (name.contains("modern-bert")) {
                Integer m = ids.get("[MASK]");
                if (m != null) attrs[m] |= LSTRIP;
            }
        }

        private void setRstrip(String text, boolean on) {
            Integer id = ids.get(text);
            if (id == null) return;
            attrs[id] = on ? attrs[id] | RSTRIP : attrs[id] & ~RSTRIP;
        }
    }
}
