package io.jollama.server.api;

import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Images through real HTTP on models created from a text GGUF and a projector GGUF (the random-weight fixtures of
 * the engine's vision test, whose outputs llama.cpp's llama-mtmd-cli gave): /api/generate, /api/chat and
 * /v1/chat/completions give llama.cpp's greedy text for the same image and prompt; /api/show reports vision and
 * the projector; bad images, images on a text model and too many images are refused with 400s.
 */
class VisionApiTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static JsonNode reference;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer(ServerConfig.local(0, dir.resolve("models")));
        reference = Json.MAPPER.readTree(resource("vision-reference.json"));
        for (JsonNode c : reference.get("cases")) {
            String text = upload(TestServer.testdata().resolve("models/arch/" + c.get("text_model").asString()));
            String projector = server.upload(resource(c.get("projector").asString()));
            HttpResponse<String> r = server.post("/api/create", "{\"model\":\"" + name(c) + "\",\"files\":{\"model.gguf\":\"" + text
                    + "\",\"mmproj.gguf\":\"" + projector + "\"},\"template\":" + Json.write(c.get("ollama_template").asString()) + ",\"stream\":false}");
            assertEquals(200, r.statusCode(), r.body());
        }
        // a projector layer Jollama cannot read: a clip GGUF without its hyper-parameters
        HttpResponse<String> broken = server.post("/api/create", "{\"model\":\"brokenvision\",\"files\":{\"model.gguf\":\""
                + upload(TestServer.testdata().resolve("models/arch/gemma3-f32.gguf")) + "\",\"mmproj.gguf\":\""
                + server.upload(TestServer.tinyGguf("clip")) + "\"},\"stream\":false}");
        assertEquals(200, broken.statusCode(), broken.body());
        HttpResponse<String> r = server.post("/api/create", "{\"model\":\"textonly\",\"files\":{\"model.gguf\":\""
                + upload(TestServer.testdata().resolve("models/arch/gemma3-f32.gguf")) + "\"},\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
    }

    static final java.util.Map<Path, String> UPLOADED = new java.util.HashMap<>();

    /**
     * Each file uploaded once, as Ollama's clients do (they ask with HEAD first): the server answers the POST of a
     * blob it already has at once, without reading the body, and a client still sending it may see the connection close.
     */
    static String upload(Path file) throws IOException {
        String d = UPLOADED.get(file);
        if (d == null) UPLOADED.put(file, d = server.upload(file));
        return d;
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = VisionApiTest.class.getResourceAsStream("/vision/" + name)) {
            return in.readAllBytes();
        }
    }

    /** gemma3-vision, llava-mlp-vision, llava-next-vision. */
    static String name(JsonNode c) {
        return c.get("projector").asString().replace("-f16.mmproj.gguf", "") + "-vision";
    }

    static String b64(String image) throws IOException {
        return Base64.getEncoder().encodeToString(resource(image));
    }

    /** Greedy as llama-mtmd-cli decodes: temperature 0, no repetition penalty. */
    static String options(int n) {
        return "\"options\":{\"temperature\":0,\"repeat_penalty\":1.0,\"num_predict\":" + n + "}";
    }

    @Test
    void generateAndChatGiveLlamaCppsTextForTheImage() throws IOException {
        for (JsonNode c : reference.get("cases")) {
            for (JsonNode run : c.get("runs")) {
                if (run.has("lossy")) continue;
                String what = name(c) + " " + run.get("image").asString() + " " + run.get("prompt").asString();
                String image = b64(run.get("image").asString());
                HttpResponse<String> g = server.post("/api/generate", "{\"model\":\"" + name(c) + "\",\"prompt\":" + Json.write(run.get("prompt").asString())
                        + ",\"images\":[\"" + image + "\"],\"stream\":false," + options(reference.get("n_predict").asInt()) + "}");
                assertEquals(200, g.statusCode(), g.body());
                JsonNode gj = TestServer.json(g);
                assertEquals(run.get("text").asString(), gj.get("response").asString().replaceAll("\n+$", ""), what);
                assertTrue(gj.get("prompt_eval_count").asInt() > run.get("embedding_shape").get(1).asInt(), "the image's positions are counted");

                HttpResponse<String> ch = server.post("/api/chat", "{\"model\":\"" + name(c) + "\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + Json.write(run.get("prompt").asString()) + ",\"images\":[\"" + image + "\"]}],\"stream\":false,"
                        + options(reference.get("n_predict").asInt()) + "}");
                assertEquals(200, ch.statusCode(), ch.body());
                assertEquals(run.get("text").asString(), TestServer.json(ch).get("message").get("content").asString().replaceAll("\n+$", ""), what);
            }
        }
    }

    @Test
    void theSameImageAsWebPOrInALaterTurnGivesTheSameAnswer() throws IOException {
        JsonNode run = reference.get("cases").get(0).get("runs").get(0);
        String png = generate("gemma3-vision", run.get("prompt").asString(), b64("scene-50x37.png"));
        // lossless WebP: the same pixels
        assertEquals(png, generate("gemma3-vision", run.get("prompt").asString(), b64("scene-50x37.webp")));
        assertEquals(run.get("text").asString(), png.replaceAll("\n+$", ""));
        // streamed, a chat whose earlier turn holds another image: the answer to the last one is computed after it
        HttpResponse<String> ch = server.post("/api/chat", "{\"model\":\"gemma3-vision\",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"What color is it?\",\"images\":[\"" + b64("stripes-23x41.png") + "\"]},"
                + "{\"role\":\"assistant\",\"content\":\"Blue.\"},"
                + "{\"role\":\"user\",\"content\":\"Describe this.\",\"images\":[\"" + b64("stripes-23x41.jpg") + "\"]}],"
                + options(8) + "}");
        assertEquals(200, ch.statusCode(), ch.body());
        String[] lines = ch.body().strip().split("\n");
        JsonNode last = Json.MAPPER.readTree(lines[lines.length - 1]);
        assertTrue(last.get("done").asBoolean());
        assertEquals(8, last.get("eval_count").asInt());
    }

    @Test
    void aRawPromptPlacesImagesAtItsTags() throws IOException {
        JsonNode run = reference.get("cases").get(0).get("runs").get(0);
        String raw = "<start_of_turn>user\n[img-0]" + run.get("prompt").asString() + "<end_of_turn>\n<start_of_turn>model\n";
        HttpResponse<String> g = server.post("/api/generate", "{\"model\":\"gemma3-vision\",\"raw\":true,\"prompt\":" + Json.write(raw)
                + ",\"images\":[\"" + b64("scene-50x37.png") + "\"],\"stream\":false," + options(reference.get("n_predict").asInt()) + "}");
        assertEquals(200, g.statusCode(), g.body());
        assertEquals(run.get("text").asString(), TestServer.json(g).get("response").asString().replaceAll("\n+$", ""));
        assertFalse(TestServer.json(g).has("context"), "raw mode returns no context");
    }

    static String generate(String model, String prompt, String image) {
        HttpResponse<String> g = server.post("/api/generate", "{\"model\":\"" + model + "\",\"prompt\":" + Json.write(prompt)
                + ",\"images\":[\"" + image + "\"],\"stream\":false," + options(reference.get("n_predict").asInt()) + "}");
        assertEquals(200, g.statusCode(), g.body());
        return TestServer.json(g).get("response").asString();
    }

    @Test
    void openAiImageUrlPartsAreTheNativeChatsImages() throws IOException {
        String image = b64("scene-50x37.png");
        HttpResponse<String> v1 = server.post("/v1/chat/completions", "{\"model\":\"llava-mlp-vision\",\"temperature\":0,\"max_tokens\":12,"
                + "\"frequency_penalty\":0,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
                + image + "\"}},{\"type\":\"text\",\"text\":\"Describe this.\"}]}]}");
        assertEquals(200, v1.statusCode(), v1.body());
        String content = TestServer.json(v1).get("choices").get(0).get("message").get("content").asString();
        // OpenAI's parts are one native message each: the same two messages through /api/chat
        HttpResponse<String> ch = server.post("/api/chat", "{\"model\":\"llava-mlp-vision\",\"stream\":false,\"messages\":["
                + "{\"role\":\"user\",\"content\":\"\",\"images\":[\"" + image + "\"]},{\"role\":\"user\",\"content\":\"Describe this.\"}],"
                + options(12) + "}");
        assertEquals(200, ch.statusCode(), ch.body());
        assertEquals(TestServer.json(ch).get("message").get("content").asString(), content);
        assertFalse(content.isEmpty());
    }

    /** The real ollama-js client: images as bytes (generate) and as a file path it reads itself (streamed chat). */
    @Test
    void ollamaJsSendsImages() throws Exception {
        JsonNode run = reference.get("cases").get(0).get("runs").get(0);
        Path png = dir.resolve("scene.png");
        Files.write(png, resource("scene-50x37.png"));
        String script = """
                const { Ollama } = require('ollama');
                const fs = require('fs');
                (async () => {
                  const [host, model, prompt, file] = process.argv.slice(2);
                  const client = new Ollama({ host });
                  const options = { temperature: 0, repeat_penalty: 1, num_predict: 24 };
                  const out = {};
                  out.generate = (await client.generate({ model, prompt, images: [new Uint8Array(fs.readFileSync(file))], options })).response;
                  out.chat = '';
                  for await (const part of await client.chat({ model, messages: [{ role: 'user', content: prompt, images: [file] }], options, stream: true })) {
                    out.chat += part.message.content;
                  }
                  try {
                    await client.generate({ model, prompt, images: [Buffer.from('not a picture').toString('base64')] });
                  } catch (e) {
                    out.error = { status: e.status_code, message: e.message };
                  }
                  console.log(JSON.stringify(out));
                })().catch(e => { console.error(e); process.exit(1); });
                """;
        JsonNode out = Json.MAPPER.readTree(io.jollama.server.OllamaJs.run(dir, script, "http://127.0.0.1:" + server.server.port(),
                "gemma3-vision", run.get("prompt").asString(), png.toString()));
        assertEquals(run.get("text").asString(), out.path("generate").asString().replaceAll("\n+$", ""), out.toString());
        assertEquals(run.get("text").asString(), out.path("chat").asString().replaceAll("\n+$", ""), out.toString());
        assertEquals(400, out.path("error").path("status").asInt(), out.toString());
        assertEquals("image 0: unknown image format (JPEG, PNG and WebP images are supported)", out.path("error").path("message").asString());
    }

    @Test
    void showReportsVisionAndTheProjector() {
        JsonNode show = TestServer.json(server.post("/api/show", "{\"model\":\"gemma3-vision\"}"));
        assertTrue(show.get("capabilities").toString().contains("\"vision\""), show.get("capabilities").toString());
        assertEquals("clip", show.get("projector_info").get("general.architecture").asString());
        assertEquals("gemma3", show.get("projector_info").get("clip.projector_type").asString());
        assertFalse(TestServer.json(server.post("/api/show", "{\"model\":\"textonly\"}")).get("capabilities").toString().contains("vision"));
    }

    @Test
    void aProjectorThatCannotBeReadLeavesTextWorkingAndIsNamedForImages() throws IOException {
        HttpResponse<String> img = server.post("/api/generate", "{\"model\":\"brokenvision\",\"prompt\":\"x\",\"stream\":false,\"images\":[\""
                + b64("scene-50x37.png") + "\"]}");
        assertEquals(500, img.statusCode(), img.body());
        String error = TestServer.json(img).get("error").asString();
        assertTrue(error.startsWith("the model's vision projector could not be loaded: ") && error.endsWith("the projector has no clip.projector_type"), error);
        HttpResponse<String> text = server.post("/api/generate", "{\"model\":\"brokenvision\",\"prompt\":\"Hello\",\"stream\":false," + options(4) + "}");
        assertEquals(200, text.statusCode(), text.body());
        assertEquals(4, TestServer.json(text).get("eval_count").asInt());
    }

    @Test
    void badImagesAreRefusedAndNothingBreaks() throws IOException {
        HttpResponse<String> text = server.post("/api/generate", "{\"model\":\"textonly\",\"prompt\":\"x\",\"images\":[\"" + b64("scene-50x37.png") + "\"]}");
        assertEquals(400, text.statusCode());
        assertEquals("registry.ollama.ai/library/textonly:latest does not support vision", TestServer.json(text).get("error").asString());

        HttpResponse<String> notImage = server.post("/api/generate", "{\"model\":\"gemma3-vision\",\"prompt\":\"x\",\"images\":[\""
                + Base64.getEncoder().encodeToString("hello, not a picture".getBytes()) + "\"]}");
        assertEquals(400, notImage.statusCode());
        assertEquals("image 0: unknown image format (JPEG, PNG and WebP images are supported)", TestServer.json(notImage).get("error").asString());

        byte[] png = resource("scene-50x37.png");
        HttpResponse<String> cut = server.post("/api/chat", "{\"model\":\"gemma3-vision\",\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"images\":[\""
                + b64("stripes-23x41.png") + "\",\"" + Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(png, png.length / 2)) + "\"]}]}");
        assertEquals(400, cut.statusCode());
        assertTrue(TestServer.json(cut).get("error").asString().startsWith("image 1: failed to decode the png image"), cut.body());

        HttpResponse<String> b64 = server.post("/api/generate", "{\"model\":\"gemma3-vision\",\"prompt\":\"x\",\"images\":[\"%%%\"]}");
        assertEquals(400, b64.statusCode());
        assertTrue(TestServer.json(b64).get("error").asString().startsWith("illegal base64 data"), b64.body());

        // a context of 64 holds no image of 16 positions twice over with a prompt: ... the projector's model gets at
        // least 2048 (as Ollama gives multimodal models), so send enough images to pass that
        StringBuilder many = new StringBuilder();
        String img = b64("scene-50x37.png");
        for (int i = 0; i < 140; i++) many.append(i == 0 ? "" : ",").append('"').append(img).append('"');
        HttpResponse<String> tooMany = server.post("/api/generate", "{\"model\":\"gemma3-vision\",\"prompt\":\"x\",\"images\":[" + many + "]}");
        assertEquals(400, tooMany.statusCode(), tooMany.body());
        assertTrue(TestServer.json(tooMany).get("error").asString().startsWith("the input length exceeds the context length"), tooMany.body());

        // the model still answers
        assertFalse(generate("gemma3-vision", "Describe this.", b64("scene-50x37.png")).isEmpty());
    }
}
