package io.jollama.engine.vision;

import io.jollama.engine.TestData;
import io.jollama.engine.model.KvCache;
import io.jollama.engine.runner.GenerateOptions;
import io.jollama.engine.runner.GenerationResult;
import io.jollama.engine.runner.Prompt;
import io.jollama.engine.runner.Runner;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two projector families against llama.cpp's llama-mtmd-cli on the same files (vision-reference.json, made by
 * src/test/python/make_vision_references.py): random-weight projectors beside the shared random text models, PNG
 * images of other sizes than the projector's. The image's first embedding row (the values mtmd prints) and the
 * greedy text must match.
 */
class VisionTest {
    static final JsonNode REF = read();

    static JsonNode read() {
        try (InputStream in = VisionTest.class.getResourceAsStream("/vision/vision-reference.json")) {
            return JsonMapper.builder().build().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path resource(String name) throws IOException {
        Path dir = Files.createTempDirectory("vision");
        Path p = dir.resolve(name);
        try (InputStream in = VisionTest.class.getResourceAsStream("/vision/" + name)) {
            Files.copy(in, p);
        }
        p.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        return p;
    }

    static RgbImage image(String name) throws IOException {
        try (InputStream in = VisionTest.class.getResourceAsStream("/vision/" + name)) {
            BufferedImage b = ImageIO.read(in);
            byte[] rgb = new byte[3 * b.getWidth() * b.getHeight()];
            for (int y = 0; y < b.getHeight(); y++) {
                for (int x = 0; x < b.getWidth(); x++) {
                    int p = b.getRGB(x, y), i = 3 * (y * b.getWidth() + x);
                    rgb[i] = (byte) (p >> 16);
                    rgb[i + 1] = (byte) (p >> 8);
                    rgb[i + 2] = (byte) p;
                }
            }
            return new RgbImage(b.getWidth(), b.getHeight(), rgb);
        }
    }

    /** llama.cpp's built-in chat templates of the reference runs, split at the image marker mtmd-cli puts first. */
    static List<Prompt.Part> parts(String template, RgbImage image, String prompt) {
        return switch (template) {
            case "gemma" -> List.of(new Prompt.Part.Text("<start_of_turn>user\n"), new Prompt.Part.Picture(image),
                    new Prompt.Part.Text(prompt + "<end_of_turn>\n<start_of_turn>model\n"));
            case "chatml" -> List.of(new Prompt.Part.Text("<|im_start|>user\n"), new Prompt.Part.Picture(image),
                    new Prompt.Part.Text(prompt + "<|im_end|>\n<|im_start|>assistant\n"));
            default -> throw new IllegalArgumentException(template);
        };
    }

    @Test
    void bothFamiliesGiveLlamaCppsEmbeddingsAndGreedyText() throws Exception {
        for (JsonNode c : REF.get("cases")) {
            Path text = TestData.path("models/arch/" + c.get("text_model").asString());
            try (Runner runner = Runner.load(text, 512, 512, true, KvCache.Type.F16)) {
                runner.attachVision(resource(c.get("projector").asString()), true);
                List<String> texts = new ArrayList<>();
                for (JsonNode run : c.get("runs")) {
                    String what = c.get("projector").asString() + " " + run.get("image").asString() + " " + run.get("prompt").asString();
                    RgbImage img = image(run.get("image").asString());
                    VisionModel vision = VisionModel.load(resource(c.get("projector").asString()), true, 128);
                    float[] rows;
                    try (vision) {
                        rows = vision.encode(img);
                        assertEquals(run.get("embedding_shape").get(1).asInt(), vision.tokensPerImage(), what);
                    }
                    // mtmd encodes (and prints) a tiled image's tiles one by one: the reference is its first tile
                    int dim = run.get("embedding_shape").get(0).asInt(), tile = run.get("embedding_shape").get(1).asInt();
                    assertEquals(0, rows.length % (tile * dim), what);
                    if (run.has("lossy")) {
                        // a JPEG: the JDK's decoder and stb_image round some pixels differently
                        double cos = cosine(run, rows, dim);
                        assertTrue(cos >= 0.999, what + " cosine " + cos);
                        continue;
                    }
                    for (int i = 0; i < 16; i++) {
                        double a = run.get("embedding_first16").get(i).asDouble(), b = run.get("embedding_last16").get(i).asDouble();
                        assertEquals(a, rows[i], 5e-3 * Math.max(1, Math.abs(a)), what + " row 0 value " + i);
                        assertEquals(b, rows[dim - 16 + i], 5e-3 * Math.max(1, Math.abs(b)), what + " row 0 value " + (dim - 16 + i));
                    }
                    double cos = cosine(run, rows, dim);
                    assertTrue(cos >= 0.9999, what + " cosine " + cos);
                    double sum = 0, sq = 0;
                    int m = tile * dim;
                    for (int i = 0; i < m; i++) sum += rows[i];
                    double mean = sum / m;
                    for (int i = 0; i < m; i++) sq += (rows[i] - mean) * (rows[i] - mean);
                    assertEquals(run.get("embedding_mean").asDouble(), mean, 1e-3, what + " mean");
                    assertEquals(run.get("embedding_std").asDouble(), Math.sqrt(sq / m), 1e-3, what + " std");

                    Prompt prompt = runner.prompt(parts(c.get("chat_template").asString(), img, run.get("prompt").asString()));
                    StringBuilder out = new StringBuilder();
                    GenerationResult r;
                    try (var seq = runner.newSequence()) {
                        r = seq.generate(prompt, GenerateOptions.greedy(REF.get("n_predict").asInt()), out::append, () -> false, null);
                    }
                    assertEquals(prompt.length(), r.promptEvalCount(), what);
                    // the reference has no trailing newlines (see make_vision_references.py)
                    assertEquals(run.get("text").asString(), out.toString().replaceAll("\n+$", ""), what);
                    texts.add(out.toString());
                }
                // the images matter: two pictures with the same question give different answers
                assertNotEquals(texts.get(0), texts.get(2));
            }
        }
    }

    /** The cosine of the 32 values of the first row that llama.cpp printed and ours. */
    static double cosine(JsonNode run, float[] rows, int dim) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < 32; i++) {
            double a = i < 16 ? run.get("embedding_first16").get(i).asDouble() : run.get("embedding_last16").get(i - 16).asDouble();
            double b = i < 16 ? rows[i] : rows[dim - 32 + i];
            dot += a * b;
            na += a * a;
            nb += b * b;
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void aProjectorForAnotherWidthOrNotAProjectorIsRefused() throws Exception {
        var e = assertThrows(IOException.class, () -> VisionModel.load(resource("gemma3-f16.mmproj.gguf"), true, 256));
        assertTrue(e.getMessage().contains("128") && e.getMessage().contains("256"), e.getMessage());
        var notClip = assertThrows(IOException.class, () -> VisionModel.load(TestData.path("models/arch/gemma3-f32.gguf"), true, 128));
        assertTrue(notClip.getMessage().contains("not a vision projector"), notClip.getMessage());
    }

    @Test
    void encodingStopsWhenCancelled() throws Exception {
        try (Runner runner = Runner.load(TestData.path("models/arch/gemma3-f32.gguf"), 256, 64, true, KvCache.Type.F16)) {
            runner.attachVision(resource("gemma3-f16.mmproj.gguf"), true);
            RgbImage img = image("scene-50x37.png");
            int[] checks = {0};
            // cancelled after the first block: the encoding stops there instead of finishing
            assertThrows(java.util.concurrent.CancellationException.class,
                    () -> runner.prompt(List.of(new Prompt.Part.Picture(img)), () -> checks[0]++ >= 2));
            assertEquals(3, checks[0], "checked once before the image and before each block until cancelled");
            // nothing half-done is kept: the same image encodes in full afterwards
            assertEquals(16, runner.prompt(List.of(new Prompt.Part.Picture(img))).images().getFirst().length());
        }
    }

    @Test
    void aTextOnlyModelRefusesImages() throws Exception {
        try (Runner runner = Runner.load(TestData.path("models/arch/gemma3-f32.gguf"), 256, 64, true, KvCache.Type.F16)) {
            RgbImage img = image("scene-50x37.png");
            assertThrows(IllegalStateException.class, () -> runner.prompt(List.of(new Prompt.Part.Picture(img))));
        }
    }
}
