package io.jollama.server.image;

import io.jollama.engine.vision.RgbImage;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * Decodes the images of a request (JPEG, PNG and WebP, as Ollama's runner reads them) into 8-bit RGB pixels the way
 * llama.cpp's loader (stb_image) gives them: alpha dropped (not blended), grey copied to the three channels,
 * 16-bit samples cut to their high byte. JPEG and PNG are read by the JDK, WebP and CMYK JPEG by TwelveMonkeys'
 * ImageIO plugins.
 */
public final class ImageDecoder {
    /** Larger images are refused: their pixels alone would take hundreds of megabytes of memory. */
    public static final long MAX_PIXELS = 40_000_000L;

    private ImageDecoder() {}

    /** A request's image that cannot be used, with the reason. */
    public static final class ImageException extends Exception {
        public ImageException(String message) {
            super(message);
        }
    }

    public static RgbImage decode(byte[] bytes) throws ImageException {
        String format = format(bytes);
        if (format == null) throw new ImageException("unknown image format (JPEG, PNG and WebP images are supported)");
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
            if (!readers.hasNext()) throw new ImageException("no decoder for " + format + " images");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new ImageException("image of " + reader.getWidth(0) + "×" + reader.getHeight(0) + " pixels is too large (at most "
                            + MAX_PIXELS / 1_000_000 + " megapixels)");
                }
                return rgb(reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new ImageException("failed to decode the " + format + " image: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    /** The format by its signature: JPEG, PNG or WebP; null for anything else. */
    static String format(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) return "jpeg";
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return "png";
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') return "webp";
        return null;
    }

    static RgbImage rgb(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[3 * w * h];
        Raster r = img.getRaster();
        boolean grey = img.getColorModel().getNumColorComponents() == 1 && img.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY;
        if (grey) {
            // the stored grey level itself: getRGB would convert a linear grey space to sRGB and change the values
            int shift = r.getTransferType() == DataBuffer.TYPE_USHORT ? 8 : 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    byte v = (byte) (r.getSample(x, y, 0) >> shift);
                    int i = 3 * (y * w + x);
                    out[i] = v;
                    out[i + 1] = v;
                    out[i + 2] = v;
                }
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = row[x], i = 3 * (y * w + x);
                    out[i] = (byte) (p >> 16);
                    out[i + 1] = (byte) (p >> 8);
                    out[i + 2] = (byte) p;
                }
            }
        }
        return new RgbImage(w, h, out);
    }
}
