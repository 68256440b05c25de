package io.jollama.server.toolcall;

import io.jollama.server.Json;
import io.jollama.server.toolcall.ToolCallParser.ToolCall;
import io.jollama.server.template.NamedTemplates;
import io.jollama.server.template.Template;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The generic tool-call parser (spec §8.1) on the cases of Ollama's tools tests, whole and split into chunks. */
class ToolCallParserTest {

    static final List<String> TOOLS = List.of("get_temperature", "get_conditions", "say_hello", "say_hello_world", "get_address", "add");

    static final String QWEN = "{{if .ToolCalls}}<tool_call>{{range .ToolCalls}}{\"name\": \"{{.Function.Name}}\", \"arguments\": {{.Function.Arguments}}}{{end}}</tool_call>{{end}}";
    static final String DEEPSEEK = "{{if .ToolCalls}}<|tool▁calls▁begin|>{{range .ToolCalls}}<|tool▁call▁begin|>function<|tool▁sep|>x{{end}}<|tool▁calls▁end|>{{end}}";
    static final String JSON = "{{if .ToolCalls}}{{range .ToolCalls}}{\"name\": \"{{.Function.Name}}\", \"arguments\": {{.Function.Arguments}}}{{end}}{{end}}";
    static final String MISTRAL = "{{if .ToolCalls}}[TOOL_CALLS] [{{range .ToolCalls}}{\"name\": \"{{.Function.Name}}\"}{{end}}][/TOOL_CALLS]{{end}}";
    static final String LIST = "{{if .ToolCalls}}[{{range .ToolCalls}}{\"name\": \"{{.Function.Name}}\"}{{end}}]{{end}}";

    /** All content (including the flush) and all calls of one run. */
    record Run(String content, List<ToolCall> calls) {
        List<String> names() {
            return calls.stream().map(ToolCall::name).toList();
        }

        List<Map<String, Object>> args() {
            return calls.stream().map(ToolCall::arguments).toList();
        }
    }

    static Run run(String template, List<String> chunks) {
        ToolCallParser p = ToolCallParser.forTemplate(Template.parse(template), tools(TOOLS));
        StringBuilder content = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        for (String c : chunks) {
            ToolCallParser.Result r = p.add(c);
            content.append(r.content());
            calls.addAll(r.calls());
        }
        content.append(p.flush());
        return new Run(content.toString(), calls);
    }

    static List<Map<String, Object>> tools(List<String> names) {
        return names.stream().map(n -> Map.<String, Object>of("type", "function", "function", Map.of("name", n))).toList();
    }

    /** Runs the output whole, split at every point, and one character at a time; all must give {@code want}. */
    static void check(String template, String output, String content, List<String> names, List<Map<String, Object>> args) {
        List<List<String>> splits = new ArrayList<>();
        splits.add(List.of(output));
        for (int i = 0; i <= output.length(); i++) splits.add(List.of(output.substring(0, i), output.substring(i)));
        splits.add(output.chars().mapToObj(c -> String.valueOf((char) c)).toList());
        for (List<String> chunks : splits) {
            Run r = run(template, chunks);
            assertEquals(content, r.content(), "content for chunks " + chunks);
            assertEquals(names, r.names(), "names for chunks " + chunks);
            assertEquals(args, r.args(), "arguments for chunks " + chunks);
            for (int i = 0; i < r.calls().size(); i++) assertEquals(i, r.calls().get(i).index());
        }
    }

    static Map<String, Object> args(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void tagsOfTemplates() {
        assertEquals("<tool_call>", Template.parse(QWEN).toolCallTag());
        assertEquals("<|tool▁calls▁begin|>", Template.parse(DEEPSEEK).toolCallTag());
        assertEquals("{", Template.parse(JSON).toolCallTag());
        assertEquals("[TOOL_CALLS] [", Template.parse(MISTRAL).toolCallTag());
        assertEquals("[", Template.parse(LIST).toolCallTag());
        assertEquals("[TOOL_CALL][", Template.parse("{{if .ToolCalls}}[TOOL_CALL][{{range .ToolCalls}}{{.}}{{end}}]{{end}}").toolCallTag());
        assertEquals("functools[", Template.parse("{{if .ToolCalls}}functools[{{range .ToolCalls}}{{.}}{{end}}]{{end}}").toolCallTag());
        assertEquals("{", Template.parse("{{ .Prompt }}").toolCallTag());
        assertEquals("Action: ```json", Template.parse("{{if .ToolCalls}}Action: ```json{{end}}").toolCallTag());
        // the only shipped named template with tool calls: its first text runs on to the list's "["
        String commandR = NamedTemplates.byName("command-r").orElseThrow().template();
        assertEquals("Action: ```json\n[", Template.parse(commandR).toolCallTag());
    }

    @Test
    void plainTextIsContent() {
        check(QWEN, "Hello, how can I help you today?", "Hello, how can I help you today?", List.of(), List.of());
        check(QWEN, "", "", List.of(), List.of());
        // a tool's name in ordinary text is not a call
        check(QWEN, "Let me say hello to the user. I'll use the say_hello tool. ",
                "Let me say hello to the user. I'll use the say_hello tool. ", List.of(), List.of());
        // text that merely looks like the start of the tag comes out at the end
        check(QWEN, "a < b and x <tool", "a < b and x <tool", List.of(), List.of());
    }

    @Test
    void qwenTag() {
        check(QWEN, "<tool_call>{\"name\": \"get_conditions\", \"arguments\": {\"location\": \"San Francisco\"}}</tool_call>",
                "", List.of("get_conditions"), List.of(args("location", "San Francisco")));
        check(QWEN, "<tool_call>{\"name\": \"get_conditions\", \"arguments\": {}}</tool_call>", "", List.of("get_conditions"), List.of(args()));
        check(QWEN, "Let me check the weather. <tool_call>{\"name\": \"get_temperature\", \"arguments\": {\"city\": \"New York\"}}</tool_call>",
                "Let me check the weather. ", List.of("get_temperature"), List.of(args("city", "New York")));
        check(QWEN, "Okay, let's call both tools! <tool_call>{\"name\": \"get_temperature\", \"arguments\": {\"city\": \"London\", \"format\": \"fahrenheit\"}}</tool_call>"
                        + "<tool_call>{\"name\": \"get_conditions\", \"arguments\": {\"location\": \"Tokyo\"}}</tool_call>",
                "Okay, let's call both tools! ", List.of("get_temperature", "get_conditions"),
                List.of(args("city", "London", "format", "fahrenheit"), args("location", "Tokyo")));
        check(QWEN, "Let me check the weather. <tool_call>{\"name\": \"get_conditions\", \"arguments\": {}}</tool_call>"
                        + "<tool_call>{\"name\": \"get_conditions\", \"arguments\": {\"location\": \"Tokyo\"}}",
                "Let me check the weather. ", List.of("get_conditions", "get_conditions"), List.of(args(), args("location", "Tokyo")));
        // arguments before the name
        check(QWEN, "<tool_call>{\"arguments\": {\"a\": \"5\", \"b\": \"10\"}, \"name\": \"add\"}</tool_call>",
                "", List.of("add"), List.of(args("a", "5", "b", "10")));
        // a name that is a prefix of another, and one that contains another ("get_address" vs "add")
        check(QWEN, "<tool_call>{\"name\": \"say_hello_world\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"say_hello\", \"arguments\": {}}</tool_call>",
                "", List.of("say_hello_world", "say_hello"), List.of(args(), args()));
        check(QWEN, "<tool_call>{\"name\": \"say_hello\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"say_hello_world\", \"arguments\": {}}",
                "", List.of("say_hello", "say_hello_world"), List.of(args(), args()));
        check(QWEN, "<tool_call>{\"name\": \"get_address\", \"arguments\": {\"location\": \"London\"}}</tool_call>",
                "", List.of("get_address"), List.of(args("location", "London")));
        // incomplete call at the end: dropped (not a bracket tag)
        check(QWEN, "<tool_call>{\"name\": \"say_hello", "", List.of(), List.of());
        check(QWEN, "Sure. <tool_call>{\"name\": \"get_conditions\", \"arguments\": {\"loc", "Sure. ", List.of(), List.of());
    }

    @Test
    void deepseekTag() {
        check(DEEPSEEK, "<think>Wait, I need to call a tool</think><|tool▁calls▁begin|><|tool▁call▁begin|>function<|tool▁sep|>get_temperature\n```json\n{\"city\": \"Tokyo\"}\n```<|tool▁call▁end|><|tool▁calls▁end|><|end▁of▁sentence|>",
                "<think>Wait, I need to call a tool</think>", List.of("get_temperature"), List.of(args("city", "Tokyo")));
    }

    @Test
    void jsonTag() {
        check(JSON, "{\"name\": \"get_temperature\",\"arguments\": {\"city\": \"Tokyo\"}}", "", List.of("get_temperature"), List.of(args("city", "Tokyo")));
        // whitespace before the object is fine
        check(JSON, "\n {\"name\": \"get_temperature\",\"arguments\": {\"city\": \"Tokyo\"}}", "\n ", List.of("get_temperature"), List.of(args("city", "Tokyo")));
        // an object that calls no known tool is content
        String search = "{\"name\": \"search\", \"arguments\": {\"query\": \"What is the capital of Canada?\"}}";
        check(JSON, search, search, List.of(), List.of());
        // an unfinished object is returned at the end
        check(JSON, "{\"name\": \"get_temperature\", \"arguments\": {", "{\"name\": \"get_temperature\", \"arguments\": {", List.of(), List.of());
        // a first object that is not a call ends tool parsing
        String two = "{\"name\": \"jeff\"}{\"name\": \"get_conditions\", \"arguments\": {\"location\": \"San Francisco\"}}";
        check(JSON, two, two, List.of(), List.of());
        // code is content
        check(JSON, "for { fmt.Println(\"hello\") }", "for { fmt.Println(\"hello\") }", List.of(), List.of());
        // other shapes of arguments
        check(JSON, "{\"get_temperature\": {\"format\": \"fahrenheit\", \"city\": \"Paris\"}}", "",
                List.of("get_temperature"), List.of(args("format", "fahrenheit", "city", "Paris")));
        check(JSON, "{\"name\": \"get_temperature\", \"parameters\": \"{\\\"city\\\": \\\"Rome\\\"}\"}", "",
                List.of("get_temperature"), List.of(args("city", "Rome")));
        check(JSON, "{\"function\": {\"name\": \"get_temperature\", \"arguments\": {\"city\": \"Oslo\"}}}", "",
                List.of("get_temperature"), List.of(args("city", "Oslo")));
    }

    @Test
    void listTags() {
        check(LIST, "[{\"name\": \"get_temperature\", \"arguments\": {\"city\": \"London\"}},{\"name\": \"get_conditions\", \"arguments\": {\"location\": \"Tokyo\"}}]",
                "", List.of("get_temperature", "get_conditions"), List.of(args("city", "London"), args("location", "Tokyo")));
        check(LIST, "[{\"name\": \"get_conditions\", \"arguments\": {\"location\": \"Tokyo\"}}", "", List.of("get_conditions"), List.of(args("location", "Tokyo")));
        check(LIST, "[{\"name\": \"get_conditions\", \"arguments\": {\"location\": \"Tokyo\"}}]]", "", List.of("get_conditions"), List.of(args("location", "Tokyo")));
        // a list that calls no known tool: unfinished, so returned at the end
        String search = "[{\"name\": \"search\", \"arguments\": {\"query\": \"What is the capital of Canada?\"}}";
        check(LIST, search, search, List.of(), List.of());
        check(LIST, "[special delivery]", "[special delivery]", List.of(), List.of());
        check(LIST, "I said [special delivery]", "I said [special delivery]", List.of(), List.of());
        check(MISTRAL, "[TOOL_CALLS] [{\"name\": \"get_temperature\", \"arguments\": {\"city\": \"London\", \"format\": \"fahrenheit\"}}, "
                        + "{\"name\": \"get_conditions\", \"arguments\": {\"location\": \"Tokyo\"}}][/TOOL_CALLS]",
                "", List.of("get_temperature", "get_conditions"), List.of(args("city", "London", "format", "fahrenheit"), args("location", "Tokyo")));
        // "[" alone is not the mistral tag
        check(MISTRAL, "[special delivery]", "[special delivery]", List.of(), List.of());
    }

    @Test
    void bracketsInsideStringsDoNotCount() {
        check(QWEN, "<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": \"} {\", \"b\": \"if (x) { return \\\"}\\\"; }\"}}</tool_call>",
                "", List.of("add"), List.of(args("a", "} {", "b", "if (x) { return \"}\"; }")));
        check(JSON, "{\"name\": \"add\", \"arguments\": {\"a\": \"C:\\\\{x}\\\\\", \"b\": 2}}", "",
                List.of("add"), List.of(args("a", "C:\\{x}\\", "b", 2)));
    }

    @Test
    void argumentsWithoutAnObjectAreNoCall() {
        check(QWEN, "<tool_call>{\"name\": \"add\", \"arguments\": [\"1\", \"2\"]}</tool_call>", "", List.of(), List.of());
    }

    @Test
    void callsAreEmittedAsSoonAsTheyParse() {
        ToolCallParser p = new ToolCallParser("<tool_call>", List.of("add", "get_conditions"));
        ToolCallParser.Result r = p.add("Adding. <tool_");
        assertEquals("Adding. ", r.content());
        r = p.add("call>{\"name\": \"add\", \"arguments\": {\"b\": 1, \"a\": 2}");
        assertEquals(List.of(), r.calls());
        r = p.add("}</tool_call>\n<tool_call>{\"name\": \"get_conditions\", \"arguments\": {}}");
        assertEquals("", r.content());
        assertEquals(List.of("add", "get_conditions"), r.calls().stream().map(ToolCall::name).toList());
        ToolCall add = r.calls().getFirst();
        // argument order as generated, in the map and in the JSON
        assertEquals(List.of("b", "a"), List.copyOf(add.arguments().keySet()));
        assertTrue(add.id().matches("call_[a-z0-9]{8}"), add.id());
        assertEquals("{\"id\":\"" + add.id() + "\",\"function\":{\"index\":0,\"name\":\"add\",\"arguments\":{\"b\":1,\"a\":2}}}", Json.write(add.toJson()));
        assertEquals("{\"function\":{\"index\":1,\"name\":\"x\",\"arguments\":{}}}",
                Json.write(new ToolCall("", 1, "x", Map.of()).toJson()));
        assertEquals("", p.flush());
    }

    @Test
    void idsAreFresh() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = ToolCallParser.newId();
            assertTrue(id.matches("call_[a-z0-9]{8}"), id);
            ids.add(id);
        }
        assertTrue(ids.size() > 990);
    }

    @Test
    void afterBracketsBalanceEverythingIsContent() {
        ToolCallParser p = new ToolCallParser("[", List.of("add"));
        assertEquals("", p.add("[1, 2").content());
        assertEquals("[1, 2]", p.add("]").content());
        assertEquals(" and [add {\"a\":1}]", p.add(" and [add {\"a\":1}]").content());
        assertEquals("", p.flush());
    }

    @Test
    void toolNamesFromRequestTools() {
        List<Map<String, Object>> tools = List.of(
                Map.of("type", "function", "function", Map.of("name", "a")),
                Map.of("type", "function"),
                Map.of("type", "function", "function", Map.of("name", 3)));
        assertEquals(List.of("a"), ToolCallParser.toolNames(tools));
        assertThrows(IllegalArgumentException.class, () -> new ToolCallParser("", List.of("a")));
    }
}
