package io.jollama.server.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jollama.server.gotemplate.TemplateException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ollama's template layer: modes, auto-appended response, Vars, tools/arguments printing (spec §6). */
class TemplateTest {
    private static ChatMessage m(String role, String content) {
        return ChatMessage.of(role, content);
    }

    private static String render(String template, List<ChatMessage> msgs) {
        return Template.parse(template).render(RenderRequest.of(msgs));
    }

    private static final List<ChatMessage> CONVERSATION = List.of(
            m("system", "You are a helpful assistant."),
            m("user", "Hello, how are you?"),
            m("assistant", "I'm doing great. How can I help you today?"),
            m("user", "I'd like to show off how chat templating works!"));

    @Test
    void spec611Chatml() {
        String chatml = "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n";
        assertEquals("""
                <|im_start|>system
                You are a helpful assistant.<|im_end|>
                <|im_start|>user
                Hello, how are you?<|im_end|>
                <|im_start|>assistant
                I'm doing great. How can I help you today?<|im_end|>
                <|im_start|>user
                I'd like to show off how chat templating works!<|im_end|>
                <|im_start|>assistant
                """, render(chatml, CONVERSATION));
    }

    @Test
    void spec611Llama3() {
        String llama3 = "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>\n"
                + "{{- end }}<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals("<|start_header_id|>user<|end_header_id|>\n\nHello, how are you?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", render(llama3, List.of(m("user", "Hello, how are you?"))));
    }

    @Test
    void spec611Mistral() {
        String mistral = "[INST] {{ range $index, $_ := .Messages }}\n{{- if eq .Role \"system\" }}{{ .Content }}\n\n"
                + "{{ else if eq .Role \"user\" }}{{ .Content }}[/INST]\n"
                + "{{- else if eq .Role \"assistant\" }} {{ .Content }}</s>[INST] {{ end }}\n{{- end }}";
        assertEquals("[INST] You are a helpful assistant.\n\nHello, how are you?[/INST] I'm doing great. How can I help you today?"
                + "</s>[INST] I'd like to show off how chat templating works![/INST]", render(mistral, CONVERSATION));
    }

    private static final String ROUTES_TEMPLATE = """
            {{- if .Tools }}
            {{ .Tools }}
            {{ end }}
            {{- range .Messages }}
            {{- .Role }}: {{ .Content }}
            {{- range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}
            {{- end }}
            {{ end }}""";

    @Test
    void spec63MessagesModeWithModelSystem() {
        Template t = Template.parse(ROUTES_TEMPLATE);
        String sys = "You are a helpful assistant.";
        assertEquals("user: Hello!\n", t.render(RenderRequest.of(PromptBuilder.chatMessages("", null, List.of(m("user", "Hello!"))))));
        assertEquals("system: You are a helpful assistant.\nuser: Hello!\n",
                t.render(RenderRequest.of(PromptBuilder.chatMessages(sys, null, List.of(m("user", "Hello!"))))));
        assertEquals("system: You can perform magic tricks.\nuser: Hello!\n", t.render(RenderRequest.of(
                PromptBuilder.chatMessages(sys, null, List.of(m("system", "You can perform magic tricks."), m("user", "Hello!"))))));
        assertEquals("system: You are a helpful assistant.\nuser: Hello!\nassistant: I can help you with that.\n"
                + "system: You can perform magic tricks.\nuser: Help me write tests.\n",
                t.render(RenderRequest.of(PromptBuilder.chatMessages(sys, null, List.of(m("user", "Hello!"),
                        m("assistant", "I can help you with that."), m("system", "You can perform magic tricks."),
                        m("user", "Help me write tests."))))));
    }

    @Test
    void toolsAndArgumentsPrintAsJson() {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("unit", Map.of("type", List.of("string", "null"), "enum", List.of("c", "f")));
        props.put("city", Map.of("type", "string", "description", "City <name>"));
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("type", "object");
        params.put("required", List.of("city"));
        params.put("properties", props);
        Map<String, Object> tool = Map.of("type", "function",
                "function", Map.of("name", "get_weather", "description", "Get weather", "parameters", params));
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("unit", "c");
        args.put("city", "Tokyo");
        ChatMessage call = new ChatMessage("assistant", "", "", 0,
                List.of(new ChatMessage.ToolCall("call_1", 0, "get_weather", args)), "", "");
        String out = Template.parse(ROUTES_TEMPLATE).render(RenderRequest.of(List.of(m("user", "Weather?"), call))
                .withTools(List.of(tool)));
        // the if-body starts with the newline after "{{- if .Tools }}"
        assertEquals("\n[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get weather\","
                + "\"parameters\":{\"type\":\"object\",\"required\":[\"city\"],\"properties\":{"
                + "\"city\":{\"type\":\"string\",\"description\":\"City \\u003cname\\u003e\"},"
                + "\"unit\":{\"type\":[\"string\",\"null\"],\"enum\":[\"c\",\"f\"]}}}}}]\n"
                + "user: Weather?\n"
                + "assistant: {\"name\": \"get_weather\", \"arguments\": {\"city\":\"Tokyo\",\"unit\":\"c\"}}\n", out);
    }

    @Test
    void rangingArgumentsAndProperties() {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("unit", "c");
        args.put("city", "Tokyo");
        ChatMessage call = new ChatMessage("assistant", "", "", 0, List.of(new ChatMessage.ToolCall("", 0, "f", args)), "", "");
        assertEquals("city=Tokyo;unit=c;", render(
                "{{ range .Messages }}{{ range .ToolCalls }}{{ range $k, $v := .Function.Arguments }}{{ $k }}={{ $v }};{{ end }}{{ end }}{{ end }}",
                List.of(call)));
        Map<String, Object> tool = Map.of("type", "function", "function", Map.of("name", "f", "parameters",
                Map.of("type", "object", "properties", Map.of("location", Map.of("type", "string")))));
        assertEquals("location:string;", Template.parse(
                "{{ range .Messages }}{{ end }}{{ range .Tools }}{{ range $k, $v := .Function.Parameters.Properties }}{{ $k }}:{{ $v.Type }};{{ end }}{{ end }}")
                .render(RenderRequest.of(List.of(m("user", "x"))).withTools(List.of(tool))));
        // no tools: .Tools is false and prints as JSON null
        assertEquals("null", Template.parse("{{ range .Messages }}{{ end }}{{ .Tools }}").render(RenderRequest.of(List.of())));
    }

    @Test
    void argumentNumbersAreGoFloat64s() {
        // Ollama decodes JSON numbers into float64: %v prints 1e+06, JSON prints 1000000
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("n", 1000000);
        args.put("x", 2.5);
        args.put("s", "a\bb");
        ChatMessage call = new ChatMessage("assistant", "", "", 0, List.of(new ChatMessage.ToolCall("", 0, "f", args)), "", "");
        assertEquals("n=1e+06 s=a\bb x=2.5 {\"n\":1000000,\"s\":\"a\\bb\",\"x\":2.5}", render(
                "{{ range .Messages }}{{ range .ToolCalls }}{{ range $k, $v := .Function.Arguments }}{{ $k }}={{ $v }} {{ end }}"
                        + "{{ json .Function.Arguments }}{{ end }}{{ end }}", List.of(call)));
    }

    /** A Qwen3-style template: tools in the system turn, thinking of the last assistant turn, tool results. */
    private static final String QWEN_STYLE = """
            {{- if or .System .Tools }}<|im_start|>system
            {{- if .System }}
            {{ .System }}
            {{- end }}
            {{- if .Tools }}
            <tools>
            {{- range .Tools }}
            {"type": "function", "function": {{ .Function }}}
            {{- end }}
            </tools>
            {{- end }}<|im_end|>
            {{ end }}
            {{- range $i, $_ := .Messages }}
            {{- $last := eq (len (slice $.Messages $i)) 1 -}}
            {{- if eq .Role "user" }}<|im_start|>user
            {{ .Content }}<|im_end|>
            {{ else if eq .Role "assistant" }}<|im_start|>assistant
            {{ if and $last .Thinking }}<think>{{ .Thinking }}</think>
            {{ end }}
            {{- if .Content }}{{ .Content }}
            {{- else if .ToolCalls }}<tool_call>
            {{ range .ToolCalls }}{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}
            {{ end }}</tool_call>
            {{- end }}{{ if not $last }}<|im_end|>
            {{ end }}
            {{- else if eq .Role "tool" }}<|im_start|>user
            <tool_response>{{ .Content }}</tool_response><|im_end|>
            {{ end }}
            {{- if and (ne .Role "assistant") $last }}<|im_start|>assistant
            {{ if not $.Think }}<think>

            </think>

            {{ end }}{{ end }}
            {{- end }}""";

    @Test
    void realisticToolAndThinkingTemplate() {
        Template t = Template.parse(QWEN_STYLE);
        assertTrue(t.usesTools());
        assertTrue(t.hasToolRoundTrip());
        assertFalse(Template.parse(ROUTES_TEMPLATE).hasToolRoundTrip()); // no tool-result rendering
        assertEquals(new TemplateTags.ThinkingTags("<think>", "</think>"), t.thinkingTags());
        assertEquals("<tool_call>", t.toolCallTag());
        Map<String, Object> tool = Map.of("type", "function", "function", Map.of("name", "get_weather",
                "description", "Get weather", "parameters", Map.of("type", "object", "required", List.of("city"),
                        "properties", Map.of("city", Map.of("type", "string")))));
        ChatMessage call = new ChatMessage("assistant", "", "checking", 0,
                List.of(new ChatMessage.ToolCall("", 0, "get_weather", Map.of("city", "Oslo"))), "", "");
        ChatMessage result = new ChatMessage("tool", "rain", "", 0, null, "get_weather", "");
        String out = t.render(RenderRequest.of(List.of(m("system", "Be brief."), m("user", "Weather in Oslo?"), call, result))
                .withTools(List.of(tool)).withThink(false));
        assertEquals("""
                <|im_start|>system
                Be brief.
                <tools>
                {"type": "function", "function": {get_weather Get weather {object <nil> <nil> [city] {"city":{"type":"string"}}}}}
                </tools><|im_end|>
                <|im_start|>user
                Weather in Oslo?<|im_end|>
                <|im_start|>assistant
                <tool_call>
                {"name": "get_weather", "arguments": {"city":"Oslo"}}
                </tool_call><|im_end|>
                <|im_start|>user
                <tool_response>rain</tool_response><|im_end|>
                <|im_start|>assistant
                <think>

                </think>

                """, out);
        // a trailing assistant message with thinking is rendered open (prefill) and its thinking shown
        String prefill = t.render(RenderRequest.of(List.of(m("user", "Hi"),
                new ChatMessage("assistant", "Hel", "greet", 0, null, "", ""))).withThink(true));
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>greet</think>\nHel", prefill);
    }

    /**
     * Printing of the template data model. The expected text was produced by Go's text/template on a copy of
     * Ollama's template types (templateTools, templateTool, templateProperties, api.ToolProperty, templateMessage).
     */
    @Test
    void dataModelPrintsLikeOllama() {
        String probe = "{{ .Tools }}|{{ range .Tools }}{{ . }}|{{ .Function }}|{{ json .Function }}|{{ range $k, $v := .Function.Parameters.Properties }}{{ $k }}={{ $v }}/{{ $v.Type }}/{{ json $v }}{{ end }}|{{ .Function.Parameters.Properties }}{{ end }}|{{ range .Messages }}{{ . }}|{{ .ToolCalls }}|{{ range .ToolCalls }}{{ . }}{{ .Function }}{{ json .Function.Arguments }}{{ end }}{{ end }}";
        Map<String, Object> tool = Map.of("type", "function", "function", Map.of("name", "get_weather",
                "description", "Get weather", "parameters", Map.of("type", "object", "required", List.of("city"),
                        "properties", Map.of("city", Map.of("type", "string")))));
        ChatMessage call = new ChatMessage("assistant", "", "checking", 0,
                List.of(new ChatMessage.ToolCall("", 0, "get_weather", Map.of("city", "Oslo"))), "", "");
        ChatMessage result = new ChatMessage("tool", "rain", "", 0, null, "get_weather", "");
        RenderRequest r = RenderRequest.of(List.of(m("system", "Be brief."), m("user", "Weather in Oslo?"), call, result))
                .withTools(List.of(tool));
        assertEquals("[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get weather\",\"parameters\":{\"type\":\"object\",\"required\":[\"city\"],\"properties\":{\"city\":{\"type\":\"string\"}}}}}]|{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get weather\",\"parameters\":{\"type\":\"object\",\"required\":[\"city\"],\"properties\":{\"city\":{\"type\":\"string\"}}}}}|{get_weather Get weather {object <nil> <nil> [city] {\"city\":{\"type\":\"string\"}}}}|{\"name\":\"get_weather\",\"description\":\"Get weather\",\"parameters\":{\"type\":\"object\",\"required\":[\"city\"],\"properties\":{\"city\":{\"type\":\"string\"}}}}|city={[] string <nil>  [] <nil> []}/string/{\"type\":\"string\"}|{\"city\":{\"type\":\"string\"}}|{system Be brief.  [] []  }|[]|{user Weather in Oslo?  [] []  }|[]|{assistant  checking [] [{ {0 get_weather {\"city\":\"Oslo\"}}}]  }|[{ {0 get_weather {\"city\":\"Oslo\"}}}]|{ {0 get_weather {\"city\":\"Oslo\"}}}{0 get_weather {\"city\":\"Oslo\"}}{\"city\":\"Oslo\"}{tool rain  [] [] get_weather }|[]|", Template.parse(probe).render(r));
    }

    @Test
    void varsAndAutoAppendedResponse() {
        assertEquals(List.of("prompt", "response"), Template.parse("{{ .Prompt }}").vars());
        assertEquals(List.of("prompt", "response", "system"), Template.parse("{{ .System }} {{ .Prompt }}").vars());
        assertEquals(List.of("prompt", "response", "system", "tools"),
                Template.parse("{{ with .Tools }}{{ . }}{{ end }} {{ .System }} {{ .Prompt }}").vars());
        assertEquals(List.of("content", "messages", "role"),
                Template.parse("{{ range .Messages }}{{ .Role }} {{ .Content }}{{ end }}").vars());
        assertEquals(List.of("content", "messages", "role", "toolname"), Template.parse(
                "{{ range .Messages }}{{ if eq .Role \"tool\" }}Tool Result: {{ .ToolName }} {{ .Content }}{{ end }}{{ end }}").vars());
        Template t = Template.parse("{{ range .Messages }}{{ .Content }}{{ end }}");
        assertTrue(t.usesMessages());
        assertFalse(t.usesSuffix());
        assertFalse(Template.parse("{{ .Prompt }}").usesMessages());
    }

    @Test
    void parseErrorsOllamaAddsUndefinedTemplate() {
        TemplateException e = assertThrows(TemplateException.class, () -> Template.parse("{{ .Prompt "));
        assertTrue(e.getMessage().contains("unclosed action"));
        e = assertThrows(TemplateException.class,
                () -> Template.parse("{{define \"x\"}}{{template \"x\"}}{{end}}{{template \"x\"}}"));
        assertTrue(e.getMessage().contains("undefined template specified"), e.getMessage());
    }

    // ---- legacy mode (§6.4) ----

    private static final String MISTRAL_LEGACY = "[INST] {{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}[/INST] ";
    private static final List<ChatMessage> THREE = List.of(m("user", "Hello friend!"), m("assistant", "Hello human!"),
            m("user", "What is your name?"));

    @Test
    void legacyAndMessagesModesAgree() {
        String messages = "[INST] {{ if .System }}{{ .System }}\n\n{{ end }}\n{{- range .Messages }}\n"
                + "{{- if eq .Role \"user\" }}{{ .Content }}[/INST] {{ else if eq .Role \"assistant\" }}{{ .Content }}[INST] {{ end }}\n{{- end }}";
        String want = "[INST] Hello friend![/INST] Hello human![INST] What is your name?[/INST] ";
        for (String t : List.of(MISTRAL_LEGACY, MISTRAL_LEGACY + "{{ .Response }}", messages)) {
            assertEquals(want, render(t, THREE), t);
        }
        List<ChatMessage> withSystem = new java.util.ArrayList<>(List.of(m("system", "You are a helpful assistant!")));
        withSystem.addAll(THREE);
        for (String t : List.of(MISTRAL_LEGACY, MISTRAL_LEGACY + "{{ .Response }}", messages)) {
            assertEquals("[INST] You are a helpful assistant!\n\nHello friend![/INST] Hello human![INST] What is your name?[/INST] ",
                    render(t, withSystem), t);
        }
    }

    @Test
    void legacyTrailingAssistantIsPrefill() {
        List<ChatMessage> msgs = new java.util.ArrayList<>(THREE);
        msgs.add(m("assistant", "My name is Ollama and I"));
        assertEquals("[INST] Hello friend![/INST] Hello human![INST] What is your name?[/INST] My name is Ollama and I",
                render("[INST] {{ .Prompt }}[/INST] {{ .Response }}", msgs));
        // everything after the response slot is cut from the last execution only
        assertEquals("<Q>Hello friend!</Q><A>Hello human!</A><Q>What is your name?</Q><A>",
                render("<Q>{{ .Prompt }}</Q><A>{{ .Response }}</A>", THREE));
    }

    @Test
    void legacyThreeFieldTemplate() {
        String t = "{{- if .System }}System: {{ .System }} {{ end }}{{- if .Prompt }}User: {{ .Prompt }} {{ end }}"
                + "{{- if .Response }}Assistant: {{ .Response }} {{ end }}";
        assertEquals("User: Hello! ", render(t, List.of(m("user", "Hello!"))));
        assertEquals("System: You are a helpful assistant. User: Hello! ", render(t,
                PromptBuilder.generateMessages("", "You are a helpful assistant.", null, false, "Hello!", 0)));
        assertEquals("System: You can perform magic tricks. User: Hello! ", render(t,
                PromptBuilder.generateMessages("You can perform magic tricks.", "You are a helpful assistant.", null, false, "Hello!", 0)));
        String harry = "{{- if .System }}{{ .System }} {{ end }}{{- if .Prompt }}{{ .Prompt }} {{ end }}{{- if .Response }}{{ .Response }} {{ end }}";
        assertEquals("You're a test, Harry! I-I'm a what? You are the Test Who Lived. A test. And a thumping good one at that, I'd wager. ",
                render(harry, List.of(m("user", "You're a test, Harry!"), m("assistant", "I-I'm a what?"),
                        m("system", "You are the Test Who Lived."), m("user", "A test. And a thumping good one at that, I'd wager."))));
    }

    @Test
    void defaultTemplateConcatenates() {
        assertEquals("Hello, world!", Template.DEFAULT.render(RenderRequest.of(List.of(m("user", "Hello, world!")))));
        assertEquals("User question", Template.DEFAULT.render(RenderRequest.of(
                PromptBuilder.generateMessages("You are a helpful assistant", "", null, false, "User question", 0))));
        assertEquals("PROMPT: Hello", render("PROMPT: {{ .Prompt }}", List.of(m("user", "Hello"))));
    }

    // ---- suffix mode (§6.5) ----

    @Test
    void suffixMode() {
        Template t = Template.parse("{{- if .Suffix }}<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>\n{{- else }}{{ .Prompt }}\n{{- end }}");
        assertTrue(t.usesSuffix());
        assertEquals("hello", t.render(RenderRequest.of(List.of(m("user", "hello")))));
        assertEquals("<PRE> def add( <SUF>return x <MID>", t.render(RenderRequest.suffix("def add(", "return x")));
    }

    // ---- collation and think flags ----

    @Test
    void collateMergesSameRoleExceptTool() {
        Template.Collated c = Template.collate(List.of(m("system", "You are helpful"), m("user", "Hello"), m("user", "How are you?"),
                new ChatMessage("tool", "sunny", "", 0, null, "get_weather", ""),
                new ChatMessage("tool", "72F", "", 0, null, "get_temperature", ""), m("system", "Be brief")));
        assertEquals("You are helpful\n\nBe brief", c.system());
        assertEquals(List.of("system", "user", "tool", "tool", "system"), c.messages().stream().map(ChatMessage::role).toList());
        assertEquals("Hello\n\nHow are you?", c.messages().get(1).content());
        assertEquals("get_temperature", c.messages().get(3).toolName());
    }

    @Test
    void systemFieldJoinsAllSystemMessagesInMessagesMode() {
        assertEquals("A\n\nB|user", render("{{ .System }}{{ range .Messages }}{{ if ne .Role \"system\" }}|{{ .Role }}{{ end }}{{ end }}",
                List.of(m("system", "A"), m("user", "x"), m("system", "B"))));
    }

    @Test
    void thinkFlags() {
        Template t = Template.parse("{{ range .Messages }}{{ end }}{{ .Think }} [{{ .ThinkLevel }}] {{ .IsThinkSet }}");
        RenderRequest r = RenderRequest.of(List.of(m("user", "x")));
        assertEquals("false [] false", t.render(r));
        assertEquals("true [medium] true", t.render(r.withThink(true)));
        assertEquals("false [] true", t.render(r.withThink(false)));
        assertEquals("true [high] true", t.render(r.withThink("high")));
        assertThrows(IllegalArgumentException.class, () -> r.withThink("extreme"));
        // message thinking and tool names are visible to templates
        ChatMessage a = new ChatMessage("assistant", "answer", "pondering", 0, null, "", "");
        assertEquals("<think>pondering</think>answer", render(
                "{{ range .Messages }}{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}{{ .Content }}{{ end }}", List.of(a)));
    }

    @Test
    void nullMessageFieldsAreEmpty() {
        assertEquals("user:|:x|", render("{{ range .Messages }}{{ .Role }}:{{ .Content }}|{{ end }}",
                List.of(new ChatMessage("user", null, null, 0, null, null, null), new ChatMessage(null, "x", null, 0, null, null, null))));
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage("user", "", "", -1, null, "", ""));
    }

    @Test
    void missingRootKeyPrintsNoValueLikeOllama() {
        // in messages mode there is no .Prompt key: Go prints "<no value>" for it
        assertEquals("<no value>", render("{{ range .Messages }}{{ end }}{{ .Prompt }}", List.of(m("user", "x"))));
    }
}
