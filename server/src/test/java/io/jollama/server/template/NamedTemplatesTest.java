package io.jollama.server.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jollama.engine.gguf.GgufFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The named templates (§6.10): stop lists, Jinja detection (§6.9) and rendered prompts. */
class NamedTemplatesTest {
    private static final List<String> NAMES = List.of("alfred", "alpaca", "chatml", "chatqa", "codellama-70b-instruct",
            "command-r", "falcon-instruct", "gemma-instruct", "gemma3-instruct", "granite-instruct", "llama2-chat",
            "llama3-instruct", "magicoder", "mistral-instruct", "openchat", "phi-3", "solar-instruct",
            "starcoder2-instruct", "vicuna", "zephyr");

    @Test
    void allNamedTemplatesLoadAndParse() {
        assertEquals(NAMES, NamedTemplates.all().keySet().stream().sorted().toList());
        for (NamedTemplates.Named n : NamedTemplates.all().values()) {
            Template t = Template.parse(n.template());
            assertTrue(t.usesMessages(), n.name());
            assertFalse(n.stop().isEmpty(), n.name());
        }
    }

    @Test
    void stopLists() {
        assertEquals(List.of("<|im_start|>", "<|im_end|>"), stop("chatml"));
        assertEquals(List.of("<|im_start|>", "<|im_end|>"), stop("mistral-instruct"));
        assertEquals(List.of("<end_of_turn>"), stop("gemma3-instruct")); // temperature is not part of the stop list
        assertEquals(List.of("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"), stop("llama3-instruct"));
        assertEquals(List.of("<|end|>", "<|system|>", "<|user|>", "<|assistant|>"), stop("phi-3"));
        assertEquals(List.of("USER:", "ASSISTANT:"), stop("vicuna"));
        assertEquals(Optional.empty(), NamedTemplates.byName("nope"));
    }

    private static List<String> stop(String name) {
        return NamedTemplates.byName(name).orElseThrow().stop();
    }

    @Test
    void templateTextIsCrlfNormalisedData() {
        String chatml = NamedTemplates.byName("chatml").orElseThrow().template();
        assertEquals("{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n", chatml);
        assertFalse(NamedTemplates.all().values().stream().anyMatch(n -> n.template().contains("\r\n")));
    }

    // ---- Jinja detection ----

    private static final String PHI3_JINJA = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}"
            + "{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}"
            + "{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}";

    @Test
    void matchJinjaByEditDistance() {
        assertEquals("phi-3", NamedTemplates.matchJinja(PHI3_JINJA).orElseThrow().name());
        // small edits still match
        assertEquals("phi-3", NamedTemplates.matchJinja(PHI3_JINJA.replace("message['content']", "message.content")).orElseThrow().name());
        String chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
                + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
        assertEquals("chatml", NamedTemplates.matchJinja(chatml).orElseThrow().name());
        assertEquals(Optional.empty(), NamedTemplates.matchJinja("{% for m in messages %}" + "x".repeat(400) + "{% endfor %}"));
        assertEquals(Optional.empty(), NamedTemplates.matchJinja(null));
    }

    @Test
    void levenshteinCountsCodePoints() {
        assertEquals(3, NamedTemplates.levenshtein("kitten", "sitting", Integer.MAX_VALUE));
        assertEquals(1, NamedTemplates.levenshtein("a😀b", "ab", Integer.MAX_VALUE));
        assertEquals(0, NamedTemplates.levenshtein("", "", Integer.MAX_VALUE));
    }

    private static Path testdata() {
        return io.jollama.server.TestServer.testdata();
    }

    @Test
    void matchJinjaOfRealGgufChatTemplates() throws IOException {
        Path td = testdata();
        assumeTrue(td != null && Files.isDirectory(td.resolve("vocab")), "shared testdata not available");
        assertEquals(Optional.of("phi-3"), detect(td.resolve("vocab/ggml-vocab-phi-3.gguf")));
        assertEquals(Optional.of("llama3-instruct"), detect(td.resolve("vocab/ggml-vocab-llama-bpe.gguf")));
        // Qwen2's long tool-calling template is far from every reference: no template layer
        assertEquals(Optional.empty(), detect(td.resolve("vocab/ggml-vocab-qwen2.gguf")));
    }

    private static Optional<String> detect(Path gguf) throws IOException {
        try (GgufFile g = GgufFile.readHeader(gguf)) {
            String jinja = g.getString("tokenizer.chat_template", null);
            assertTrue(jinja != null && !jinja.isEmpty(), gguf + " has a chat template");
            return NamedTemplates.matchJinja(jinja).map(NamedTemplates.Named::name);
        }
    }

    // ---- rendering every named template over a set of conversations ----

    private static ChatMessage m(String role, String content) {
        return ChatMessage.of(role, content);
    }

    static Map<String, RenderRequest> conversations() {
        ChatMessage u = m("user", "Hello, how are you?");
        ChatMessage a = m("assistant", "I'm doing great. How can I help you today?");
        ChatMessage u2 = m("user", "I'd like to show off how chat templating works!");
        ChatMessage sys = m("system", "You are a helpful assistant.");
        Map<String, RenderRequest> c = new LinkedHashMap<>();
        c.put("user", RenderRequest.of(List.of(u)));
        c.put("user-assistant-user", RenderRequest.of(List.of(u, a, u2)));
        c.put("system-user-assistant-user", RenderRequest.of(List.of(sys, u, a, u2)));
        c.put("system-user", RenderRequest.of(List.of(sys, u)));
        c.put("prefill", RenderRequest.of(List.of(u, m("assistant", "I'm doing"))));
        c.put("merged", RenderRequest.of(List.of(sys, m("system", "Answer briefly."), u, m("user", "Be honest."))));
        ChatMessage call = new ChatMessage("assistant", "", "", 0,
                List.of(new ChatMessage.ToolCall("", 0, "get_weather", new LinkedHashMap<>(Map.of("city", "Tokyo")))), "", "");
        ChatMessage result = new ChatMessage("tool", "sunny, 22C", "", 0, null, "get_weather", "");
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("city", Map.of("type", "string", "description", "City name"));
        props.put("unit", Map.of("type", "string", "enum", List.of("celsius", "fahrenheit")));
        Map<String, Object> tool = Map.of("type", "function", "function", Map.of("name", "get_weather",
                "description", "Get the current weather",
                "parameters", Map.of("type", "object", "required", List.of("city"), "properties", props)));
        c.put("tools", RenderRequest.of(List.of(sys, m("user", "What's the weather in Tokyo?"), call, result))
                .withTools(List.of(tool)));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> everyNamedTemplateOverEveryConversation() {
        return NAMES.stream().flatMap(name -> conversations().entrySet().stream().map(conv ->
                DynamicTest.dynamicTest(name + "/" + conv.getKey(), () -> {
                    Template t = Template.parse(NamedTemplates.byName(name).orElseThrow().template());
                    String expected = resource("/templates/named/" + name + "/" + conv.getKey() + ".txt");
                    assertEquals(expected, t.render(conv.getValue()));
                })));
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = NamedTemplatesTest.class.getResourceAsStream(path)) {
            if (in == null) throw new IOException("missing test resource " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void spec611OtherVerifiedOutputs() {
        RenderRequest r = conversations().get("system-user-assistant-user");
        String gemma = Template.parse(NamedTemplates.byName("gemma-instruct").orElseThrow().template()).render(r);
        assertTrue(gemma.startsWith("<start_of_turn>user\nYou are a helpful assistant.\nHello, how are you?<end_of_turn>\n"), gemma);
        String alpaca = Template.parse(NamedTemplates.byName("alpaca").orElseThrow().template()).render(r);
        assertTrue(alpaca.startsWith("You are a helpful assistant.\n\n### Instruction:\nHello, how are you?\n\n### Response:\n"), alpaca);
    }
}
