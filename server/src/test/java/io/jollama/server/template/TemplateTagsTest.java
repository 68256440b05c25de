package io.jollama.server.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jollama.server.gotemplate.GoTemplate;
import org.junit.jupiter.api.Test;

/** Tool-call tag and thinking-tag inference from templates (spec §8.1 step 1, §8.2). */
class TemplateTagsTest {
    private static String tag(String template) {
        return TemplateTags.toolCallTag(GoTemplate.parse("t", template).root());
    }

    private static TemplateTags.ThinkingTags think(String template) {
        return TemplateTags.thinkingTags(GoTemplate.parse("t", template).root());
    }

    @Test
    void toolCallTags() {
        assertEquals("{", tag(""));
        assertEquals("{", tag("{{if .ToolCalls}}{{end}}"));
        assertEquals("```json", tag("{{if .ToolCalls}}```json\n{{end}}"));
        assertEquals("[", tag("{{if .ToolCalls}}[{{range .ToolCalls}}{{ . }}{{end}}]{{end}}"));
        assertEquals("[", tag("{{if .ToolCalls}}\n [ {{range .ToolCalls}}{{ . }}{{end}}]{{end}}"));
        // the search stops at the first action: a trailing "]" is not found
        assertEquals("{", tag("{{if .ToolCalls}}{{range .ToolCalls}}{{ . }}{{end}}]{{end}}"));
        assertEquals("{", tag("{{if .ToolCalls}}{{range .ToolCalls}}\r\n{\"name\": \"{{ .Function.Name }}\"}{{end}}{{end}}"));
        assertEquals("<tool_call>", tag("{{if .ToolCalls}}\n{{range .ToolCalls}}<tool_call>{\"name\": \"{{ .Function.Name }}\"}</tool_call>{{end}}{{end}}"));
        assertEquals("<|tool▁calls▁begin|>", tag("{{if .ToolCalls}}<|tool▁calls▁begin|>{{range .ToolCalls}}x{{end}}{{end}}"));
        assertEquals("First text", tag("{{if .ToolCalls}}First text{{if .Something}}inner{{end}}Second text{{end}}"));
        assertEquals("Action: ```json", tag("{{if .ToolCalls}}Action: ```json{{end}}"));
        assertEquals("[TOOL_CALL] [", tag("{{if .ToolCalls}}[TOOL_CALL] [{{end}}"));
        assertEquals("functools[", tag("{{if .ToolCalls}}functools[{{end}}"));
        // found inside range/else-if nesting
        assertEquals("[TOOL_CALLS] [", tag("{{ range .Messages }}{{ if .Content }}{{ .Content }}{{ else if .ToolCalls }}[TOOL_CALLS] [{{ end }}{{ end }}"));
    }

    @Test
    void namedCommandRTemplateTag() {
        Template t = Template.parse(NamedTemplates.byName("command-r").orElseThrow().template());
        // the text node runs up to the range action, so it includes the newline and "["
        assertEquals("Action: ```json\n[", t.toolCallTag());
    }

    @Test
    void thinkingTags() {
        String basic = """
                {{ if .Thinking}}
                    /think
                {{ end }}
                {{- range $i, $_ := .Messages }}
                    {{- $last := eq (len (slice $.Messages $i)) 1 -}}
                    {{ if and $last .Thinking }}
                        <think>{{ .Thinking }}</think>
                    {{ end }}
                {{ end }}
                """;
        assertEquals(new TemplateTags.ThinkingTags("<think>", "</think>"), think(basic));
        assertTrue(think(basic).present());

        String nested = """
                {{- range $i, $_ := .Messages }}
                    {{- range $j, $_ := .NotMessages }}
                        {{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}
                    {{ end }}
                {{ end }}""";
        assertFalse(think(nested).present());
        assertEquals(new TemplateTags.ThinkingTags("", ""), think(nested));

        String spaced = """
                {{- range .Messages }}
                    {{ if .Thinking }}
                        Some text before   {{ .Thinking }}    Some text after
                    {{ end }}
                {{ end }}""";
        assertEquals(new TemplateTags.ThinkingTags("Some text before", "Some text after"), think(spaced));
        assertFalse(Template.parse(NamedTemplates.byName("chatml").orElseThrow().template()).thinkingTags().present());
    }
}
