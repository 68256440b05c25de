package io.jollama.engine.tokenizer;

import java.util.Arrays;
import java.util.List;

/** What the SPM, BPE and WordPiece tokenizers share: the vocabulary, special-token partitioning and decoding. */
abstract sealed class VocabTokenizer implements Tokenizer permits SpmTokenizer, BpeTokenizer, WpmTokenizer {

    final Vocab vocab;

    VocabTokenizer(Vocab vocab) {
        this.vocab = vocab;
    }

    /** Token ids for the fragments (raw text and recognised special tokens), with BOS/EOS if asked. */
    abstract void encode(List<Vocab.Fragment> fragments, boolean addSpecial, IntList out);

    @Override
    public final int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        if (text == null) throw new IllegalArgumentException("text to encode is null");
        IntList out = new IntList();
        encode(vocab.partition(text, parseSpecial), addSpecial, out);
        return out.toArray();
    }

    @Override
    public final String decode(int[] tokens) {
        return vocab.decode(tokens);
    }

    @Override
    public final byte[] tokenBytes(int token) {
        return vocab.tokenBytes(token);
    }

    @Override
    public final String tokenText(int token) {
        return vocab.texts[vocab.check(token)];
    }

    @Override
    public final int vocabSize() {
        return vocab.size();
    }

    @Override
    public final int bos() {
        return vocab.bos;
    }

    @Override
    public final int eos() {
        return vocab.eos;
    }

    @Override
    public final boolean addBos() {
        return vocab.addBos;
    }

    @Override
    public final boolean addEos() {
        return vocab.addEos;
    }

    @Override
    public final boolean isEog(int token) {
        return vocab.isEog(token);
    }

    @Override
    public final boolean isControl(int token) {
        return vocab.has(token, Vocab.CONTROL);
    }

    /** A growable int array. */
    static final class IntList {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int size() { return n; }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
