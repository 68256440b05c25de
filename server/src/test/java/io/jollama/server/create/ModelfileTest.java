package io.jollama.server.create;

import io.jollama.server.create.Modelfile.Command;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Spec §5.1/§5.2: the Modelfile grammar with the cases of Ollama's parser_test.go. */
class ModelfileTest {

    private static List<Command> parse(String s) throws Modelfile.ParseException {
        return Modelfile.parse(s).commands();
    }

    private static String error(String s) {
        return assertThrows(Modelfile.ParseException.class, () -> Modelfile.parse(s)).getMessage();
    }

    @Test
    void fromArguments() throws Exception {
        assertEquals(List.of(new Command("model", "FOO  BAR  ")), parse("FROM \"FOO  BAR  \""));
        assertEquals(List.of(new Command("model", "FOOO BAR")), parse("FROM     FOOO BAR    "));
        assertEquals(List.of(new Command("model", "/what/is/the path")), parse("FROM /what/is/the path "));
        assertEquals(List.of(new Command("model", "llama3:7b-instruct-q4_K_M")), parse("FROM llama3:7b-instruct-q4_K_M"));
    }

    @Test
    void fullFile() throws Exception {
        String in = """
                FROM model1
                ADAPTER adapter1
                LICENSE MIT
                PARAMETER param1 value1
                PARAMETER param2 value2
                TEMPLATE \"""{{ if .System }}<|start_header_id|>system<|end_header_id|>

                {{ .System }}<|eot_id|>{{ end }}\"""
                """;
        assertEquals(List.of(new Command("model", "model1"), new Command("adapter", "adapter1"), new Command("license", "MIT"),
                new Command("param1", "value1"), new Command("param2", "value2"),
                new Command("template", "{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}")),
                parse(in));
    }

    @Test
    void noFrom() {
        assertEquals("no FROM line", error(""));
        assertEquals("no FROM line", error("PARAMETER param1 value1"));
    }

    @Test
    void orderIsKept() throws Exception {
        assertEquals(List.of(new Command("param1", "value1"), new Command("model", "foo")), parse("PARAMETER param1 value1\nFROM foo"));
        assertEquals(List.of(new Command("what", "the"), new Command("model", "lemons make lemonade")),
                parse("PARAMETER what the \nFROM lemons make lemonade "));
    }

    @Test
    void missingValues() {
        assertTrue(error("\nFROM foo\nPARAMETER param1\n").startsWith("unexpected EOF"));
        assertEquals("unexpected EOF: param1", error("\nFROM foo\nPARAMETER param1\n"));
        assertTrue(error("\nFROM foo\nMESSAGE system\n").startsWith("unexpected EOF"));
        assertEquals("unexpected EOF", error("\nFROM foo\nMESSAGE system"));
    }

    @Test
    void badCommandHasLineNumber() {
        assertEquals("(line 3): " + Modelfile.INVALID_COMMAND, error("\nFROM foo\nBADCOMMAND param1 value1\n"));
        assertEquals("(line 3): " + Modelfile.INVALID_COMMAND, error("FROM foo\nSYSTEM\n"));
        assertEquals("(line 1): " + Modelfile.INVALID_COMMAND, error("FROM1 foo\n"));
    }

    @Test
    void rendererAndParser() throws Exception {
        assertEquals(List.of(new Command("model", "foo"), new Command("renderer", "renderer1")), parse("\nFROM foo\nRENDERER renderer1\n"));
        assertEquals(List.of(new Command("model", "foo"), new Command("parser", "parser1")), parse("\nFROM foo\nPARSER parser1\n"));
    }

    @Test
    void messages() throws Exception {
        assertEquals(List.of(new Command("model", "foo"), new Command("message", "system: You are a file parser. Always parse things.")),
                parse("\nFROM foo\nMESSAGE system You are a file parser. Always parse things.\n"));
        assertEquals(List.of(new Command("model", "foo"), new Command("message", "system: \nYou are a multiline file parser. Always parse things.\n")),
                parse("\nFROM foo\nMESSAGE system \"\"\"\nYou are a multiline file parser. Always parse things.\n\"\"\"\n"));
        assertEquals(List.of(new Command("model", "foo"), new Command("message", "user: Hey there!"), new Command("message", "assistant: Hello, I want to parse all the things!")),
                parse("\nFROM foo\nMESSAGE user Hey there!\nMESSAGE assistant Hello, I want to parse all the things!\n"));
        assertEquals("(line 3): " + Modelfile.INVALID_ROLE, error("\nFROM foo\nMESSAGE badguy I'm a bad guy!\n"));
    }

    @Test
    void quoting() throws Exception {
        String[][] cases = {
                {"SYSTEM \"\"\"\nThis is a\nmultiline system.\n\"\"\"", "\nThis is a\nmultiline system.\n"},
                {"SYSTEM \"\"\"This is a\nmultiline system.\"\"\"", "This is a\nmultiline system."},
                {"SYSTEM \"\"\"This is a multiline system.\"\"\"", "This is a multiline system."},
                {"SYSTEM \"\"\"\nThis is a multiline system with \"quotes\".\n\"\"\"", "\nThis is a multiline system with \"quotes\".\n"},
                {"SYSTEM \"\"\"\"\"\"", ""},
                {"SYSTEM \"\"", ""},
                {"SYSTEM \"'\"", "'"},
                {"SYSTEM \"\"\"''\"'\"\"'\"\"'\"'''''\"\"'\"\"'\"\"\"", "''\"'\"\"'\"\"'\"'''''\"\"'\"\"'"},
                {"TEMPLATE \"\"\"   {{ .Prompt }}   \"\"\"    ", "   {{ .Prompt }}   "},
                {"LICENSE \"MIT       \"", "MIT       "},
        };
        for (String[] c : cases) {
            List<Command> cmds = parse("FROM foo\n" + c[0]);
            assertEquals(2, cmds.size(), c[0]);
            assertEquals(c[1], cmds.get(1).args(), c[0]);
        }
    }

    @Test
    void unclosedQuotes() {
        assertEquals("unexpected EOF", error("FROM foo\nSYSTEM \"\"\"This is a multiline system.\"\""));
        assertEquals("unexpected EOF", error("FROM foo\nSYSTEM \""));
    }

    @Test
    void stopParameters() throws Exception {
        assertEquals("### User:", parse("FROM foo\nPARAMETER stop ### User:").get(1).args());
        assertEquals("### User:", parse("FROM foo\nPARAMETER stop ### User: ").get(1).args());
        assertEquals("### User: ", parse("FROM foo\nPARAMETER stop \"### User: \"").get(1).args());
        assertEquals("### User:\n", parse("FROM foo\nPARAMETER stop \"\"\"### User:\n\"\"\"").get(1).args());
        assertEquals("<|eot_id|>", parse("FROM foo\nPARAMETER stop <|eot_id|>").get(1).args());
        assertEquals("stop", parse("FROM foo\nPARAMETER stop <|eot_id|>").get(1).name());
    }

    @Test
    void commentsAndCase() throws Exception {
        assertEquals(List.of(new Command("model", "foo")), parse("# comment\nFROM foo"));
        assertEquals(List.of(new Command("model", "foo"), new Command("system", "hi")), parse("from foo\nsYsTeM hi"));
        assertEquals(List.of(new Command("model", "foo"), new Command("system", "a # b")), parse("FROM foo\nSYSTEM a # b"));
    }

    @Test
    void utf8AndUtf16() throws Exception {
        String text = "FROM test\n\tSYSTEM 你好👋";
        List<Command> want = List.of(new Command("model", "test"), new Command("system", "你好👋"));
        assertEquals(want, Modelfile.parse(text.getBytes(StandardCharsets.UTF_8)).commands());
        byte[] le = text.getBytes(StandardCharsets.UTF_16LE), be = text.getBytes(StandardCharsets.UTF_16BE);
        byte[] le2 = new byte[le.length + 2], be2 = new byte[be.length + 2];
        le2[0] = (byte) 0xFF; le2[1] = (byte) 0xFE; System.arraycopy(le, 0, le2, 2, le.length);
        be2[0] = (byte) 0xFE; be2[1] = (byte) 0xFF; System.arraycopy(be, 0, be2, 2, be.length);
        assertEquals(want, Modelfile.parse(le2).commands());
        assertEquals(want, Modelfile.parse(be2).commands());
    }

    @Test
    void printsAndParsesBack() throws Exception {
        String in = """
                FROM llama3
                ADAPTER adapter1
                LICENSE ""\"
                Very long and boring legal text.
                Blah blah blah.
                "Oh look, a quote!"
                ""\"

                PARAMETER param1 value1
                PARAMETER param2 value2
                PARAMETER stop " ### User: "
                TEMPLATE ""\"{{ if .System }}<|start_header_id|>system<|end_header_id|>

                {{ .System }}<|eot_id|>{{ end }}""\"
                SYSTEM "  leading spaces"
                MESSAGE user "multi
                line"
                MESSAGE assistant Hi!
                """;
        Modelfile first = Modelfile.parse(in);
        Modelfile second = Modelfile.parse(first.toString());
        assertEquals(first.commands(), second.commands());
        assertTrue(first.toString().contains("PARAMETER stop \" ### User: \"\n"), first.toString());
        assertTrue(first.toString().contains("MESSAGE assistant Hi!\n"));
    }
}
