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
}
