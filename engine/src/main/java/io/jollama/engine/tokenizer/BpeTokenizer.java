package io.jollama.engine.tokenizer;

import io.jollama.engine.gguf.GgufFile;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * llama.cpp's byte-level BPE ({@code tokenizer.ggml.model = gpt2}): the text is split into words by the
 * pre-tokenizer, each word's UTF-8 bytes are shown as GPT-2 characters, and adjacent symbols are merged by the rank
 * of their pair in {@code tokenizer.ggml.merges} (lowest first). With {@code ignore_merges} (Llama 3, Tekken) a whole
 * word that is a token is taken as is.
 */
final class BpeTokenizer extends VocabTokenizer {

    private final Map<String, Integer> ranks; // "left right" → rank
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final boolean spmStyle;

    BpeTokenizer(Vocab vocab, GgufFile gguf) {
        super(vocab);
        String[] merges = gguf.getStrings("tokenizer.ggml.merges");
        if (merges == null) throw new IllegalArgumentException("the BPE tokenizer has no merges (tokenizer.ggml.merges is missing)");
        ranks = new HashMap<>(merges.length * 2);
        for (int i = 0; i < merges.length; i++) {
            String m = merges[i];
            if (m.indexOf(' ', 1) < 0) continue; // llama.cpp files these under an empty pair that never matches
            ranks.putIfAbsent(m, i);
        }
        spmStyle = vocab.pre.spmStyle();
        preTokenizer = new PreTokenizer(vocab.pre.regexes(), !spmStyle);
        ignoreMerges = vocab.pre.ignoreMerges();
    }

    @Override
    void encode(List<Vocab.Fragment> fragments, boolean addSpecial, IntList out) {
        if (addSpecial && vocab.addBos) out.add(vocab.bos);
        for (Vocab.Fragment f : fragments) {
            if (f.isText()) {
                String text = spmStyle ? f.text().replace(' ', '\u2581') : f.text();
                for (String word : preTokenizer.split(text)) tokenizeWord(word, out);
            } else {
                out.add(f.token());
            }
        }
        if (addSpecial && vocab.addEos) out.add(vocab.eos);
    }

    private record Bigram(int left, int right, int rank, int size) {}

    private void tokenizeWord(String word, IntList out) {
        if (ignoreMerges || (spmStyle && word.chars().allMatch(c -> c == '\n'))) {
            // Gemma 4: a run of newlines that is a token is taken whole
            int id = vocab.id(word);
            if (id >= 0) {
                out.add(id);
                return;
            }
        }
        int n = word.codePointCount(0, word.length());
        int[] start = new int[n], len = new int[n], prev = new int[n], next = new int[n];
        int off = 0;
        for (int i = 0; i < n; i++) {
            int l = Character.charCount(word.codePointAt(off));
            start[i] = off; len[i] = l; prev[i] = i - 1;
            off += l;
            next[i] = off == word.length() ? -1 : i + 1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) ->
                a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) addBigram(word, start, len, i - 1, i, queue);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            if (len[b.left] == 0 || len[b.right] == 0 || len[b.left] + len[b.right] != b.size) continue;
            len[b.left] += len[b.right];
            len[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) prev[next[b.right]] = b.left;
            addBigram(word, start, len, prev[b.left], b.left, queue);
            addBigram(word, start, len, b.left, next[b.left], queue);
        }
        for (int i = 0; n > 0 && i != -1; i = next[i]) {
            String piece = word.substring(start[i], start[i] + len[i]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            if (spmStyle) {
                for (byte b : piece.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    int t = vocab.id(String.format("<0x%02X>", b & 0xFF));
                    if (t >= 0) out.add(t);
                }
                continue;
            }
            // llama.cpp looks up each UTF-8 byte of the piece as a one-byte token; only ASCII ones can exist
            for (int k = 0; k < piece.length(); k++) {
                char c = piece.charAt(k);
                if (c < 0x80) {
                    int t = vocab.id(String.valueOf(c));
                    if (t >= 0) out.add(t);
                }
            }
        }
    }

    private void addBigram(String word, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) return;
        String key = word.substring(start[left], start[left] + len[left]) + ' ' + word.substring(start[right], start[right] + len[right]);
        Integer rank = ranks.get(key);
        if (rank == null) return;
        queue.add(new Bigram(left, right, rank, len[left] + len[right]));
    }
}
