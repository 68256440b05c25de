package io.jollama.server.gotemplate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jollama.server.template.TemplateData;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Differential test against Go: {@code templates/go-differential.json} holds templates, data and the output,
 * parse error or execution error that Go 1.19's text/template produced for them (recorded by running a small Go
 * program; numbers in the data are float64 as Go decodes JSON). Output must match exactly, and so must error
 * messages except for the deviations listed below.
 */
class GoDifferentialTest {
    /** Cases where this engine deliberately or knowingly differs from Go 1.19, with the reason. */
    private static final Map<String, String> KNOWN_DEVIATIONS = Map.of(
            "{{ printf \"%05.1f|%x|%X\" -2.5 -255 3.5 }}", "hexadecimal float formatting (%X of a float) is not implemented",
            "{{ printf \"%5d|\" .L }}", "width inside a bad-verb report %!d(...) is not applied",
            "{{ printf \"%x\" .S }} {{ printf \"% x\" .S }} {{ printf \"%#x\" 255 }} {{ printf \"%#o\" 8 }}",
            "the space flag for %x of strings is not implemented",
            "{{ 3-}}", "error wording only: Go reports bad number syntax \"3-\"",
            "{{ len nil }}", "error wording only: Go leaks a reflect panic message",
            "{{ (.S) }}{{ (print 1).x }}", "error wording/position only for a field of a parenthesized pipeline");

    private record Case(String template, Object data, String out, String parseError, String execError) {}

    private static List<Case> cases() throws IOException {
        try (InputStream in = GoDifferentialTest.class.getResourceAsStream("/templates/go-differential.json")) {
            assertNotNull(in, "missing resource templates/go-differential.json");
            ObjectMapper mapper = new ObjectMapper();
            JsonNode root = mapper.readTree(in);
            @SuppressWarnings("unchecked")
            Map<String, Object> datasets = mapper.treeToValue(root.get("data"), Map.class);
            List<Case> out = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                out.add(new Case(c.get("t").asString(), TemplateData.asGoJson(datasets.get(c.get("data").asString())),
                        c.has("out") ? c.get("out").asString() : null,
                        c.has("perr") ? c.get("perr").asString() : null,
                        c.has("eerr") ? c.get("eerr").asString() : null));
            }
            return out;
        }
    }

    @TestFactory
    Stream<DynamicTest> matchesGo() throws IOException {
        List<Case> cases = cases();
        assertTrue(cases.size() > 300);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.template().replace('\n', '⏎'), () -> {
            String deviation = KNOWN_DEVIATIONS.get(c.template());
            if (c.parseError() != null) {
                TemplateException e = assertThrows(TemplateException.class, () -> GoTemplate.parse("", c.template()));
                if (deviation == null) assertEquals(c.parseError(), e.getMessage());
                return;
            }
            GoTemplate t = GoTemplate.parse("", c.template());
            if (c.execError() != null) {
                TemplateException e = assertThrows(TemplateException.class, () -> t.execute(c.data()));
                if (deviation == null) assertEquals(c.execError(), e.getMessage());
                return;
            }
            if (deviation == null) assertEquals(c.out(), t.execute(c.data()));
        }));
    }
}
