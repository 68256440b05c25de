package io.jollama.engine.vision;

/**
 * An image made ready for a vision tower as llama.cpp's mtmd does it. Fixed-size projectors: scaled to fit a
 * {@code size × size} square keeping its aspect ratio (bilinear or bicubic, as the projector asks), centred on a
 * square of the padding colour. With resolution candidates ({@code pinpoints}, LLaVA-NeXT): an image larger than
 * the square is also scaled (bicubic, black padding) to the candidate that keeps most of it and cut into squares,
 * which come first, followed by the whole image stretched to the square (bilinear); a smaller image is only
 * stretched. Then each channel maps to {@code (v/255 − mean) / std}. The arithmetic follows mtmd's (float lerps
 * truncated to bytes; its bicubic kernel with rounding), so the pixels are the same bytes.
 *
 * @param pinpoints resolution candidates as {width, height} pairs, or an empty list
 */
public record ImagePreprocessor(int size, Resize resize, int[] padColor, float[] mean, float[] std, java.util.List<int[]> pinpoints) {

    public enum Resize { BILINEAR, BICUBIC }

    public ImagePreprocessor(int size, Resize resize, int[] padColor, float[] mean, float[] std) {
        this(size, resize, padColor, mean, std, java.util.List.of());
    }

    /** The squares the image becomes, each as normalised planar pixels ({@code 3 × size × size}, channel-major). */
    public java.util.List<float[]> tiles(RgbImage image) {
        if (pinpoints.isEmpty()) return java.util.List.of(normalise(fit(image)));
        RgbImage overview = image.width() == size && image.height() == size ? image : bilinear(image, size, size);
        if (image.width() <= size && image.height() <= size) return java.util.List.of(normalise(overview));
        int[] best = bestResolution(image.width(), image.height());
        RgbImage refined = padded(image, best[0], best[1], Resize.BICUBIC, new int[]{0, 0, 0});
        java.util.List<float[]> out = new java.util.ArrayList<>();
        for (int y = 0; y < best[1]; y += size) {
            for (int x = 0; x < best[0]; x += size) {
                out.add(normalise(crop(refined, x, y, Math.min(size, best[0] - x), Math.min(size, best[1] - y))));
            }
        }
        out.add(normalise(overview));
        return out;
    }

    /** The candidate that keeps the most of the image's pixels, then wastes the least (mtmd's select_best_resolution). */
    int[] bestResolution(int w, int h) {
        int[] best = null;
        int maxEffective = 0, minWasted = Integer.MAX_VALUE;
        for (int[] c : pinpoints) {
            float scale = Math.min((float) c[0] / w, (float) c[1] / h);
            int tw = (int) (w * scale), th = (int) (h * scale);
            int effective = Math.min(tw * th, w * h), wasted = c[0] * c[1] - effective;
            if (effective > maxEffective || (effective == maxEffective && wasted < minWasted)) {
                maxEffective = effective;
                minWasted = wasted;
                best = c;
            }
        }
        return best;
    }

    private static RgbImage crop(RgbImage src, int x, int y, int w, int h) {
        byte[] out = new byte[3 * w * h];
        for (int r = 0; r < h; r++) System.arraycopy(src.rgb(), 3 * ((y + r) * src.width() + x), out, 3 * r * w, 3 * w);
        return new RgbImage(w, h, out);
    }

    private float[] normalise(RgbImage square) {
        int n = square.width() * square.height();
        float[] out = new float[3 * n];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                float v = (square.rgb()[3 * i + c] & 0xff) / 255.0f;
                out[c * n + i] = (v - mean[c]) / std[c];
            }
        }
        return out;
    }

    /** The image scaled into the square and padded. */
    RgbImage fit(RgbImage src) {
        return padded(src, size, size, resize, padColor);
    }

    /** The image scaled to fit {@code tw × th} keeping its aspect ratio, centred on that area filled with {@code color}. */
    static RgbImage padded(RgbImage src, int tw, int th, Resize algo, int[] color) {
        if (src.width() == tw && src.height() == th) return src;
        float scale = Math.min((float) tw / src.width(), (float) th / src.height());
        int w = Math.min((int) Math.ceil(src.width() * scale), tw);
        int h = Math.min((int) Math.ceil(src.height() * scale), th);
        RgbImage scaled = algo == Resize.BILINEAR ? bilinear(src, w, h) : bicubic(src, w, h);
        byte[] out = new byte[3 * tw * th];
        for (int i = 0; i < tw * th; i++) for (int c = 0; c < 3; c++) out[3 * i + c] = (byte) color[c];
        int ox = (tw - w) / 2, oy = (th - h) / 2;
        for (int y = 0; y < h; y++) System.arraycopy(scaled.rgb(), 3 * y * w, out, 3 * ((y + oy) * tw + ox), 3 * w);
        return new RgbImage(tw, th, out);
    }

    static RgbImage bilinear(RgbImage src, int tw, int th) {
        float xRatio = tw > 1 ? (float) (src.width() - 1) / (tw - 1) : 0f;
        float yRatio = th > 1 ? (float) (src.height() - 1) / (th - 1) : 0f;
        byte[] out = new byte[3 * tw * th];
        for (int y = 0; y < th; y++) {
            for (int x = 0; x < tw; x++) {
                float px = x * xRatio, py = y * yRatio;
                int x0 = Math.min((int) px, src.width() - 1), y0 = Math.min((int) py, src.height() - 1);
                int x1 = Math.min(x0 + 1, src.width() - 1), y1 = Math.min(y0 + 1, src.height() - 1);
                float xf = px - x0, yf = py - y0;
                for (int c = 0; c < 3; c++) {
                    float top = lerp(src.at(x0, y0, c), src.at(x1, y0, c), xf);
                    float bottom = lerp(src.at(x0, y1, c), src.at(x1, y1, c), xf);
                    out[3 * (y * tw + x) + c] = (byte) (int) lerp(top, bottom, yf);
                }
            }
        }
        return new RgbImage(tw, th, out);
    }

    private static float lerp(float s, float e, float t) {
        return s + (e - s) * t;
    }

    /** mtmd's bicubic resampling (cubic convolution over 4×4 neighbours, edges clamped). */
    static RgbImage bicubic(RgbImage src, int tw, int th) {
        int nx = src.width(), ny = src.height();
        float tx = (float) nx / tw, ty = (float) ny / th;
        byte[] out = new byte[3 * tw * th];
        float[] cs = new float[4];
        for (int i = 0; i < th; i++) {
            for (int j = 0; j < tw; j++) {
                int x = (int) (tx * j), y = (int) (ty * i);
                float dx = tx * j - x, dy = ty * i - y;
                for (int k = 0; k < 3; k++) {
                    for (int jj = 0; jj < 4; jj++) {
                        int row = clamp(y - 1 + jj, ny);
                        float a0 = src.at(clamp(x, nx), row, k);
                        float d0 = src.at(clamp(x - 1, nx), row, k) - a0;
                        float d2 = src.at(clamp(x + 1, nx), row, k) - a0;
                        float d3 = src.at(clamp(x + 2, nx), row, k) - a0;
                        cs[jj] = cubic(a0, d0, d2, d3, dx);
                    }
                    float c = cubic(cs[1], cs[0] - cs[1], cs[2] - cs[1], cs[3] - cs[1], dy);
                    out[3 * (i * tw + j) + k] = (byte) (int) Math.min(Math.max(roundHalfAway(c), 0f), 255f);
                }
            }
        }
        return new RgbImage(tw, th, out);
    }

    /** One cubic step as mtmd writes it: coefficients in double, narrowed to float, the polynomial in float. */
    private static float cubic(float a0, float d0, float d2, float d3, float t) {
        float a1 = (float) (-1.0 / 3 * d0 + d2 - 1.0 / 6 * d3);
        float a2 = (float) (1.0 / 2 * d0 + 1.0 / 2 * d2);
        float a3 = (float) (-1.0 / 6 * d0 - 1.0 / 2 * d2 + 1.0 / 6 * d3);
        return a0 + a1 * t + a2 * t * t + a3 * t * t * t;
    }

    private static int clamp(int v, int n) {
        return Math.max(0, Math.min(v, n - 1));
    }

    /** C's {@code roundf}: halves away from zero. */
    private static float roundHalfAway(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (float) (v < 0 ? -r : r);
    }
}
