package io.jollama.server.schema;

import io.jollama.engine.grammar.Grammar;
import io.jollama.engine.grammar.GrammarMatcher;
import io.jollama.server.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The grammars of JSON schemas against llama.cpp's own conversion (the .gbnf files beside the schemas in the test
 * resources were printed by llama.cpp's examples/json_schema_to_grammar.py), the language they accept, and the
 * refusal of what the conversion cannot honour.
 */
class SchemaGrammarTest {

    static String resource(String name) throws IOException {
        try (InputStream in = SchemaGrammarTest.class.getResourceAsStream("/schema/" + name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static Object schema(String json) {
        return Json.MAPPER.readValue(json, Object.class);
    }

    static boolean accepts(String gbnf, String text) {
        GrammarMatcher m = new GrammarMatcher(Grammar.parse(gbnf));
        int s = m.advance(m.start(), text.getBytes(StandardCharsets.UTF_8));
        return s != GrammarMatcher.DEAD && m.accepting(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"person", "enums", "refs", "formats", "unions", "optional", "array", "additional", "nested"})
    void sameGrammarAsLlamaCpp(String name) throws IOException {
        String ours = SchemaGrammar.gbnf(schema(resource(name + ".json")));
        assertEquals(resource(name + ".gbnf").strip(), ours.strip(), name);
        Grammar g = Grammar.parse(ours);
        assertEquals(g.toGbnf().lines().sorted().toList(), Grammar.parse(g.toGbnf()).toGbnf().lines().sorted().toList(),
                "toGbnf reads back as the same grammar");
    }

    @Test
    void propertiesInSchemaOrderRequiredFirst() throws IOException {
        String g = SchemaGrammar.gbnf(schema(resource("optional.json"))); // a, b, c, d; required c and a
        assertTrue(accepts(g, "{\"a\": \"x\", \"c\": true}"));
        assertTrue(accepts(g, "{\"a\":\"x\",\"c\":false,\"b\":12,\"d\":null}"));
        assertTrue(accepts(g, "{ \"a\": \"\", \"c\": true, \"d\": null }"));
        assertFalse(accepts(g, "{\"c\": true, \"a\": \"x\"}"), "required ones in schema order");
        assertFalse(accepts(g, "{\"a\":\"x\",\"c\":true,\"d\":null,\"b\":1}"), "optional ones in schema order");
        assertFalse(accepts(g, "{\"a\":\"x\"}"), "c is required");
        assertFalse(accepts(g, "{\"a\":\"x\",\"c\":true,\"e\":1}"), "no other properties by default");
        assertFalse(accepts(g, "{\"a\":\"xxxxxx\",\"c\":true}"), "maxLength 5");
    }

    @Test
    void additionalPropertiesEnumsAndBounds() throws IOException {
        String g = SchemaGrammar.gbnf(schema(resource("additional.json")));
        assertTrue(accepts(g, "{\"id\": 7, \"x\": -5, \"yy\": 5}"));
        assertTrue(accepts(g, "{\"id\": 7, \"note\": \"hi\", \"x\": 0}"));
        assertFalse(accepts(g, "{\"id\": 7, \"x\": 6}"), "additional values are integers in -5..5");
        assertFalse(accepts(g, "{\"id\": 0}"), "minimum 1");
        assertFalse(accepts(g, "{\"id\": 1, \"id\": 2}"), "a declared name is not an additional property");
        String e = SchemaGrammar.gbnf(schema(resource("enums.json")));
        assertTrue(accepts(e, "{\"color\": \"green\", \"kind\": \"fixed\", \"ok\": true, \"score\": -1.5e3, \"level\": null}"));
        assertFalse(accepts(e, "{\"color\": \"pink\", \"kind\": \"fixed\", \"ok\": true}"));
        assertFalse(accepts(e, "{\"color\": \"red\", \"kind\": \"fluid\", \"ok\": true}"));
        String a = SchemaGrammar.gbnf(schema(resource("array.json")));
        assertTrue(accepts(a, "[-999, 0, 999]"));
        assertFalse(accepts(a, "[1000, 0]"), "exclusive maximum");
        assertFalse(accepts(a, "[1]"), "minItems 2");
        assertFalse(accepts(a, "[1,2,3,4,5]"), "maxItems 4");
        String f = SchemaGrammar.gbnf(schema(resource("formats.json")));
        assertTrue(accepts(f, "{\"day\": \"2026-12-05\", \"at\": \"07:25:00Z\", \"when\": \"2026-12-05T07:25:00.123+01:00\", "
                + "\"id\": \"123e4567-e89b-12d3-a456-426614174000\"}"));
        assertFalse(accepts(f, "{\"day\": \"2026-13-05\", \"at\": \"07:25:00Z\", \"when\": \"2026-12-05T07:25:00Z\", "
                + "\"id\": \"123e4567-e89b-12d3-a456-426614174000\"}"));
    }

    @Test
    void patternsStayValidJson() {
        String g = SchemaGrammar.gbnf(schema("{\"type\":\"string\",\"pattern\":\"^a.\\\\d{2}(?:x|\\\"y\\\")[^a]\\\\.$\"}"));
        assertTrue(accepts(g, "\"ab12x!.\""), g);
        assertTrue(accepts(g, "\"a 12\\\"y\\\"b.\""), "a quote of the pattern is written escaped: " + g);
        assertFalse(accepts(g, "\"a\"12x!.\""), ". never matches a raw quote");
        assertFalse(accepts(g, "\"ab12x\\\\.\""), "[^a] never matches a raw backslash");
        assertFalse(accepts(g, "\"abc2x!.\""), "\\d is a digit");
        String refs = SchemaGrammar.gbnf(schema("{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
                + "\"next\":{\"anyOf\":[{\"$ref\":\"#/$defs/node\"},{\"type\":\"null\"}]}},\"required\":[\"v\",\"next\"]}},\"$ref\":\"#/$defs/node\"}"));
        assertTrue(accepts(refs, "{\"v\":1,\"next\":{\"v\":2,\"next\":{\"v\":3,\"next\":null}}}"), "a recursive $ref");
    }

    @Test
    void keywordsOfOtherTypesConstrainNothing() {
        String g = SchemaGrammar.gbnf(schema("{\"type\":[\"string\",\"null\"],\"maxLength\":2}"));
        assertTrue(accepts(g, "\"ab\""));
        assertTrue(accepts(g, "null"));
        assertFalse(accepts(g, "\"abc\""));
        assertTrue(accepts(SchemaGrammar.gbnf(schema("{\"type\":\"integer\",\"minLength\":3,\"items\":{}}")), "7"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchemaGrammar.gbnf(schema("{\"maxLength\":3}")));
        assertEquals("JSON schema feature not supported in format: \"maxLength\" without \"type\": \"string\"", e.getMessage());
    }
}
