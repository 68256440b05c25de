package io.jollama.engine.tokenizer;

import java.util.List;

/** Placeholder replaced below. */
final class WpmTokenizer extends VocabTokenizer {
    WpmTokenizer(Vocab vocab) {
        super(vocab);
        throw new IllegalArgumentException("the WordPiece (bert) tokenizer is not supported yet");
    }

    @Override
    void encode(List<Vocab.Fragment> fragments, boolean addSpecial, IntList out) {
        throw new UnsupportedOperationException();
    }
}
