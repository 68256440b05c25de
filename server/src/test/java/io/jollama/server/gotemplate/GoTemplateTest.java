package io.jollama.server.gotemplate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jollama.server.template.TemplateData;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Go text/template semantics, case by case (expected values are what Go 1.24 prints). */
class GoTemplateTest {
    record Msg(String Role, String Content) {}

    private static String run(String text, Object data) {
        return GoTemplate.parse("t", text).execute(data);
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void textAndFields() {
        assertEquals("Hi Ann!", run("Hi {{ .Name }}!", map("Name", "Ann")));
        assertEquals("user: hello", run("{{ .M.Role }}: {{ .M.Content }}", map("M", new Msg("user", "hello"))));
        assertEquals("x", run("{{ $.A.B }}", map("A", map("B", "x"))));
    }

    @Test
    void commentsAreDropped() {
        assertEquals("ab", run("a{{/* a comment */}}b", null));
        assertEquals("ab", run("a  {{- /* trimmed */ -}}  b", null));
    }

    @Test
    void trimMarkers() {
        assertEquals("a|b", run("a  \n\t{{- \"|\" -}} \n b", null));
        assertEquals("a  \n|b", run("a  \n{{ \"|\" -}}\n\nb", null));
        // "{{-3}}" is the number -3, not a trim marker
        assertEquals("x -3", run("x {{-3}}", null));
        assertEquals("1\n2\n", run("{{- range .L }}\n{{- . }}\n{{ end }}", map("L", List.of(1, 2))));
    }

    @Test
    void missingMapKeyPrintsNoValueAndIsFalse() {
        assertEquals("<no value>", run("{{ .Missing }}", map()));
        assertEquals("no", run("{{ if .Missing }}yes{{ else }}no{{ end }}", map()));
    }

    @Test
    void nilPrinting() {
        assertEquals("<no value>", run("{{ .X }}", map("X", null)));
        assertEquals("[a <nil>]", run("{{ .L }}", map("L", java.util.Arrays.asList("a", null))));
        assertEquals("<nil>", run("{{ print nil }}", null));
    }

    @Test
    void valuesPrintLikeFmt() {
        assertEquals("true 42 1.5 1e+06 [1 2] map[a:1 b:x]",
                run("{{ .T }} {{ .I }} {{ .F }} {{ .Big }} {{ .L }} {{ .M }}",
                        map("T", true, "I", 42, "F", 1.5, "Big", 1e6, "L", List.of(1, 2), "M", map("b", "x", "a", 1))));
        assertEquals("{user hi}", run("{{ . }}", new Msg("user", "hi")));
        assertEquals("3 0.1 100000 1.234567e+06", run("{{ 3.0 }} {{ 0.1 }} {{ 100000.0 }} {{ 1234567.0 }}", null));
    }

    @Test
    void truthiness() {
        String t = "{{ if . }}T{{ else }}F{{ end }}";
        assertEquals("F", run(t, ""));
        assertEquals("F", run(t, 0));
        assertEquals("F", run(t, 0.0));
        assertEquals("F", run(t, false));
        assertEquals("F", run(t, List.of()));
        assertEquals("F", run(t, Map.of()));
        assertEquals("F", run(t, null));
        assertEquals("T", run(t, "x"));
        assertEquals("T", run(t, List.of(0)));
        assertEquals("T", run(t, new Msg("", "")));
    }

    @Test
    void ifElseIfChains() {
        String t = "{{ if eq . 1 }}one{{ else if eq . 2 }}two{{ else if eq . 3 }}three{{ else }}many{{ end }}";
        assertEquals("one", run(t, 1));
        assertEquals("two", run(t, 2));
        assertEquals("three", run(t, 3));
        assertEquals("many", run(t, 9));
    }

    @Test
    void rangeOverListMapIntAndElse() {
        assertEquals("0=a;1=b;", run("{{ range $i, $v := . }}{{ $i }}={{ $v }};{{ end }}", List.of("a", "b")));
        assertEquals("ab", run("{{ range . }}{{ . }}{{ end }}", List.of("a", "b")));
        // maps range in sorted key order
        assertEquals("a:1 b:2 c:3 ", run("{{ range $k, $v := . }}{{ $k }}:{{ $v }} {{ end }}", map("c", 3, "a", 1, "b", 2)));
        assertEquals("empty", run("{{ range . }}x{{ else }}empty{{ end }}", List.of()));
        assertEquals("empty", run("{{ range .Nope }}x{{ else }}empty{{ end }}", map()));
        assertEquals("012", run("{{ range 3 }}{{ . }}{{ end }}", null));
        assertEquals("b", run("{{ range $v := . }}{{ $v }}{{ end }}", List.of("b")));
    }

    @Test
    void breakAndContinue() {
        assertEquals("13", run("{{ range . }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ . }}{{ end }}", List.of(1, 2, 3)));
        assertEquals("1", run("{{ range . }}{{ if eq . 2 }}{{ break }}{{ end }}{{ . }}{{ end }}", List.of(1, 2, 3)));
    }

    @Test
    void withAndElseWith() {
        assertEquals("x", run("{{ with .A }}{{ . }}{{ else }}none{{ end }}", map("A", "x")));
        assertEquals("none", run("{{ with .A }}{{ . }}{{ else }}none{{ end }}", map("A", "")));
        assertEquals("b", run("{{ with .A }}a{{ else with .B }}{{ . }}{{ else }}c{{ end }}", map("A", "", "B", "b")));
        assertEquals("c", run("{{ with .A }}a{{ else with .B }}{{ . }}{{ else }}c{{ end }}", map()));
    }

    @Test
    void variableScopingAndAssignment() {
        // assignment inside range updates the outer variable; declarations inside blocks end at {{ end }}
        assertEquals("abc", run("{{ $s := \"\" }}{{ range . }}{{ $s = printf \"%s%s\" $s . }}{{ end }}{{ $s }}",
                List.of("a", "b", "c")));
        assertEquals("outer", run("{{ $x := \"outer\" }}{{ if true }}{{ $x := \"inner\" }}{{ end }}{{ $x }}", null));
        assertEquals("inner", run("{{ $x := \"outer\" }}{{ if true }}{{ $x = \"inner\" }}{{ end }}{{ $x }}", null));
        // $ is the data passed to Execute, also inside range
        assertEquals("RR", run("{{ range .L }}{{ $.N }}{{ end }}", map("L", List.of(1, 2), "N", "R")));
        TemplateException e = assertThrows(TemplateException.class,
                () -> GoTemplate.parse("t", "{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}"));
        assertTrue(e.getMessage().contains("undefined variable \"$y\""), e.getMessage());
    }

    @Test
    void defineTemplateAndBlock() {
        assertEquals("[x][y]", run("{{ define \"item\" }}[{{ . }}]{{ end }}{{ range . }}{{ template \"item\" . }}{{ end }}",
                List.of("x", "y")));
        assertEquals("<default:v>", run("{{ block \"b\" .V }}<default:{{ . }}>{{ end }}", map("V", "v")));
        assertEquals("no data: <no value>", run("{{ define \"n\" }}no data: {{ .X }}{{ end }}{{ template \"n\" }}", map("X", 1)));
    }

    @Test
    void pipelines() {
        assertEquals("\"a\"", run("{{ .S | printf \"%q\" }}", map("S", "a")));
        assertEquals("3", run("{{ \"abc\" | len }}", null));
        assertEquals("x-y", run("{{ printf \"%s-%s\" \"x\" (print \"y\") }}", null));
        assertEquals("ab", run("{{ (index . 0).Role }}{{ (index . 1).Content }}", List.of(new Msg("a", ""), new Msg("", "b"))));
    }

    @Test
    void comparisons() {
        assertEquals("true", run("{{ eq .R \"a\" \"b\" \"c\" }}", map("R", "c")));
        assertEquals("false", run("{{ eq .R \"a\" \"b\" }}", map("R", "c")));
        assertEquals("true false", run("{{ ne 1 2 }} {{ ne \"a\" \"a\" }}", null));
        assertEquals("true true false true", run("{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"a\" \"b\" }} {{ ge 2.5 1.5 }}", null));
        assertEquals("false", run("{{ eq .Missing \"x\" }}", map()));
        TemplateException e = assertThrows(TemplateException.class, () -> run("{{ eq 1 \"1\" }}", null));
        assertTrue(e.getMessage().contains("incompatible types for comparison"), e.getMessage());
        e = assertThrows(TemplateException.class, () -> run("{{ lt true false }}", null));
        assertTrue(e.getMessage().contains("invalid type for comparison"), e.getMessage());
    }

    @Test
    void andOrNotShortCircuit() {
        assertEquals("b", run("{{ or \"\" \"b\" \"c\" }}", null));
        assertEquals("", run("{{ and \"a\" \"\" \"c\" }}", null));
        assertEquals("c", run("{{ and \"a\" \"b\" \"c\" }}", null));
        // the second argument would fail (index out of range) but is never evaluated
        assertEquals("ok", run("{{ if or true (index . 5) }}ok{{ end }}", List.of()));
        assertEquals("false true", run("{{ not 1 }} {{ not \"\" }}", null));
    }

    @Test
    void lenIndexSlice() {
        assertEquals("2 3 2 2", run("{{ len .L }} {{ len .S }} {{ len .M }} {{ len \"é\" }}",
                map("L", List.of(1, 2), "S", "abc", "M", map("a", 1, "b", 2))));
        assertEquals("b 2 98", run("{{ index .L 1 }} {{ index .M \"b\" }} {{ index \"abc\" 1 }}",
                map("L", List.of("a", "b"), "M", map("b", 2))));
        assertEquals("<no value>", run("{{ index .M \"zz\" }}", map("M", map())));
        assertEquals("x", run("{{ index .L 0 1 }}", map("L", List.of(List.of("w", "x")))));
        assertEquals("bc [2 3] [1]", run("{{ slice \"abcd\" 1 3 }} {{ slice .L 1 }} {{ slice .L 0 1 }}",
                map("L", List.of(1, 2, 3))));
        TemplateException e = assertThrows(TemplateException.class, () -> run("{{ index .L 5 }}", map("L", List.of(1))));
        assertTrue(e.getMessage().contains("error calling index: index out of range: 5"), e.getMessage());
        e = assertThrows(TemplateException.class, () -> run("{{ slice .L 2 1 }}", map("L", List.of(1, 2))));
        assertTrue(e.getMessage().contains("invalid slice index: 2 > 1"), e.getMessage());
    }

    @Test
    void printFamily() {
        assertEquals("a1 2b", run("{{ print \"a\" 1 2 \"b\" }}", null));
        assertEquals("a 1 2 b\n", run("{{ println \"a\" 1 2 \"b\" }}", null));
        assertEquals("[x] 7 \"q\\\"\" true 3.14 00042 |  ab| ab  | ff 1.500000e+00 [1 2] map[k:v]",
                run("{{ printf \"[%s] %d %q %t %.2f %05d |%4s| %-4s| %x %e %v %v\" \"x\" 7 \"q\\\"\" true 3.14159 42 \"ab\" \"ab\" 255 1.5 .L .M }}",
                        map("L", List.of(1, 2), "M", map("k", "v"))));
        assertEquals("%!d(string=x) %!s(MISSING)", run("{{ printf \"%d %s\" \"x\" }}", null));
        assertEquals("a%!(EXTRA int=1)", run("{{ printf \"a\" 1 }}", null));
        assertEquals("100%", run("{{ printf \"%d%%\" 100 }}", null));
    }

    @Test
    void escapers() {
        assertEquals("&lt;b&gt; &amp; &#34;q&#34; &#39;", run("{{ html \"<b> & \\\"q\\\" '\" }}", null));
        assertEquals("\\'a\\' \\u003Cb\\u003E", run("{{ js \"'a' <b>\" }}", null));
        assertEquals("a+b%26c%3Dd", run("{{ urlquery \"a b&c=d\" }}", null));
    }

    @Test
    void ollamaFunctions() {
        Clock clock = Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);
        GoTemplate t = GoTemplate.parse("t", "{{ currentDate }} {{ yesterdayDate }} {{ json . }}", clock, Map.of());
        assertEquals("2026-03-01 2026-02-28 {\"a\":[1,2.5,\"\\u003cx\\u003e\"],\"b\":null}",
                t.execute(map("b", null, "a", List.of(1, 2.5, "<x>"))));
        assertEquals("string | null",
                run("{{ toTypeScriptType . }}", TemplateData.property(map("type", List.of("string", "null")))));
        assertEquals("number | any[]", run("{{ toTypeScriptType . }}", TemplateData.property(
                map("anyOf", List.of(map("type", "integer"), map("type", "array"))))));
        assertEquals("any", run("{{ toTypeScriptType . }}", "not a property"));
    }

    @Test
    void parseErrorsHavePositions() {
        TemplateException e = assertThrows(TemplateException.class, () -> GoTemplate.parse("p", "line1\n  {{ .Prompt "));
        assertTrue(e.getMessage().contains("unclosed action"), e.getMessage());
        assertEquals(2, e.line());
        assertEquals(3, e.column());

        e = assertThrows(TemplateException.class, () -> GoTemplate.parse("p", "ab {{ nosuchfn .X }}"));
        assertEquals("template: p:1: function \"nosuchfn\" not defined", e.getMessage());
        assertEquals(7, e.column());

        e = assertThrows(TemplateException.class, () -> GoTemplate.parse("p", "{{ if .X }}open"));
        assertTrue(e.getMessage().contains("unexpected EOF"), e.getMessage());

        e = assertThrows(TemplateException.class, () -> GoTemplate.parse("p", "{{ end }}"));
        assertTrue(e.getMessage().contains("unexpected {{end}}"), e.getMessage());

        e = assertThrows(TemplateException.class, () -> GoTemplate.parse("p", "{{ break }}"));
        assertTrue(e.getMessage().contains("{{break}} outside {{range}}"), e.getMessage());

        e = assertThrows(TemplateException.class, () -> GoTemplate.parse("p", "{{ }}"));
        assertTrue(e.getMessage().contains("missing value for command"), e.getMessage());

        e = assertThrows(TemplateException.class, () -> GoTemplate.parse("p", "{{ .A | \"x\" }}"));
        assertTrue(e.getMessage().contains("non executable command in pipeline stage 2"), e.getMessage());
    }

    @Test
    void execErrorsHavePositions() {
        TemplateException e = assertThrows(TemplateException.class, () -> run("x\n{{ .M.Nope }}", map("M", new Msg("a", "b"))));
        assertEquals("template: t:2:5: executing \"t\" at <.M.Nope>: can't evaluate field Nope in type Msg", e.getMessage());
        assertEquals(2, e.line());
        e = assertThrows(TemplateException.class, () -> run("{{ .A.B }}", map()));
        assertTrue(e.getMessage().contains("nil pointer evaluating interface {}.B"), e.getMessage());
        e = assertThrows(TemplateException.class, () -> run("{{ template \"nope\" }}", null));
        assertTrue(e.getMessage().contains("template \"nope\" not defined"), e.getMessage());
        e = assertThrows(TemplateException.class, () -> run("{{ len 3 }}", null));
        assertTrue(e.getMessage().contains("error calling len: len of type int"), e.getMessage());
    }

    @Test
    void stringAndNumberLiterals() {
        assertEquals("€ é A\t'", run("{{ \"\\xe2\\x82\\xac \\u00e9 \\101\\t'\" }}", null));
        assertEquals("97 255 8 -3 1.5", run("{{ 'a' }} {{ 0xff }} {{ 0o10 }} {{ -3 }} {{ 1.5 }}", null));
        assertEquals("1e+21 1e-05 0.0001 123456 2.5e+06", run("{{ 1e21 }} {{ 0.00001 }} {{ 0.0001 }} {{ 123456.0 }} {{ 2.5e6 }}", null));
        assertEquals("3.1 3.14159 1.23e+08", run("{{ printf \"%.2g %g %.3g\" 3.14159 3.14159 123456789.0 }}", null));
    }

    @Test
    void whitespaceAndNewlinesInsideActions() {
        assertEquals("ab", run("{{\n  .A\n}}{{ .B\n}}", map("A", "a", "B", "b")));
        assertEquals("raw\\n", run("{{ `raw\\n` }}", null));
    }
}
