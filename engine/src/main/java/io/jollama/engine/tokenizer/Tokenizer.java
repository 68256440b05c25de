package io.jollama.engine.tokenizer;

import io.jollama.engine.gguf.GgufFile;

/**
 * A model's tokenizer, read from its GGUF metadata, behaving like llama.cpp's (llama-vocab.cpp): the same ids for
 * the same text, the same special-token handling and the same detokenization.
 */
public interface Tokenizer {

    /**
     * The tokenizer a GGUF describes, chosen by {@code tokenizer.ggml.model}: {@code llama} (SentencePiece-style BPE
     * with scores and byte fallback), {@code gpt2} (byte-level BPE with merges and a pre-tokenizer chosen by
     * {@code tokenizer.ggml.pre}), {@code gemma4} (BPE over raw UTF-8 with ▁ for spaces) or {@code bert} (WordPiece).
     * Instances are immutable and safe to share between threads.
     *
     * @throws IllegalArgumentException naming the problem when the model or pre-tokenizer is unknown or the
     *                                  vocabulary is missing or malformed
     */
    static Tokenizer fromGguf(GgufFile gguf) {
        Vocab vocab = Vocab.load(gguf);
        return switch (vocab.type()) {
            case SPM -> new SpmTokenizer(vocab);
            case BPE -> new BpeTokenizer(vocab, gguf);
            case WPM -> new WpmTokenizer(vocab);
        };
    }

    /**
     * Token ids for a text.
     *
     * @param addSpecial   add BOS/EOS as the vocabulary's {@code add_bos_token}/{@code add_eos_token} say
     *                     (for WordPiece: [CLS] ... [SEP])
     * @param parseSpecial treat the texts of control tokens (like {@code <|im_start|>}) as those tokens;
     *                     user-defined tokens are always matched
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * llama.cpp's {@code llama_detokenize} with remove_special=false, unparse_special=false: control and unknown
     * tokens produce no text, the first token loses one leading space when the vocabulary adds a space prefix, and
     * BPE vocabularies with "clean spaces" get llama.cpp's clean-up (" ." → "."). For streamed generation output use
     * {@link StreamingDecoder}, which concatenates the raw token pieces like llama-server does.
     */
    String decode(int[] tokens);

    /** The raw bytes this token contributes to the output (empty for control and unknown tokens). */
    byte[] tokenBytes(int token);

    /** The vocabulary's string for this token. */
    String tokenText(int token);

    int vocabSize();

    /** Beginning-of-sequence id, or -1. */
    int bos();

    /** End-of-sequence id, or -1. */
    int eos();

    boolean addBos();

    boolean addEos();

    /** Whether generation ends at this token (eos, eot, eom and llama.cpp's end-of-generation texts). */
    boolean isEog(int token);

    boolean isControl(int token);
}
