package io.jollama.engine.vision;

/**
 * A decoded image: {@code width × height} pixels of 8-bit red, green and blue, row by row ({@code rgb[3·(y·width+x)+c]}).
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("an image of " + width + "×" + height + " pixels");
        if (rgb.length != 3L * width * height) throw new IllegalArgumentException(rgb.length + " bytes for " + width + "×" + height + " RGB pixels");
    }

    int at(int x, int y, int c) {
        return rgb[3 * (y * width + x) + c] & 0xff;
    }
}
