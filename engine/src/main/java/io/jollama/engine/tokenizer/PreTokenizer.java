package io.jollama.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words a byte-level BPE merges within, the way llama.cpp's {@code unicode_regex_split} does:
 * the pre-tokenizer's expressions are applied one after another, each to every piece the previous one left
 * (matches and the text between them both become pieces). The GPT-2 and Llama-3 expressions run as hand-written
 * scanners (as in llama.cpp); the others run on java.util.regex. Expressions that use unicode categories run on a
 * "collapsed" copy of the text in which every non-ASCII code point is replaced by one character standing for its
 * category, exactly like llama.cpp does for std::regex, so both engines see the same input.
 */
final class PreTokenizer {

    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3_ORIGINAL = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * The pre-tokenizer's settings that llama.cpp ties to {@code tokenizer.ggml.pre}. {@code spmStyle} (Gemma 4):
     * spaces become ▁, words stay raw UTF-8 (no byte-level mapping) and unknown pieces fall back to {@code <0xNN>}.
     */
    record Config(List<String> regexes, boolean ignoreMerges, boolean cleanSpaces, boolean addBos, boolean spmStyle) {
        Config(List<String> regexes, boolean ignoreMerges, boolean cleanSpaces, boolean addBos) {
            this(regexes, ignoreMerges, cleanSpaces, addBos, false);
        }
    }

    private static final String QWEN2_EXPR = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final List<String> DEFAULT = List.of(
            "[\\p{P}\\$\\+<=>\\^~\\|]+",
            GPT2,
            "\\p{N}+",
            "[0-9][0-9][0-9]");
    private static final List<String> STARCODER = List.of("\\p{N}", GPT2);
    private static final List<String> FALCON = List.of("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]");
    // escaped code points: written out, Unicode normalisation of the source could fold them (U+1F7D, U+1FBE, U+1FD3, U+1FDB, U+2126, U+212A)
    private static final List<String> DEEPSEEK_LLM = List.of(
            "[\r\n]",
            "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
            "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
            "\\s+$",
            "[一-龥ࠀ-一가-퟿]+",
            "\\p{N}+");
    private static final List<String> DEEPSEEK_CODER = List.of(
            "[\r\n]",
            "\\s?\\p{L}+",
            "\\s?\\p{P}+",
            "[一-龥ࠀ-一가-퟿]+",
            "\\p{N}");
    private static final List<String> DEEPSEEK_V3 = List.of(
            "\\p{N}{1,3}",
            "[一-龥぀-ゟ゠-ヿ]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> TEKKEN = List.of(
            "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> GPT4O = List.of(
            "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> PORO = List.of(" ?[^(\\s|.,!?…。，、।۔،)]+");
    private static final List<String> VIKING = List.of(" ?[^(\\s|.,!?…。，、।۔،)]+", "\\p{N}");
    private static final List<String> SEED_CODER = List.of(
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> BAILINGMOE = List.of(
            "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+");

    private static final List<String> QWEN35 = List.of(
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> JAIS2 = List.of(
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}");
    private static final List<String> SPARK2_5 = List.of(
            "\\p{N}{1,3}",
            "[一-龥぀-ゟ゠-ヿ]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+",
            "\\p{N}");
    private static final String CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final List<String> YOUTU = List.of(
            "[가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+" + CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" + CONTRACTIONS + "?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> GRANITE_EMB_MULTI = List.of(
            "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))*((?=[\\p{L}\\p{M}])([^A-Z]))+" + CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))+((?=[\\p{L}\\p{M}])([^A-Z]))*" + CONTRACTIONS + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> TINY_AYA = List.of(
            "\\d{1,3}(?=(?:\\d{3})*\\b)",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+" + CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" + CONTRACTIONS + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> UFAKZEKA = List.of(
            "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> LAGUNA = List.of("[^\\n]+|[\\n]+", QWEN2_EXPR);
    private static final List<String> EXAONE_MOE = List.of(
            CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+");
    private static final List<String> MINICPM5 = List.of(
            "\\p{N}{1,3}",
            CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
    private static final List<String> CHAMELEON = List.of(
            "<sentinel:[0-9]+>",
            "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
            "([\\t\\n]|    |  )",
            "\\p{N}",
            "[\\p{P}!-/:-@\\[-`{-~]",
            GPT2);

    /**
     * The configuration for a {@code tokenizer.ggml.pre} name (llama.cpp's list; an empty or missing name means
     * "default"). Unknown names are refused, as llama.cpp refuses them.
     */
    static Config forName(String pre) {
        if (pre == null || pre.isEmpty()) pre = "default";
        return switch (pre) {
            case "default" -> new Config(DEFAULT, false, true, false);
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano" ->
                    new Config(List.of(LLAMA3), true, true, true);
            case "dbrx", "smaug-bpe" -> new Config(List.of(LLAMA3), false, true, false);
            case "deepseek-llm" -> new Config(DEEPSEEK_LLM, false, false, false);
            case "deepseek-coder" -> new Config(DEEPSEEK_CODER, false, false, false);
            case "deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4" -> new Config(DEEPSEEK_V3, false, false, false);
            case "falcon" -> new Config(FALCON, false, true, false);
            case "mpt", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
                 "modern-bert", "olmo", "jais", "exaone4", "jina-v1-en", "jina-v2-code", "roberta-bpe" ->
                    new Config(List.of(GPT2), false, true, false);
            case "trillion", "granite-docling" -> new Config(List.of(GPT2), false, false, false);
            case "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2" -> new Config(STARCODER, false, true, false);
            case "smollm", "command-r" -> new Config(STARCODER, false, false, false);
            case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open", "grok-2" -> new Config(List.of(QWEN2_EXPR), false, false, false);
            case "stablelm2", "megrez" -> new Config(List.of(QWEN2_EXPR), false, true, false);
            case "tekken" -> new Config(TEKKEN, true, false, true);
            case "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2" -> new Config(GPT4O, false, false, false);
            case "poro-chat" -> new Config(PORO, false, false, false);
            case "bloom", "gpt3-finnish" -> new Config(PORO, false, true, false);
            case "viking" -> new Config(VIKING, false, false, false);
            case "glm4", "chatglm-bpe" -> new Config(List.of(LLAMA3), false, true, false);
            case "seed-coder" -> new Config(SEED_CODER, false, false, false);
            case "bailingmoe", "bailingmoe2", "llada-moe" -> new Config(BAILINGMOE, false, false, false);
            case "gemma4", "granite-embed-multi-311m" -> new Config(List.of("[^\\n]+|[\\n]+"), false, true, false, true);
            case "qwen35" -> new Config(QWEN35, false, false, false);
            case "jais-2" -> new Config(JAIS2, false, true, false);
            case "spark2_5" -> new Config(SPARK2_5, false, false, false);
            case "youtu" -> new Config(YOUTU, true, false, false);
            case "granite-embed-multi-97m" -> new Config(GRANITE_EMB_MULTI, true, false, false);
            case "tiny_aya", "cohere2moe" -> new Config(TINY_AYA, false, false, false);
            case "ufakzeka" -> new Config(UFAKZEKA, false, false, false);
            case "laguna" -> new Config(LAGUNA, false, false, false);
            case "exaone-moe" -> new Config(EXAONE_MOE, false, true, false);
            case "minicpm5" -> new Config(MINICPM5, true, true, false);
            case "chameleon" -> new Config(CHAMELEON, false, false, true);
            default -> throw new IllegalArgumentException("unsupported BPE pre-tokenizer '" + pre + "' (tokenizer.ggml.pre)");
        };
    }

    private final List<Splitter> splitters;
    private final boolean byteEncode;

    PreTokenizer(List<String> regexes) {
        this(regexes, true);
    }

    PreTokenizer(List<String> regexes, boolean byteEncode) {
        List<Splitter> s = new ArrayList<>();
        for (String r : regexes) s.add(splitterFor(r));
        this.splitters = List.copyOf(s);
        this.byteEncode = byteEncode;
    }

    /** The words of {@code text}, each byte-level encoded (UTF-8 bytes as GPT-2 characters) unless told not to. */
    List<String> split(String text) {
        int[] cpts = text.codePoints().toArray();
        List<Integer> offsets = new ArrayList<>();
        if (cpts.length > 0) offsets.add(cpts.length);
        for (Splitter s : splitters) offsets = s.split(cpts, offsets);
        List<String> words = new ArrayList<>(offsets.size());
        int start = 0;
        for (int len : offsets) {
            String word = new String(cpts, start, len);
            words.add(byteEncode ? Unicode.byteEncode(word) : word);
            start += len;
        }
        return words;
    }

    // ---- splitters ----

    private interface Splitter {
        /** Splits each piece (given by its length in code points) into smaller pieces. */
        List<Integer> split(int[] cpts, List<Integer> offsets);
    }

    private static Splitter splitterFor(String regex) {
        if (regex.equals(GPT2)) return PreTokenizer::splitGpt2;
        if (regex.equals(LLAMA3) || regex.equals(LLAMA3_ORIGINAL)) return PreTokenizer::splitLlama3;
        return RegexSplitter.of(regex);
    }

    /** Flags of a code point inside the piece, 0 outside it (llama.cpp's "out of range"). */
    private static final int WS = 128;

    private static int flags(int[] cpts, int pos, int end) {
        if (pos >= end) return 0;
        int cp = cpts[pos];
        return Unicode.category(cp) | (Unicode.isWhitespace(cp) ? WS : 0);
    }

    private static final int OUT = -1;

    private static int cpt(int[] cpts, int pos, int end) {
        return pos < end ? cpts[pos] : OUT;
    }

    /** GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) (and \s+), as llama.cpp scans it. */
    private static List<Integer> splitGpt2(int[] cpts, List<Integer> offsets) {
        List<Integer> out = new ArrayList<>(offsets.size());
        int start = 0;
        for (int length : offsets) {
            final int ini = start, end = start + length;
            start = end;
            int prev = ini;
            int pos = ini;
            while (pos < end) {
                int cp = cpt(cpts, pos, end);
                int fl = flags(cpts, pos, end);
                if (cp == '\'' && pos + 1 < end) {
                    int next = cpt(cpts, pos + 1, end);
                    if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                        pos += 2; prev = emit(out, prev, pos); continue;
                    }
                    if (pos + 2 < end) {
                        int next2 = cpt(cpts, pos + 2, end);
                        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                            pos += 3; prev = emit(out, prev, pos); continue;
                        }
                    }
                }
                int fl2 = cp == ' ' ? flags(cpts, pos + 1, end) : fl;
                if ((fl2 & Unicode.LETTER) != 0) {
                    if (cp == ' ') pos++;
                    while ((fl2 & Unicode.LETTER) != 0) fl2 = flags(cpts, ++pos, end);
                    prev = emit(out, prev, pos); continue;
                }
                if ((fl2 & Unicode.NUMBER) != 0) {
                    if (cp == ' ') pos++;
                    while ((fl2 & Unicode.NUMBER) != 0) fl2 = flags(cpts, ++pos, end);
                    prev = emit(out, prev, pos); continue;
                }
                if (isOther(fl2)) {
                    if (cp == ' ') pos++;
                    while (isOther(fl2)) fl2 = flags(cpts, ++pos, end);
                    prev = emit(out, prev, pos); continue;
                }
                int ws = 0;
                while ((flags(cpts, pos + ws, end) & WS) != 0) ws++;
                if (ws > 1 && cpt(cpts, pos + ws, end) != OUT) {
                    pos += ws - 1; prev = emit(out, prev, pos); continue;
                }
                if (ws > 0) {
                    pos += ws; prev = emit(out, prev, pos); continue;
                }
                pos++;
                prev = emit(out, prev, pos);
            }
        }
        return out;
    }

    /** [^\s\p{L}\p{N}] for a code point inside the piece. */
    private static boolean isOther(int fl) {
        return fl != 0 && (fl & (WS | Unicode.LETTER | Unicode.NUMBER)) == 0;
    }

    /** Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
    private static List<Integer> splitLlama3(int[] cpts, List<Integer> offsets) {
        List<Integer> out = new ArrayList<>(offsets.size());
        int start = 0;
        for (int length : offsets) {
            final int ini = start, end = start + length;
            start = end;
            int prev = ini;
            int pos = ini;
            while (pos < end) {
                int cp = cpt(cpts, pos, end);
                int fl = flags(cpts, pos, end);
                if (cp == '\'' && pos + 1 < end) {
                    int next = Unicode.toLower(cpt(cpts, pos + 1, end));
                    if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                        pos += 2; prev = emit(out, prev, pos); continue;
                    }
                    if (pos + 2 < end) {
                        int next2 = Unicode.toLower(cpt(cpts, pos + 2, end));
                        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                            pos += 3; prev = emit(out, prev, pos); continue;
                        }
                    }
                }
                if (!(cp == '\r' || cp == '\n' || (fl & Unicode.NUMBER) != 0)) {
                    if ((fl & Unicode.LETTER) != 0 || (flags(cpts, pos + 1, end) & Unicode.LETTER) != 0) {
                        pos++;
                        while ((flags(cpts, pos, end) & Unicode.LETTER) != 0) pos++;
                        prev = emit(out, prev, pos); continue;
                    }
                }
                if ((fl & Unicode.NUMBER) != 0) {
                    int digitsStart = pos;
                    while ((flags(cpts, pos, end) & Unicode.NUMBER) != 0) {
                        if (++pos - digitsStart >= 3) {
                            prev = emit(out, prev, pos);
                            digitsStart = pos;
                        }
                    }
                    prev = emit(out, prev, pos); continue;
                }
                int fl2 = cp == ' ' ? flags(cpts, pos + 1, end) : fl;
                if ((fl2 & (WS | Unicode.LETTER | Unicode.NUMBER)) == 0 && fl != 0) { // as llama.cpp: tests fl, not fl2
                    if (cp == ' ') pos++;
                    while (isOther(fl2)) fl2 = flags(cpts, ++pos, end);
                    int c2 = cpt(cpts, pos, end);
                    while (c2 == '\r' || c2 == '\n') c2 = cpt(cpts, ++pos, end);
                    prev = emit(out, prev, pos); continue;
                }
                int ws = 0;
                int lastNewlineEnd = 0;
                while ((flags(cpts, pos + ws, end) & WS) != 0) {
                    int c2 = cpt(cpts, pos + ws, end);
                    if (c2 == '\r' || c2 == '\n') lastNewlineEnd = pos + ws + 1;
                    ws++;
                }
                if (lastNewlineEnd > 0) {
                    pos = lastNewlineEnd; prev = emit(out, prev, pos); continue;
                }
                if (ws > 1 && cpt(cpts, pos + ws, end) != OUT) {
                    pos += ws - 1; prev = emit(out, prev, pos); continue;
                }
                if (ws > 0) {
                    pos += ws; prev = emit(out, prev, pos); continue;
                }
                pos++;
                prev = emit(out, prev, pos);
            }
        }
        return out;
    }

    private static int emit(List<Integer> out, int prev, int end) {
        if (end > prev) out.add(end - prev);
        return end;
    }

    /** A general expression, run like llama.cpp runs it through std::regex (on collapsed text if it uses categories). */
    private record RegexSplitter(Pattern pattern, boolean collapsed) implements Splitter {

        private static final Map<String, Character> CATEGORY_CHARS = Map.of(
                "\\p{N}", '\u00D1', "\\p{L}", '\u00D2', "\\p{P}", '\u00D3', "\\p{M}", '\u00D4', "\\p{S}", '\u00D5',
                "\\p{Lu}", '\u00D2', "\\p{Ll}", '\u00D2', "\\p{Lt}", '\u00D2', "\\p{Lm}", '\u00D2', "\\p{Lo}", '\u00D2');
        /** The ASCII members of each category, which stay themselves in the collapsed text. */
        private static final Map<Character, String> ASCII_MEMBERS = Map.of(
                '\u00D1', "0-9",
                '\u00D2', "A-Za-z",
                '\u00D3', "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
                '\u00D4', "",
                '\u00D5', "\\$\\+<->\\^`\\|");

        static RegexSplitter of(String regex) {
            boolean usesCategories = CATEGORY_CHARS.keySet().stream().anyMatch(regex::contains);
            String javaRegex = usesCategories ? collapseRegex(regex) : regex;
            // std::regex's $ (no multiline) matches only at the very end; Java's also before a final line break
            javaRegex = endAnchorToZ(javaRegex);
            return new RegexSplitter(Pattern.compile(javaRegex), usesCategories);
        }

        /** Unescaped {@code $} outside a bracket expression becomes {@code \z}. */
        private static String endAnchorToZ(String regex) {
            StringBuilder sb = new StringBuilder();
            boolean inside = false;
            for (int i = 0; i < regex.length(); i++) {
                char c = regex.charAt(i);
                if (c == '\\' && i + 1 < regex.length()) { sb.append(c).append(regex.charAt(++i)); continue; }
                if (c == '[') inside = true;
                else if (c == ']') inside = false;
                if (c == '$' && !inside) sb.append("\\z");
                else sb.append(c);
            }
            return sb.toString();
        }

        private static String collapseRegex(String regex) {
            StringBuilder sb = new StringBuilder();
            boolean inside = false;
            for (int i = 0; i < regex.length(); i++) {
                char c = regex.charAt(i);
                if (c == '[' && (i == 0 || regex.charAt(i - 1) != '\\')) { sb.append('['); inside = true; continue; }
                if (inside && c == ']' && regex.charAt(i - 1) != '\\') { sb.append(']'); inside = false; continue; }
                if (c == '\\' && i + 3 < regex.length() && regex.charAt(i + 1) == 'p' && regex.charAt(i + 2) == '{') {
                    int close = regex.indexOf('}', i + 3);
                    if (close >= 0 && close <= i + 10) {
                        Character cat = CATEGORY_CHARS.get(regex.substring(i, close + 1));
                        if (cat != null) {
                            if (!inside) sb.append('[');
                            sb.append(cat).append(ASCII_MEMBERS.get(cat));
                            if (!inside) sb.append(']');
                            i = close;
                            continue;
                        }
                    }
                }
                sb.append(c);
            }
            return sb.toString();
        }

        @Override
        public List<Integer> split(int[] cpts, List<Integer> offsets) {
            // the text the expression sees: one char per code point when collapsed, else the code points themselves
            // with non-ASCII whitespace shown as \u000B (std::regex's \s knows only ASCII whitespace)
            StringBuilder sb = new StringBuilder(cpts.length);
            int[] charStart = collapsed ? null : new int[cpts.length + 1];
            for (int i = 0; i < cpts.length; i++) {
                int cp = cpts[i];
                if (!collapsed) charStart[i] = sb.length();
                if (cp < 128) { sb.append((char) cp); continue; }
                if (Unicode.isWhitespace(cp)) { sb.append('\u000B'); continue; }
                if (collapsed) {
                    sb.append(switch (Unicode.category(cp)) {
                        case Unicode.NUMBER -> '\u00D1';
                        case Unicode.LETTER -> '\u00D2';
                        case Unicode.PUNCTUATION -> '\u00D3';
                        case Unicode.MARK -> '\u00D4';
                        case Unicode.SYMBOL -> '\u00D5';
                        default -> '\u00D0';
                    });
                } else {
                    sb.appendCodePoint(cp);
                }
            }
            if (!collapsed) charStart[cpts.length] = sb.length();
            String text = sb.toString();
            // code point index of each char position (only needed when supplementary characters take two chars)
            int[] cpAt = null;
            if (!collapsed && text.length() != cpts.length) {
                cpAt = new int[text.length() + 1];
                for (int i = 0; i < cpts.length; i++) {
                    for (int c = charStart[i]; c < charStart[i + 1]; c++) cpAt[c] = i;
                }
                cpAt[text.length()] = cpts.length;
            }

            List<Integer> out = new ArrayList<>(offsets.size());
            int start = 0;
            for (int length : offsets) {
                int from = collapsed ? start : charStart[start];
                int to = collapsed ? start + length : charStart[start + length];
                Matcher m = pattern.matcher(text.substring(from, to));
                int prevEnd = 0; // in code points, relative to the piece
                while (m.find()) {
                    if (m.end() == m.start()) continue; // std::regex_iterator never yields these for our expressions
                    int ms = cpAt == null ? m.start() : cpAt[from + m.start()] - start;
                    int me = cpAt == null ? m.end() : cpAt[from + m.end()] - start;
                    if (ms > prevEnd) out.add(ms - prevEnd);
                    out.add(me - ms);
                    prevEnd = me;
                }
                if (prevEnd < length) out.add(length - prevEnd);
                start += length;
            }
            return out;
        }
    }
}
