package io.jollama.engine.sample;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class JsonConstraintTest {

    static JsonConstraint fed(String text) {
        JsonConstraint c = new JsonConstraint();
        for (int i = 0; i < text.length(); i++) {
            byte[] b = String.valueOf(text.charAt(i)).getBytes(StandardCharsets.UTF_8);
            if (!c.accepts(b)) return null;
            assertTrue(c.feed(b));
        }
        return c;
    }

    @Test
    void acceptsWholeObjectsAndCompletes() {
        for (String ok : new String[]{"{}", "{\"a\": 1}", "{\n  \"a\":\n\t1\n}", "{\"a\":[1,2.5,-3e+2,0.1E5,true,false,null],\"b\":{\"c\":\"x\\n\\u00e9\"}}",
                "{\"k\":[]}", "{\"k\": [ ] }", "{\"s\":\"héllo ☃\"}", "{\"n\":0}"}) {
            JsonConstraint c = fed(ok);
            assertNotNull(c, ok);
            assertTrue(c.complete(), ok);
            assertFalse(c.accepts("x".getBytes()), "nothing after the object: " + ok);
        }
    }

    @Test
    void refusesWhatJsonDoesNot() {
        for (String bad : new String[]{"[1]", "\"x\"", "{a:1}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1,}", "{\"a\":[1,]}", "{\"a\":tru}x",
                "{\"a\":\"\u0001\"}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":\"\\x\"}", "{}}", "{\"a\":1]"}) {
            JsonConstraint c = fed(bad);
            assertTrue(c == null || !c.complete(), bad);
        }
        assertNotNull(fed("{\"a\":tr"), "a prefix is fine");
        assertFalse(fed("{\"a\":tr").complete());
    }

    @Test
    void multiByteTokensAndWhitespaceCap() {
        JsonConstraint c = new JsonConstraint();
        assertTrue(c.accepts("{\"key\": \"".getBytes(StandardCharsets.UTF_8)));
        assertFalse(c.accepts("{\"key\": }".getBytes(StandardCharsets.UTF_8)));
        assertFalse(c.accepts(new byte[0]), "empty (control) tokens never");
        assertNotNull(fed("{\n" + " ".repeat(20)));
        assertNull(fed("{\n" + " ".repeat(21)), "endless whitespace is cut off");
        assertNull(fed("{  "), "one space, or a newline and an indent");
        assertNull(fed("{\n\n"));
        assertNull(fed(" {"), "nothing before the object");
    }
}
