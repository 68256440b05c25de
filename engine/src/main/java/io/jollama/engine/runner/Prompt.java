package io.jollama.engine.runner;

import io.jollama.engine.vision.RgbImage;

import java.util.List;

/**
 * What a sequence evaluates before generating: token ids, some of whose runs are images. An image's positions hold
 * a placeholder id (negative, the same for the same image, so that prompt caching recognises it) and its rows of
 * input vectors ({@link Image#embeddings}) take the place of token embeddings.
 */
public record Prompt(int[] tokens, List<Image> images) {

    /** Positions {@code [offset, offset + length)} are an image: {@code length × dim} input vectors. */
    public record Image(int offset, int length, float[] embeddings, boolean bidirectional) {}

    /** The parts a prompt is built from ({@link Runner#prompt}). */
    public sealed interface Part {
        /** Text, tokenized with the texts of special tokens parsed. */
        record Text(String text) implements Part {}

        /** A decoded image, encoded by the runner's vision projector. */
        record Picture(RgbImage image) implements Part {}
    }

    public Prompt {
        images = List.copyOf(images);
    }

    /** A prompt of tokens only. */
    public static Prompt of(int[] tokens) {
        return new Prompt(tokens, List.of());
    }

    public int length() {
        return tokens.length;
    }

    /** The image covering position i, or null. */
    Image imageAt(int i) {
        for (Image im : images) if (i >= im.offset && i < im.offset + im.length) return im;
        return null;
    }
}
