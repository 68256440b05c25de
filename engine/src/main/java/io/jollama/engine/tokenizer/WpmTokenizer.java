package io.jollama.engine.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's WordPiece tokenizer ({@code tokenizer.ggml.model = bert}): BERT's basic normalisation (lower-casing
 * and accent stripping when the vocabulary asks, control characters dropped, punctuation and CJK characters as
 * words of their own), then each word, prefixed with ▁, is cut greedily into the longest vocabulary pieces; a word
 * that cannot be cut completely becomes [UNK]. With addSpecial the result is wrapped in [CLS] ... [SEP].
 */
final class WpmTokenizer extends VocabTokenizer {

    private final int maxTokenChars;

    WpmTokenizer(Vocab vocab) {
        super(vocab);
        int max = 0;
        for (String t : vocab.texts) max = Math.max(max, t.length());
        maxTokenChars = max;
    }

    @Override
    void encode(List<Vocab.Fragment> fragments, boolean addSpecial, IntList out) {
        if (addSpecial) out.add(vocab.bos);
        for (Vocab.Fragment f : fragments) {
            if (f.isText()) {
                for (String word : words(f.text())) tokenizeWord(word, out);
            } else {
                out.add(f.token());
            }
        }
        if (addSpecial) out.add(vocab.sep);
    }

    private void tokenizeWord(String word, IntList out) {
        String w = "\u2581" + word;
        int n = w.length();
        int before = out.size();
        List<Integer> pieces = new ArrayList<>();
        boolean complete = true;
        for (int i = 0; i < n; ) {
            int found = -1, foundEnd = -1;
            for (int j = Math.min(n, i + maxTokenChars); j > i; j--) {
                if (j < n && Character.isLowSurrogate(w.charAt(j))) continue; // would split a surrogate pair
                int id = vocab.id(w.substring(i, j));
                if (id >= 0) { found = id; foundEnd = j; break; }
            }
            if (found < 0) { complete = false; break; }
            pieces.add(found);
            i = foundEnd;
        }
        if (complete) for (int id : pieces) out.add(id);
        if (out.size() == before) out.add(vocab.unk);
    }

    /** BERT's basic pre-processing, as llama.cpp's WPM preprocess does it. */
    private List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int k = 0; k < text.length(); ) {
            int cp = text.codePointAt(k);
            k += Character.charCount(cp);
            if (vocab.stripAccents) cp = nfdFirst(cp);
            if (Unicode.isWhitespace(cp)) {
                if (!cur.isEmpty()) { words.add(cur.toString()); cur.setLength(0); }
                continue;
            }
            int cat = Unicode.category(cp);
            if (cp == 0 || cp == 0xFFFD || cat == Unicode.CONTROL) continue;
            if (vocab.stripAccents && cat == Unicode.MARK) continue;
            int c = vocab.lowercase ? Unicode.toLower(cp) : cp;
            if (cat == Unicode.PUNCTUATION || (cp < 0x7F && cat == Unicode.SYMBOL) || isChinese(cp)) {
                if (!cur.isEmpty()) { words.add(cur.toString()); cur.setLength(0); }
                words.add(new String(Character.toChars(c)));
            } else {
                cur.appendCodePoint(c);
            }
        }
        if (!cur.isEmpty()) words.add(cur.toString());
        return words;
    }

    /** The first code point of a code point's canonical decomposition (llama.cpp's one-to-one NFD table). */
    private static int nfdFirst(int cp) {
        if (cp < 0xC0) return cp;
        return Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFD).codePointAt(0);
    }

    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
