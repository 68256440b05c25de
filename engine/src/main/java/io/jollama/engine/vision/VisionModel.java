package io.jollama.engine.vision;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.VisionTower;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A vision projector file ({@code mmproj}, {@code general.architecture = clip}, llama.cpp's {@code clip.*} keys and
 * {@code v.*}/{@code mm.*} tensors) loaded for one text model: it turns an image into rows of the text model's
 * input vectors. Two families: {@link Llava} (CLIP ViT and an MLP, projector type {@code mlp}) and
 * {@link Gemma3Vision} (SigLIP ViT, pooling and a projection, {@code gemma3}).
 *
 * @param imageBegin    text put before an image's rows in the prompt (tokenized with special tokens), or ""
 * @param imageEnd      text put after them, or ""
 * @param bidirectional whether an image's rows attend to each other in the text model (Gemma 3), not only causally
 */
public record VisionModel(GgufFile file, String projectorType, ImagePreprocessor preprocessor, VisionTower tower,
                          Projector projector, int embeddingLength, String imageBegin, String imageEnd,
                          boolean bidirectional) implements AutoCloseable {

    /** What maps the tower's hidden states to rows of the text model's input. */
    public interface Projector {
        /** {@code tokens × embeddingLength} rows from the tower's {@code rows × dim} hidden states. */
        float[] project(float[] hidden, int rows);

        /** How many rows {@link #project} returns for that many tower rows. */
        int tokens(int rows);
    }

    /** Loads the projector (mapped when {@code mmap}) and checks that it can feed a text model of width {@code textDim}. */
    public static VisionModel load(Path path, boolean mmap, int textDim) throws IOException {
        GgufFile file = GgufFile.open(path, mmap);
        try {
            VisionModel m = of(file);
            if (textDim > 0 && m.embeddingLength != textDim) {
                throw new GgufFormatException(path + ": the projector makes rows of " + m.embeddingLength
                        + " values, the text model's embeddings have " + textDim + " (a projector of another model?)");
            }
            return m;
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    static VisionModel of(GgufFile file) throws GgufFormatException {
        String arch = file.getString("general.architecture", "");
        if (!arch.equals("clip")) throw new GgufFormatException(file.path() + ": not a vision projector (general.architecture is \"" + arch + "\", not \"clip\")");
        if (!file.getBool("clip.has_vision_encoder", true)) throw new GgufFormatException(file.path() + ": the projector has no vision encoder");
        String type = file.getString("clip.projector_type", file.getString("clip.vision.projector_type", ""));
        return switch (type) {
            case "mlp" -> Llava.load(file);
            case "gemma3" -> Gemma3Vision.load(file);
            case "" -> throw new GgufFormatException(file.path() + ": the projector has no clip.projector_type");
            default -> throw new GgufFormatException(file.path() + ": vision projector type \"" + type + "\" is not supported yet (supported: mlp (LLaVA), gemma3)");
        };
    }

    /** The rows of the text model's input for one image ({@code tokens × embeddingLength}). */
    public float[] encode(RgbImage image) {
        return encode(image, () -> false);
    }

    /** As {@link #encode(RgbImage)}, checking {@code cancelled} between the tower's blocks (then a CancellationException). */
    public float[] encode(RgbImage image, java.util.function.BooleanSupplier cancelled) {
        int size = preprocessor.size();
        java.util.List<float[]> tiles = preprocessor.tiles(image);
        float[][] parts = new float[tiles.size()][];
        int total = 0;
        for (int i = 0; i < parts.length; i++) {
            float[] hidden = tower.forward(tiles.get(i), size, size, cancelled);
            parts[i] = projector.project(hidden, tower.rows(size, size));
            total += parts[i].length;
        }
        if (parts.length == 1) return parts[0];
        // the tiles' rows one after the other (LLaVA-NeXT: the slices, then the whole image)
        float[] out = new float[total];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** How many rows (prompt positions) an image no larger than the projector's square takes (larger ones may take more tiles). */
    public int tokensPerImage() {
        int size = preprocessor.size();
        return projector.tokens(tower.rows(size, size));
    }

    @Override
    public void close() {
        file.close();
    }
}
