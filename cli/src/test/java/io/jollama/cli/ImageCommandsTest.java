package io.jollama.cli;

import io.jollama.engine.TestData;
import io.jollama.server.JollamaServer;
import io.jollama.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Images from the command line against a live server: a vision model created from a Modelfile with two FROM files
 * (the random gemma3 text model and its projector, the engine's vision fixtures), {@code show} listing its
 * projector, and {@code run} finding image paths in the prompt as ollama's run does, giving llama.cpp's text for them.
 */
class ImageCommandsTest {
    @TempDir
    static Path tmp;
    static JollamaServer server;
    static Cli cli;
    static JsonNode run;
    static Path scene;

    @BeforeAll
    static void start() throws IOException {
        server = JollamaServer.start(ServerConfig.local(0, tmp.resolve("models")));
        Files.createDirectories(tmp.resolve("home"));
        cli = new Cli("127.0.0.1:" + server.port(), tmp.resolve("home"));
        Path projector = copy("gemma3-f16.mmproj.gguf", tmp.resolve("mmproj.gguf"));
        scene = copy("scene-50x37.png", tmp.resolve("pictures with spaces").resolve("scene-50x37.png"));
        try (InputStream in = ImageCommandsTest.class.getResourceAsStream("/vision/vision-reference.json")) {
            run = JsonMapper.builder().build().readTree(in).get("cases").get(0).get("runs").get(0);
        }
        assertEquals("scene-50x37.png", run.get("image").asString());
        Path mf = tmp.resolve("Modelfile");
        Files.writeString(mf, "FROM " + TestData.path("models/arch/gemma3-f32.gguf") + "\nFROM ./mmproj.gguf\n"
                + "TEMPLATE \"<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n<start_of_turn>model\n\"\n"
                + "PARAMETER temperature 0\nPARAMETER repeat_penalty 1\nPARAMETER num_predict " + 24 + "\n");
        Cli.Result r = cli.run("create", "seer", "-f", mf.toString());
        assertEquals(0, r.code(), r.toString());
    }

    static Path copy(String resource, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        try (InputStream in = ImageCommandsTest.class.getResourceAsStream("/vision/" + resource)) {
            Files.copy(in, to);
        }
        return to;
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void showListsTheProjector() {
        Cli.Result r = cli.run("show", "seer");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("vision"), r.out());
        assertTrue(r.out().matches("(?s).*Projector\\s+architecture\\s+clip\\s+parameters\\s+\\S+\\s+embedding length\\s+64\\s+dimensions\\s+128.*"), r.out());
    }

    @Test
    void runSendsTheImageNamedInThePrompt() {
        // the path with its space escaped, as a terminal writes a dropped file
        String path = scene.toString().replace(" ", "\\ ");
        Cli.Result r = cli.run("run", "seer", run.get("prompt").asString() + " " + path);
        assertEquals(0, r.code(), r.toString());
        assertEquals("Added image '" + scene + "'\n", r.err());
        assertEquals(run.get("text").asString(), r.out().replaceAll("\n+$", ""));
    }

    @Test
    void aFileThatIsNotAnImageIsRefusedAndAMissingOneStaysText() throws IOException {
        Path fake = Files.writeString(tmp.resolve("notes.png"), "just text");
        Cli.Result bad = cli.run("run", "seer", "look at " + fake);
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("invalid file type: text/plain; charset=utf-8"), bad.err());
        Cli.Result missing = cli.run("run", "seer", "look at /no/such/picture.png");
        assertEquals(0, missing.code(), missing.toString());
        assertFalse(missing.err().contains("Added image"), missing.err());
    }

    @Test
    void benchTimesEncodingAnImage() {
        var b = BenchKernelsCommandTest.run("bench", TestData.path("models/arch/gemma3-f32.gguf").toString(), "--mmproj",
                tmp.resolve("mmproj.gguf").toString(), "--image", scene.toString(), "-r", "2");
        assertEquals(0, b.code(), b.err());
        var m = java.util.regex.Pattern.compile("\\| clip gemma3 64px \\|.*\\| image encode 16 tokens \\(ms\\) \\| ([0-9.]+) ±").matcher(b.out());
        assertTrue(m.find(), b.out());
        assertTrue(Double.parseDouble(m.group(1)) > 0, b.out());
        var wrong = BenchKernelsCommandTest.run("bench", TestData.path("models/arch/llama-spm-q8_0.gguf").toString(), "--mmproj",
                tmp.resolve("mmproj.gguf").toString());
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains("the projector makes rows of 128 values, the text model's embeddings have 256"), wrong.err());
    }

    @Test
    void imagePathsAreFoundBySyntax() {
        assertEquals(java.util.List.of("./a.png", "/x/my\\ pic.JPG"), ImageFiles.names("see ./a.png and /x/my\\ pic.JPG now"));
        assertEquals("/x/my pic (1).webp", ImageFiles.normalize("/x/my\\ pic\\ \\(1\\).webp"));
    }
}
