package io.jollama.engine.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * llama.cpp's SentencePiece-style tokenizer ({@code tokenizer.ggml.model = llama}): spaces become ▁, a space is
 * prefixed to text at the start and after special tokens, then adjacent symbols (starting from single UTF-8
 * characters) are merged greedily by the score of the merged piece; pieces that are not tokens fall back to their
 * {@code <0xNN>} byte tokens.
 */
final class SpmTokenizer extends VocabTokenizer {

    SpmTokenizer(Vocab vocab) {
        super(vocab);
    }

    @Override
    void encode(List<Vocab.Fragment> fragments, boolean addSpecial, IntList out) {
        boolean prevSpecial = true;
        if (addSpecial && vocab.addBos) out.add(vocab.bos);
        for (Vocab.Fragment f : fragments) {
            if (f.isText()) {
                String text = vocab.addSpacePrefix && prevSpecial ? " " + f.text() : f.text();
                new Session(text.replace(' ', '\u2581')).tokenize(out);
                prevSpecial = false;
            } else {
                out.add(f.token());
                prevSpecial = true;
            }
        }
        if (addSpecial && vocab.addEos) out.add(vocab.eos);
    }

    private record Bigram(int left, int right, float score, int size) {}

    /** One text's merge state: symbols as a linked list over the text, candidate merges in a priority queue. */
    private final class Session {
        final String text;
        final int[] start, len, prev, next;
        final PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> {
            int c = Float.compare(b.score, a.score);
            return c != 0 ? c : Integer.compare(a.left, b.left);
        });
        final Map<String, int[]> revMerge = new HashMap<>();

        Session(String text) {
            this.text = text;
            int n = text.codePointCount(0, text.length());
            start = new int[n]; len = new int[n]; prev = new int[n]; next = new int[n];
            int off = 0;
            for (int i = 0; i < n; i++) {
                int l = Character.charCount(text.codePointAt(off));
                start[i] = off; len[i] = l;
                prev[i] = i - 1;
                off += l;
                next[i] = off == text.length() ? -1 : i + 1;
            }
        }

        void tokenize(IntList out) {
            int n = start.length;
            if (n == 0) return;
            for (int i = 1; i < n; i++) tryAddBigram(i - 1, i);
            while (!queue.isEmpty()) {
                Bigram b = queue.poll();
                if (len[b.left] == 0 || len[b.right] == 0 || len[b.left] + len[b.right] != b.size) continue;
                len[b.left] += len[b.right];
                len[b.right] = 0;
                next[b.left] = next[b.right];
                if (next[b.right] >= 0) prev[next[b.right]] = b.left;
                tryAddBigram(prev[b.left], b.left);
                tryAddBigram(b.left, next[b.left]);
            }
            for (int i = 0; i != -1; i = next[i]) resegment(i, out);
        }

        private void resegment(int sym, IntList out) {
            String piece = text.substring(start[sym], start[sym] + len[sym]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
                return;
            }
            int[] parts = revMerge.get(piece);
            if (parts == null) {
                for (byte b : piece.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    int t = vocab.byteToken(b & 0xFF);
                    if (t < 0) throw new IllegalArgumentException(String.format("the vocabulary has no byte token <0x%02X> for byte fallback", b & 0xFF));
                    out.add(t);
                }
                return;
            }
            resegment(parts[0], out);
            resegment(parts[1], out);
        }

        private void tryAddBigram(int left, int right) {
            if (left == -1 || right == -1) return;
            String piece = text.substring(start[left], start[left] + len[left] + len[right]);
            int id = vocab.id(piece);
            if (id < 0) return;
            queue.add(new Bigram(left, right, vocab.scores[id], len[left] + len[right]));
            revMerge.put(piece, new int[] {left, right});
        }
    }
}
