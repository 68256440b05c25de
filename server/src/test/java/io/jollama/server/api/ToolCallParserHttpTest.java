package io.jollama.server.api;

import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * /api/chat with {@code tools} through real HTTP on the TinyStories model. A 260K-parameter story model never writes
 * a tool call, so these check what can be checked honestly with it: tools and tool history reach the prompt, models
 * without tool support refuse tools, its stories stay content, and a tag it does write (a word of its own story) is
 * where content ends. Tool calls in the output are tested with fixed output in {@link ToolCallParserChatTest}.
 */
class ToolCallParserHttpTest {

    /** A qwen2.5-style template: tools in the prompt, {@code <tool_call>} blocks, tool results. */
    static String template(String tag) {
        return """
                {{- if .Tools }}<tools>
                {{- range .Tools }}
                {{ . }}
                {{- end }}
                </tools>
                {{ end }}
                {{- range .Messages }}
                {{- if .ToolCalls }}TAG
                {{- range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}{{ end }}</tool_call>
                {{- else if eq .Role "tool" }}<tool_response>{{ .Content }}</tool_response>
                {{- else }}{{ .Content }}
                {{- end }}
                {{- end }}""".replace("TAG", tag);
    }

    static final String TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Weather of a city\","
            + "\"parameters\":{\"type\":\"object\",\"required\":[\"city\"],\"properties\":{\"city\":{\"type\":\"string\",\"description\":\"The city\"}}}}}]";

    @TempDir
    Path dir;
    TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer(ServerConfig.local(0, dir.resolve("models")));
        String d = server.upload(TestServer.storiesF32());
        assertEquals(200, server.post("/api/create", "{\"model\":\"tiny\",\"files\":{\"stories.gguf\":\"" + d + "\"},\"stream\":false}").statusCode());
        create("tinytools", template("<tool_call>"));
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    void create(String name, String template) {
        HttpResponse<String> r = server.post("/api/create", "{\"model\":\"" + name + "\",\"from\":\"tiny\",\"template\":" + Json.write(template) + ",\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
    }

    static String chat(String model, String messages, boolean stream) {
        return "{\"model\":\"" + model + "\",\"messages\":" + messages + ",\"tools\":" + TOOLS
                + ",\"options\":{\"temperature\":0,\"num_predict\":40},\"stream\":" + stream + "}";
    }

    static final String ONCE = "[{\"role\":\"user\",\"content\":\"Once upon a time\"}]";

    String rendered(String model, String messages) {
        // truncate:false because the story model's context is too short for tools and history together
        HttpResponse<String> r = server.post("/api/chat", "{\"model\":\"" + model + "\",\"messages\":" + messages + ",\"tools\":" + TOOLS
                + ",\"truncate\":false,\"_debug_render_only\":true}");
        assertEquals(200, r.statusCode(), r.body());
        return TestServer.json(r).get("_debug_info").get("rendered_template").asString();
    }

    /** What the model writes after exactly this text, greedily (raw generate: no template). */
    String continuation(String prompt) {
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"tiny\",\"raw\":true,\"prompt\":" + Json.write(prompt)
                + ",\"options\":{\"temperature\":0,\"num_predict\":40},\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        return TestServer.json(r).get("response").asString();
    }

    @Test
    void toolsAndToolHistoryRenderIntoThePrompt() {
        String prompt = rendered("tinytools", ONCE);
        assertTrue(prompt.startsWith("<tools>\n{\"type\":\"function\",\"function\":{\"name\":\"get_weather\""), prompt);
        assertTrue(prompt.endsWith("</tools>\nOnce upon a time"), prompt);

        String history = "[{\"role\":\"user\",\"content\":\"Weather?\"},"
                + "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"call_abcd1234\",\"function\":{\"index\":0,\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}}]},"
                + "{\"role\":\"tool\",\"content\":\"sunny\",\"tool_name\":\"get_weather\",\"tool_call_id\":\"call_abcd1234\"}]";
        prompt = rendered("tinytools", history);
        assertTrue(prompt.endsWith("</tools>\nWeather?<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Paris\"}}</tool_call><tool_response>sunny</tool_response>"), prompt);
    }

    @Test
    void toolsNeedATemplateThatUsesThem() {
        create("notools", "{{ range .Messages }}{{ .Content }}{{ end }}");
        HttpResponse<String> r = server.post("/api/chat", chat("notools", ONCE, false));
        assertEquals(400, r.statusCode());
        assertEquals("{\"error\":\"registry.ollama.ai/library/notools:latest does not support tools\"}", r.body());
        // an empty list is no tools
        r = server.post("/api/chat", "{\"model\":\"notools\",\"messages\":" + ONCE + ",\"tools\":[],\"options\":{\"num_predict\":1},\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void storyWithoutTheTagStaysContent() {
        String expected = continuation(rendered("tinytools", ONCE));
        assertFalse(expected.isBlank());
        assertFalse(expected.contains("<tool_call>"));

        HttpResponse<String> r = server.post("/api/chat", chat("tinytools", ONCE, false));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode msg = TestServer.json(r).get("message");
        assertEquals(expected, msg.get("content").asString());
        assertFalse(msg.has("tool_calls"));

        r = server.post("/api/chat", chat("tinytools", ONCE, true));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(expected, streamedContent(r));
    }

    /**
     * A model whose tool-call tag is a word of the story it writes: content ends right before that word, and since
     * no call can be parsed after it and the tag is not a bracket, the rest is dropped (spec §8.1 step 4).
     */
    @Test
    void contentEndsAtATagTheModelWrites() {
        String prompt = rendered("tinytools", ONCE);
        String story = continuation(prompt);
        // a word from the middle of the story, first occurring after some text
        String word = List.of(story.split("[^A-Za-z]+")).stream().filter(w -> w.length() >= 4 && story.indexOf(w) > 10).findFirst().orElseThrow();
        create("wordtag", template(word));
        assertEquals(prompt, rendered("wordtag", ONCE), "the tag is only rendered for tool calls in history");

        String before = story.substring(0, story.indexOf(word));
        HttpResponse<String> r = server.post("/api/chat", chat("wordtag", ONCE, false));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = TestServer.json(r);
        assertEquals(before, j.get("message").get("content").asString(), "tag " + word + " in " + story);
        assertFalse(j.get("message").has("tool_calls"));
        assertEquals("length", j.get("done_reason").asString());

        r = server.post("/api/chat", chat("wordtag", ONCE, true));
        assertEquals(before, streamedContent(r));

        // without tools the same model writes the whole story
        r = server.post("/api/chat", "{\"model\":\"wordtag\",\"messages\":" + ONCE + ",\"options\":{\"temperature\":0,\"num_predict\":40},\"stream\":false}");
        String plain = TestServer.json(r).get("message").get("content").asString();
        assertEquals(continuation(rendered("wordtag", ONCE).replaceFirst("(?s)^<tools>.*</tools>\n", "")), plain);
    }

    static String streamedContent(HttpResponse<String> r) {
        StringBuilder sb = new StringBuilder();
        String[] lines = r.body().split("\n");
        for (String line : lines) {
            JsonNode j = Json.MAPPER.readTree(line);
            assertFalse(j.get("message").has("tool_calls"), line);
            sb.append(j.get("message").get("content").asString());
        }
        assertTrue(Json.MAPPER.readTree(lines[lines.length - 1]).get("done").asBoolean());
        return sb.toString();
    }
}
