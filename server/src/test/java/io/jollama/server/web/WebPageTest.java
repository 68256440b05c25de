package io.jollama.server.web;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufWriter;
import io.jollama.server.Json;
import io.jollama.server.MutableClock;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import io.jollama.server.registry.TestRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The web page end to end in headless Chromium against a real server: chat with TinyStories (llama.cpp's reference
 * text, streamed), stop (the server stops generating), a model whose output holds markup (shown as text), models
 * (create, details, copy, delete, unload), a pull from the test registry with its progress bar, the download queue,
 * the library catalog, theme and keyboard. One server and one browser for the class; the tests run in order and
 * build on each other's state. Screenshots of each page at two widths go to {@code target/web-screenshots}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebPageTest {

    @TempDir
    static Path dir;
    static TestRegistry registry;
    static TestServer server;
    static Browser browser;
    static String base;
    static String pulled;
    static String queued;
    static JsonNode reference;

    @BeforeAll
    static void start() throws Exception {
        reference = Json.MAPPER.readTree(TestServer.testdata().resolve("models/stories260K-reference.json").toFile())
                .get("models").get("stories260K-f32.gguf").get(0);
        registry = new TestRegistry();
        byte[] config = "{\"model_format\":\"gguf\",\"model_family\":\"llama\",\"model_families\":[\"llama\"],\"model_type\":\"260K\",\"file_type\":\"F32\"}\n".getBytes();
        // not the F32 file the local models are made of: its blob would be present already, with nothing to download
        registry.publish("library/stories", "260k", config, Files.readAllBytes(TestServer.testdata().resolve("models/stories260K-f16.gguf")));
        registry.publish("library/stories", "later", config, Files.readAllBytes(TestServer.testdata().resolve("models/stories260K-q8_0.gguf")));
        registry.slowMillisPer8k = 25; // a pull of 600 KB takes a moment, so its progress bar is seen moving
        pulled = registry.host() + "/library/stories:260k";
        queued = registry.host() + "/library/stories:later";
        // the download window is closed at the clock's time: queued entries wait until "Process now"
        MutableClock clock = new MutableClock(ZonedDateTime.of(2026, 12, 4, 21, 0, 0, 0, ZoneId.of("Europe/Berlin")));
        server = new TestServer(ServerConfig.local(0, dir.resolve("models")).withEnv(Map.of(
                "JOLLAMA_DB", dir.resolve("queue.db").toString(), "JOLLAMA_QUEUE_WINDOW", "22:00-06:00",
                "JOLLAMA_DISK_THRESHOLD", "100", "JOLLAMA_RATE_LIMIT", "0", "HOME", dir.resolve("home").toString(),
                "JOLLAMA_REGISTRY_RETRY_DELAY_MS", "5", "JOLLAMA_REGISTRY_PART_SIZE", "131072")), clock);
        create("stories", server.upload(TestServer.storiesF32()));
        create("storymarkup", server.upload(markupModel(dir)));
        // a vision model: the random gemma3 text model and projector of the engine's vision fixtures
        String vision = server.post("/api/create", "{\"model\":\"gemmavision\",\"files\":{\"m.gguf\":\""
                + server.upload(TestServer.testdata().resolve("models/arch/gemma3-f32.gguf")) + "\",\"mmproj.gguf\":\""
                + server.upload(WebPageTest.class.getResourceAsStream("/vision/gemma3-f16.mmproj.gguf").readAllBytes())
                + "\"},\"template\":\"<start_of_turn>user\\n{{ .Prompt }}<end_of_turn>\\n<start_of_turn>model\\n\",\"stream\":false}").body();
        assertTrue(vision.contains("success"), vision);
        // thinking between "," and ".": a template whose thinking tags are those makes TinyStories a thinking model
        HttpResponse<String> r = server.post("/api/create", "{\"model\":\"storythink\",\"from\":\"stories\",\"template\":"
                + Json.write("{{ range .Messages }}{{ if eq .Role \"user\" }}{{ .Content }}{{ else }}{{ if .Thinking }},{{ .Thinking }}.{{ end }}"
                + "{{ .Content }}{{ end }}{{ end }}") + ",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        base = "http://127.0.0.1:" + server.server.port() + "/";
        browser = new Browser();
        browser.open(base);
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.close();
        if (server != null) server.close();
        if (registry != null) registry.close();
    }

    static void create(String name, String digest) {
        HttpResponse<String> r = server.post("/api/create", "{\"model\":\"" + name + "\",\"files\":{\"m.gguf\":\"" + digest + "\"},\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
    }

    /**
     * TinyStories with five of its tokens spelled differently: the model generates the same token ids as llama.cpp's
     * reference, so its answer to "Once upon a time" is known, and now holds a script element, an image with an
     * onerror handler, a javascript: link, strong text and inline code.
     */
    static Path markupModel(Path dir) throws IOException {
        Path out = dir.resolve("stories-markup.gguf");
        try (GgufFile f = GgufFile.open(TestServer.storiesF32())) {
            String[] tokens = f.getStrings("tokenizer.ggml.tokens").clone();
            Map<String, String> renamed = Map.of(
                    "▁Lily", "▁<script>window.__xss=1</script>",
                    "▁big", "▁<img▁src=x▁onerror=window.__xss=2>",
                    "▁named", "▁[named](javascript:window.__xss=3)",
                    "▁saw", "▁**saw**",
                    "▁mom", "▁`mom`");
            int done = 0;
            for (int i = 0; i < tokens.length; i++) {
                String to = renamed.get(tokens[i]);
                if (to != null) {
                    tokens[i] = to;
                    done++;
                }
            }
            assertEquals(renamed.size(), done);
            GgufWriter w = new GgufWriter().putAll(f.metadata()).put("tokenizer.ggml.tokens", GgufValue.ofStrings(tokens));
            for (GgufTensorInfo t : f.tensors()) w.addTensor(t.name(), t.type(), t.shape(), f.tensorData(t));
            w.write(out);
        }
        return out;
    }

    /** TinyStories whose metadata claims a vision tower: /api/show reports the vision capability. */
    static String normalized(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    static JsonNode api(String path) {
        HttpResponse<String> r = server.get(path);
        assertEquals(200, r.statusCode(), r.body());
        return TestServer.json(r);
    }

    static boolean installed(String model) {
        for (JsonNode m : api("/api/tags").path("models")) if (m.path("name").asString().equals(model)) return true;
        return false;
    }

    static String runState() {
        JsonNode running = api("/api/ps").path("running");
        return running.isEmpty() ? "none" : running.get(0).path("status").asString();
    }

    void show(String view) {
        browser.open(base + "#" + view);
        browser.waitFor(view + " to show", d -> browser.find("#view-" + view).isDisplayed());
    }

    /** A new conversation with the model and options set in the page. */
    void newChat(String model, String temperature, String numPredict) {
        show("chat");
        browser.find("#chat-new").click();
        browser.waitFor("the model list", d -> !browser.all("#chat-model option[value='" + model + ":latest']").isEmpty());
        new Select(browser.find("#chat-model")).selectByValue(model + ":latest");
        if (browser.find("#chat-settings").getAttribute("open") == null) browser.find("#chat-settings summary").click();
        setValue("#opt-temperature", temperature);
        setValue("#opt-num_predict", numPredict);
    }

    void setValue(String css, String value) {
        WebElement e = browser.find(css);
        e.clear();
        e.sendKeys(value);
    }

    /** The length of the last answer's text, read in the page (the element is redrawn while it streams). */
    long answerLength() {
        return (Long) browser.js("const a = document.querySelectorAll('#chat-log .msg.assistant .content');"
                + "return a.length ? a[a.length - 1].textContent.length : 0");
    }

    WebElement lastAnswer() {
        List<WebElement> answers = browser.all("#chat-log .msg.assistant");
        return answers.getLast();
    }

    void awaitAnswer() {
        browser.waitFor("the answer to end", d -> browser.all("#chat-log .msg.assistant.streaming").isEmpty()
                && !browser.all("#chat-log .msg.assistant").isEmpty() && browser.find("#chat-send").isEnabled());
    }

    void send(String text) {
        WebElement input = browser.find("#chat-input");
        input.sendKeys(text);
        input.sendKeys(Keys.ENTER); // Enter sends
    }

    @Test
    @Order(1)
    void chatStreamsTheReferenceAnswerWithItsSpeed() {
        newChat("stories", "0", "64");
        // every state of the answer while it streams
        browser.js("""
                window.__seen = [];
                const log = document.getElementById('chat-log');
                new MutationObserver(() => {
                  const c = log.querySelector('.msg.assistant.streaming .content');
                  if (c) window.__seen.push(c.textContent);
                }).observe(log, {childList: true, subtree: true, characterData: true});""");
        send("Once upon a time");
        browser.waitFor("the answer to end", d -> browser.all("#chat-log .msg.assistant .stats").size() == 1);
        WebElement answer = lastAnswer();
        String expected = reference.get("generated_text").asString();
        assertEquals(normalized(expected), normalized(answer.findElement(By.cssSelector(".content")).getText()));
        assertEquals("Once upon a time", browser.find("#chat-log .msg.user .content").getText());

        String finalText = (String) browser.js("return document.querySelector('#chat-log .msg.assistant .content').textContent");
        @SuppressWarnings("unchecked")
        List<String> seen = (List<String>) browser.js("return window.__seen");
        List<String> partial = seen.stream().distinct().filter(s -> !s.isEmpty() && s.length() < finalText.length()).toList();
        assertTrue(partial.size() >= 2, "the answer grew while streaming: " + partial);
        for (String p : partial) assertTrue(finalText.startsWith(p), "every state is a prefix of the answer: " + p);

        // tokens/s from eval_count and eval_duration of the last chunk, time to first token measured by the page
        String stats = answer.findElement(By.cssSelector(".stats")).getText();
        assertTrue(stats.matches("64 tokens · [0-9.]+ tokens/s · first token \\d+ ms · prompt 5 tokens · length"), stats);

        // the conversation is kept in the browser: after a reload it is listed and shown again
        browser.open(base + "#chat");
        browser.waitFor("the kept conversation", d -> browser.all("#chat-log .msg.assistant .content").size() == 1);
        assertEquals("Once upon a time", browser.find("#conversations li.current .open").getText());
        assertEquals(normalized(expected), normalized(browser.find("#chat-log .msg.assistant .content").getText()));
        browser.screenshots("chat");
    }

    @Test
    @Order(2)
    void stopEndsTheAnswerAndTheServerStopsGenerating() {
        newChat("stories", "0.8", "100000");
        send("Once upon a time");
        browser.waitFor("tokens to arrive", d -> answerLength() > 20);
        assertEquals("running", runState());
        assertTrue(browser.find("#chat-stop").isDisplayed());
        browser.find("#chat-stop").click();
        long clicked = System.nanoTime();
        browser.waitFor("the page to show the stop", d -> !browser.all("#chat-log .msg.assistant .note.stopped").isEmpty());
        // server side: the request was cancelled, the model is idle again
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!runState().equals("idle") && System.nanoTime() < end) Thread.onSpinWait();
        long ms = (System.nanoTime() - clicked) / 1_000_000;
        assertEquals("idle", runState(), "generation still running " + ms + " ms after Stop");
        assertTrue(ms < 2000, "the server stopped " + ms + " ms after Stop");
        assertTrue(browser.all("#chat-log .msg.assistant.streaming").isEmpty());
        assertFalse(browser.find("#chat-stop").isDisplayed());
        long length = answerLength();
        assertTrue(length > 20);
        // and the model answers the next question at once
        setValue("#opt-num_predict", "8");
        send("Once upon a time");
        awaitAnswer();
        assertNotNull(browser.find("#chat-log .msg.assistant:last-child .stats"));
    }

    @Test
    @Order(3)
    void markupInAModelsOutputIsShownAsText() {
        newChat("storymarkup", "0", "64");
        send("Once upon a time");
        browser.waitFor("the answer to end", d -> !browser.all("#chat-log .msg.assistant .stats").isEmpty());
        WebElement content = lastAnswer().findElement(By.cssSelector(".content"));
        String expected = reference.get("generated_text").asString()
                .replace("named Lily", "named <script>window.__xss=1</script>")
                .replace("a big,", "a <img src=x onerror=window.__xss=2>,");
        assertNotEquals(expected, reference.get("generated_text").asString());
        assertEquals(normalized(expected), normalized(content.getText()), "the tags are text");
        assertTrue(content.findElements(By.cssSelector("script, img, a, iframe")).isEmpty(), "no element from the output");
        assertEquals("saw", content.findElement(By.cssSelector("strong")).getText(), "Markdown still renders");
        assertEquals("mom", content.findElement(By.cssSelector("code")).getText());
        assertNull(browser.js("return window.__xss"));

        // what the user typed is shown as typed, and sent as it is
        String typed = "<script>window.__xss=4</script><img src=x onerror=\"window.__xss=5\"> **not bold**";
        setValue("#opt-num_predict", "4");
        send(typed);
        awaitAnswer();
        List<WebElement> users = browser.all("#chat-log .msg.user .content");
        assertEquals(typed, users.getLast().getText());
        assertTrue(users.getLast().findElements(By.cssSelector("*")).isEmpty());
        // a reload renders the kept conversation through the same code: still text
        browser.open(base + "#chat");
        browser.waitFor("the kept conversation", d -> browser.all("#chat-log .msg.assistant").size() == 2);
        assertEquals(normalized(expected), normalized(browser.find("#chat-log .msg.assistant .content").getText()));
        assertTrue(browser.all("#chat-log script, #chat-log img, #chat-log a").isEmpty());
        assertNull(browser.js("return window.__xss"));
        browser.screenshots("chat-markup");
    }

    @Test
    @Order(4)
    void thinkingIsShownFolded() {
        newChat("storythink", "0", "64");
        browser.waitFor("the think switch", d -> browser.find("#chat-think").isDisplayed());
        assertTrue(browser.find("#chat-think").isDisplayed() && browser.find("#chat-think").isSelected(), "thinking on, as Ollama's default");
        assertTrue(browser.find("#chat-caps").getText().contains("thinking"));
        send("Once upon a time");
        browser.waitFor("the answer to end", d -> !browser.all("#chat-log .msg.assistant .stats").isEmpty());
        String text = reference.get("generated_text").asString();
        WebElement thinking = browser.find("#chat-log .msg.assistant details.thinking");
        assertNull(thinking.getAttribute("open"), "folded");
        assertEquals("Thinking", thinking.findElement(By.cssSelector("summary")).getText());
        assertEquals(text.substring(2, text.indexOf('.')), thinking.findElement(By.cssSelector(".thinking-text")).getAttribute("textContent"));
        assertEquals(normalized(text.substring(text.indexOf('.') + 1)), normalized(browser.find("#chat-log .msg.assistant .content").getText()));
        thinking.findElement(By.cssSelector("summary")).click();
        assertEquals(text.substring(2, text.indexOf('.')), thinking.findElement(By.cssSelector(".thinking-text")).getText());
        browser.screenshots("chat-thinking");

        // without thinking the same output is all answer
        browser.find("#chat-think").click();
        browser.find("#chat-new").click();
        send("Once upon a time");
        browser.waitFor("the answer to end", d -> !browser.all("#chat-log .msg.assistant .stats").isEmpty());
        assertTrue(browser.all("#chat-log .msg.assistant details.thinking").isEmpty());
        assertEquals(normalized(text), normalized(browser.find("#chat-log .msg.assistant .content").getText()));
        browser.find("#chat-think").click();
    }

    /** Images go as base64 with the message when the model has vision, and the answer is the one the API gives for them. */
    @Test
    @Order(5)
    void imagesCanBeAttachedForAVisionModel() throws IOException {
        newChat("stories", "0", "8");
        assertFalse(browser.find("#chat-attach").isDisplayed(), "no vision, no attach button");
        newChat("gemmavision", "0", "8");
        browser.waitFor("the attach button", d -> browser.find("#chat-attach").isDisplayed());
        Path png = dir.resolve("red.png");
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < 8; x++) for (int y = 0; y < 8; y++) image.setRGB(x, y, 0xCC2222);
        javax.imageio.ImageIO.write(image, "png", png.toFile());
        browser.find("#chat-images").sendKeys(png.toString());
        browser.waitFor("the thumbnail", d -> !browser.all("#chat-attachments img").isEmpty());
        String b64 = java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(png));
        assertEquals("data:image/png;base64," + b64, browser.find("#chat-attachments img").getAttribute("src"));
        send("What is in the picture?");
        browser.waitFor("the answer to end", d -> !browser.all("#chat-log .msg.assistant .stats").isEmpty());
        assertTrue(browser.all("#chat-log .msg.assistant .note.error").isEmpty());
        // the same message and image through the API give the same answer
        HttpResponse<String> api = server.post("/api/chat", "{\"model\":\"gemmavision\",\"stream\":false,\"options\":{\"temperature\":0,\"num_predict\":8},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"What is in the picture?\",\"images\":[\"" + b64 + "\"]}]}");
        assertEquals(200, api.statusCode(), api.body());
        assertEquals(normalized(TestServer.json(api).get("message").get("content").asString()),
                normalized(browser.find("#chat-log .msg.assistant .content").getText()));
        assertEquals("data:image/png;base64," + b64, browser.find("#chat-log .msg.user .images img").getAttribute("src"));
        assertTrue(browser.all("#chat-attachments img").isEmpty(), "sent, so no longer attached");
    }

    @Test
    @Order(6)
    void theMarkdownRendererMakesOnlyKnownElements() {
        String md = """
                # Title
                Some *em*, **strong**, ~~gone~~, `code`, snake_case_name, [link](https://example.com) and [bad](javascript:alert(1)).
                - one
                - two
                  - nested
                1. first
                2. second

                > quoted

                ```js
                const x = "s"; // note
                ```

                | a | b |
                |---|--:|
                | 1 | 2 |

                <script>alert(1)</script><img src=x onerror=alert(2)> <a href="javascript:alert(3)">x</a>
                """;
        String html = (String) browser.jsAsync("""
                const done = arguments[arguments.length - 1];
                import('/web/markdown.js').then(m => {
                  const div = document.createElement('div');
                  m.renderMarkdown(arguments[0], div);
                  done(div.innerHTML);
                }, e => done('import failed: ' + e));""", md);
        for (String part : List.of("<h1>Title</h1>", "<em>em</em>", "<strong>strong</strong>", "<del>gone</del>",
                "<code>code</code>", "snake_case_name",
                "<a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">link</a>",
                "<span>bad</span>", "<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>",
                "<ol><li>first</li><li>second</li></ol>", "<blockquote><p>quoted</p></blockquote>",
                "<span class=\"tok-kw\">const</span>", "<span class=\"tok-str\">\"s\"</span>", "<span class=\"tok-com\">// note</span>",
                "<th>a</th><th style=\"text-align: right;\">b</th>", "<td style=\"text-align: right;\">2</td>",
                "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &lt;a href=\"javascript:alert(3)\"&gt;x&lt;/a&gt;")) {
            assertTrue(html.contains(part), part + " in " + html);
        }
        assertFalse(html.contains("<script") || html.contains("<img") || html.contains("javascript:alert(1)\""), html);
    }

    @Test
    @Order(7)
    void modelsAreListedCreatedShownCopiedDeletedAndUnloaded() {
        show("models");
        browser.waitFor("the models", d -> !browser.all("#models-list tr[data-model='stories:latest']").isEmpty());
        WebElement stories = browser.find("#models-list tr[data-model='stories:latest']");
        String row = stories.getText();
        assertTrue(row.contains("1.2 MB") && row.contains("llama") && row.contains("F32") && row.contains("completion"), row);
        assertTrue(stories.findElement(By.cssSelector("td.loaded")).getText().contains("loaded"), "loaded by the chats");

        setValue("#create-name", "storyteller");
        setValue("#create-modelfile", "FROM stories\nPARAMETER temperature 0.5\nSYSTEM You tell short stories.\n");
        browser.find("#create-submit").click();
        browser.waitFor("the created model", d -> browser.find("#create-status").getText().equals("Created storyteller")
                && !browser.all("#models-list tr[data-model='storyteller:latest']").isEmpty());
        JsonNode show = TestServer.json(server.post("/api/show", "{\"model\":\"storyteller\"}"));
        assertEquals("You tell short stories.", show.path("system").asString());
        assertTrue(show.path("parameters").asString().matches("(?s).*temperature\\s+0\\.5.*"), show.path("parameters").asString());

        browser.find("#models-list tr[data-model='storyteller:latest'] .act-show").click();
        browser.waitFor("the details", d -> browser.find("#dialog").isDisplayed());
        assertEquals("storyteller:latest", browser.find("#dialog-title").getText());
        assertEquals("You tell short stories.", browser.find("#dialog-body .show-system pre").getText());
        assertEquals("{{ .Prompt }}", browser.find("#dialog-body .show-template pre").getText());
        browser.screenshots("models-details");
        browser.find("#dialog-ok").click();
        browser.waitFor("the dialog to close", d -> !browser.find("#dialog").isDisplayed());

        browser.find("#models-list tr[data-model='storyteller:latest'] .act-copy").click();
        browser.waitFor("the copy dialog", d -> browser.find("#dialog-input").isDisplayed());
        assertEquals("storyteller-copy", browser.find("#dialog-input").getAttribute("value"));
        setValue("#dialog-input", "storyteller-2");
        browser.find("#dialog-input").sendKeys(Keys.ENTER);
        browser.waitFor("the copy", d -> !browser.all("#models-list tr[data-model='storyteller-2:latest']").isEmpty());
        assertTrue(installed("storyteller-2:latest"));

        // delete asks first: Cancel keeps the model, Delete removes it
        browser.find("#models-list tr[data-model='storyteller-2:latest'] .act-delete").click();
        browser.waitFor("the confirmation", d -> browser.find("#dialog").isDisplayed());
        assertTrue(browser.find("#dialog-title").getText().startsWith("Delete storyteller-2:latest"));
        browser.find("#dialog-cancel").click();
        browser.waitFor("the dialog to close", d -> !browser.find("#dialog").isDisplayed());
        assertTrue(installed("storyteller-2:latest"));
        browser.find("#models-list tr[data-model='storyteller-2:latest'] .act-delete").click();
        browser.waitFor("the confirmation", d -> browser.find("#dialog").isDisplayed());
        browser.find("#dialog-ok").click();
        browser.waitFor("the row to go", d -> browser.all("#models-list tr[data-model='storyteller-2:latest']").isEmpty());
        assertFalse(installed("storyteller-2:latest"));
        assertEquals(404, server.post("/api/show", "{\"model\":\"storyteller-2\"}").statusCode());

        // unload: keep_alive 0
        assertTrue(api("/api/ps").path("models").toString().contains("stories:latest") || api("/api/ps").path("models").toString().contains("storymarkup"));
        for (String m : List.of("stories:latest", "storymarkup:latest", "gemmavision:latest")) {
            String unload = "#models-list tr[data-model='" + m + "'] .act-unload";
            if (browser.all(unload).isEmpty()) continue;
            browser.find(unload).click();
            browser.waitFor(m + " to unload", d -> browser.all(unload).isEmpty());
            assertFalse(api("/api/ps").path("models").toString().contains("\"" + m + "\""));
        }
        assertEquals(0, api("/api/ps").path("models").size());
        browser.screenshots("models");
    }

    @Test
    @Order(8)
    void aPullShowsItsProgressBarMovingThenTheModelIsInstalled() {
        show("downloads");
        browser.js("""
                window.__progress = [];
                new MutationObserver(() => {
                  for (const p of document.querySelectorAll('#pulls progress'))
                    window.__progress.push([p.closest('.layer').dataset.digest, p.value, p.max]);
                }).observe(document.getElementById('pulls'), {childList: true, subtree: true, attributes: true});""");
        setValue("#pull-name", pulled);
        browser.find("#pull-insecure").click();
        browser.find("#pull-submit").click();
        WebElement view = browser.waitFor("the pull to finish", d -> browser.all("#pulls .pull.done").stream()
                .filter(e -> pulled.equals(e.getAttribute("data-model"))).findFirst().orElse(null));
        assertEquals("success: " + pulled + " is installed", view.findElement(By.cssSelector(".pull-status")).getText());
        assertTrue(installed(pulled));
        @SuppressWarnings("unchecked")
        List<List<Object>> progress = (List<List<Object>>) browser.js("return window.__progress");
        long weights = 601248;
        List<Double> values = new ArrayList<>();
        for (List<Object> p : progress) if (((Number) p.get(2)).longValue() == weights) values.add(((Number) p.get(1)).doubleValue());
        assertTrue(values.stream().anyMatch(v -> v > 0 && v < weights), "the bar stood between empty and full: " + values);
        assertEquals(weights, values.getLast(), 0.0, "full at the end");
        for (int i = 1; i < values.size(); i++) assertTrue(values.get(i) >= values.get(i - 1), "never backwards: " + values);
        browser.screenshots("downloads-pull");
    }

    @Test
    @Order(9)
    void theLibraryCatalogSearchesFiltersAndQueues() {
        // a library name installed locally is marked so
        assertEquals(200, server.post("/api/copy", "{\"source\":\"stories\",\"destination\":\"llama3.2:1b\"}").statusCode());
        show("library");
        setValue("#lib-q", "llama3.2");
        browser.waitFor("the search", d -> !browser.all("#lib-results[data-q='llama3.2'] .lib-model[data-model='llama3.2']").isEmpty());
        WebElement card = browser.find("#lib-results .lib-model[data-model='llama3.2']");
        assertFalse(card.findElements(By.cssSelector("h3 .badge.installed")).isEmpty(), "marked installed");
        card.findElement(By.cssSelector("summary")).click();
        WebElement one = card.findElement(By.cssSelector(".lib-tag[data-tag='llama3.2:1b']"));
        assertFalse(one.findElements(By.cssSelector(".badge.installed")).isEmpty());
        WebElement three = card.findElement(By.cssSelector(".lib-tag[data-tag='llama3.2:1b-instruct-q4_K_M']"));
        assertTrue(three.findElement(By.cssSelector(".act-pull")).getText().matches("Pull [0-9.]+[MG]B"), "size shown before");

        // a filter narrows the results
        String all = browser.find("#lib-total").getText();
        new Select(browser.find("#lib-capability")).selectByValue("vision");
        setValue("#lib-q", "");
        browser.find("#lib-q").sendKeys(Keys.ENTER); // Enter submits the search form
        browser.waitFor("the filter", d -> !browser.all("#lib-results[data-q=''][data-capability='vision']").isEmpty());
        assertNotEquals(all, browser.find("#lib-total").getText());
        for (WebElement m : browser.all("#lib-results .lib-model")) assertTrue(m.getText().contains("vision"), m.getText());
        assertFalse(browser.all("#lib-results .lib-model").isEmpty());
        new Select(browser.find("#lib-capability")).selectByValue("");
        setValue("#lib-q", "llama3.2");
        browser.find("#lib-q").sendKeys(Keys.ENTER);
        browser.waitFor("the search", d -> !browser.all("#lib-results[data-q='llama3.2'][data-capability=''] .lib-model[data-model='llama3.2']").isEmpty());
        browser.screenshots("library");

        // queue a tag: the window is closed, so it waits, marked queued in the library
        card = browser.find("#lib-results .lib-model[data-model='llama3.2']");
        card.findElement(By.cssSelector("summary")).click();
        card.findElement(By.cssSelector(".lib-tag[data-tag='llama3.2:1b-instruct-q4_K_M'] .act-queue")).click();
        browser.waitFor("the queued mark", d -> !browser.all(".lib-model[data-model='llama3.2'] .lib-tag[data-tag='llama3.2:1b-instruct-q4_K_M'] .badge.queued").isEmpty());
        assertTrue(api("/api/queue").path("queue").toString().contains("\"llama3.2:1b-instruct-q4_K_M\""));

        // the queue in Downloads: remove it again (it would go to ollama.com)
        show("downloads");
        WebElement entry = browser.waitFor("the queue", d -> browser.all("#queue-list li[data-model='llama3.2:1b-instruct-q4_K_M']").stream().findFirst().orElse(null));
        assertEquals("pending", entry.getAttribute("data-status"));
        assertTrue(browser.find("#queue-summary").getText().contains("window 22:00-06:00 (closed)"), browser.find("#queue-summary").getText());
        entry.findElement(By.cssSelector(".act-remove")).click();
        browser.waitFor("the entry to go", d -> browser.all("#queue-list li[data-model='llama3.2:1b-instruct-q4_K_M']").isEmpty());
        assertEquals(0, api("/api/queue").path("counts").path("pending").asInt());

        // queue a pull from the test registry, then process the queue now
        setValue("#pull-name", queued);
        if (!browser.find("#pull-insecure").isSelected()) browser.find("#pull-insecure").click();
        browser.find("#pull-queue").click();
        browser.find("#pull-submit").click();
        browser.waitFor("the queued entry", d -> !browser.all("#queue-list li[data-model='" + queued + "'][data-status='pending']").isEmpty());
        assertEquals("Model " + queued + " added to download queue",
                browser.find("#pulls .pull[data-model='" + queued + "'] .pull-status").getText());
        assertFalse(installed(queued));
        browser.screenshots("downloads-queue");
        browser.find("#queue-run").click();
        browser.waitFor("the queued download", Duration.ofSeconds(30), d ->
                !browser.all("#queue-recent li[data-model='" + queued + "'] .badge.completed").isEmpty());
        assertTrue(installed(queued));
        String health = browser.find("#health").getText();
        assertTrue(health.matches("(?s)Overall: (healthy|degraded).*Database\\s+ok /\\S+queue\\.db.*"), health);
        browser.screenshots("downloads");
    }

    @Test
    @Order(10)
    void themesAndKeyboard() {
        show("chat");
        String light = (String) browser.js("document.documentElement.dataset.theme = 'light'; return getComputedStyle(document.body).backgroundColor");
        browser.js("delete document.documentElement.dataset.theme");
        // the toggle: auto → light → dark → auto, kept across a reload
        WebElement toggle = browser.find("#theme-toggle");
        toggle.click();
        assertEquals("light", browser.js("return document.documentElement.dataset.theme"));
        toggle.click();
        assertEquals("dark", browser.js("return document.documentElement.dataset.theme"));
        browser.open(base + "#library");
        assertEquals("dark", browser.js("return document.documentElement.dataset.theme"));
        assertNotEquals(light, browser.js("return getComputedStyle(document.body).backgroundColor"));
        browser.waitFor("the library", d -> !browser.all("#lib-results .lib-model").isEmpty());
        browser.screenshots("library-dark");
        show("chat");
        browser.screenshots("chat-dark");
        browser.find("#theme-toggle").click();
        assertNull(browser.js("return document.documentElement.dataset.theme || null"));

        // keyboard only: Tab from the top reaches the tabs, Enter opens one
        browser.js("document.querySelector('.skip').focus()"); // the top of the page
        String reached = "";
        for (int i = 0; i < 8 && !reached.equals("Models"); i++) {
            browser.driver.switchTo().activeElement().sendKeys(Keys.TAB);
            reached = browser.driver.switchTo().activeElement().getText();
        }
        assertEquals("Models", reached);
        browser.driver.switchTo().activeElement().sendKeys(Keys.ENTER);
        browser.waitFor("the models page", d -> browser.find("#view-models").isDisplayed());
        assertFalse(browser.find("#view-chat").isDisplayed());
    }

    /**
     * With API keys turned on while the page is open, its next call gets 401 and it asks for a key; with the key
     * given, every call (lists and the streamed chat) carries it.
     */
    @Test
    @Order(11)
    void aServerWithKeysGetsTheKeyFromThePage() throws Exception {
        String key = io.jollama.server.auth.KeyFile.of(server.server.context().config())
                .add("browser", java.util.EnumSet.of(io.jollama.server.auth.Scope.INFERENCE, io.jollama.server.auth.Scope.READ), java.time.Instant.now());
        assertEquals(401, server.get("/api/tags").statusCode(), "keys are on");
        browser.open(base + "#models");
        browser.driver.navigate().refresh(); // the same URL: load the page again
        browser.waitFor("the key dialog", d -> browser.find("#dialog").isDisplayed()
                && browser.find("#dialog-title").getText().equals("API key"));
        browser.screenshots("api-key");
        setValue("#dialog-input", key);
        browser.find("#dialog-ok").click();
        browser.waitFor("the models, listed with the key", d -> !browser.all("#models-list tr[data-model='stories:latest']").isEmpty());
        assertEquals(key, browser.js("return localStorage.getItem('jollama.apiKey')"));
        newChat("stories", "0", "8");
        send("Once upon a time");
        awaitAnswer();
        assertFalse(lastAnswer().getText().isBlank(), "the streamed chat carried the key");
    }
}
