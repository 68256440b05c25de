package io.jollama.engine.grammar;

import io.jollama.engine.TestData;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** GBNF parsing, the byte automaton (repetitions, classes, UTF-8) and the allowed-token masks over real vocabularies. */
class GrammarTest {

    static boolean accepts(Grammar g, String text) {
        GrammarMatcher m = new GrammarMatcher(g);
        int s = m.advance(m.start(), text.getBytes(StandardCharsets.UTF_8));
        return s != GrammarMatcher.DEAD && m.accepting(s);
    }

    static boolean prefix(Grammar g, byte[] bytes) {
        GrammarMatcher m = new GrammarMatcher(g);
        return m.advance(m.start(), bytes) != GrammarMatcher.DEAD;
    }

    @Test
    void repetitionsAlternativesAndClasses() {
        Grammar g = Grammar.parse("""
                # a comment
                root ::= "{" space item ("," space item){0,2} space "}"
                item ::= [a-c]+ | "n" [0-9]{2,3} | "-"? "x"
                space ::= | " " | "\\n"{1,2} [ \\t]{0,2}
                """);
        for (String ok : new String[]{"{a}", "{ abc,n12,\n\n\t x}", "{-x,x,cc}", "{n123}"}) assertTrue(accepts(g, ok), ok);
        for (String bad : new String[]{"{}", "{a,b,c,a}", "{n1}", "{n1234}", "{d}", "{a,}", "{\n\n\n a}", "{a}x", "{ \n a}"}) {
            assertFalse(accepts(g, bad), bad);
        }
        assertTrue(prefix(g, "{ab".getBytes()), "a prefix continues");
        assertFalse(accepts(g, "{ab"), "but is not complete");
    }

    @Test
    void finishedOnlyWhenNothingMayFollow() {
        Grammar g = Grammar.parse("root ::= \"a\" [0-9]*\n");
        GrammarMatcher m = new GrammarMatcher(g);
        int s = m.advance(m.start(), "a1".getBytes());
        assertTrue(m.accepting(s));
        assertFalse(m.finished(s), "more digits may follow");
        GrammarMatcher m2 = new GrammarMatcher(Grammar.parse("root ::= \"ab\"\n"));
        assertTrue(m2.finished(m2.advance(m2.start(), "ab".getBytes())));
    }

    @Test
    void utf8AcrossTokensAndNegatedClasses() {
        Grammar g = Grammar.parse("root ::= \"\\\"\" [^\"\\\\\\x00-\\x1F]* \"\\\"\"\n");
        assertTrue(accepts(g, "\"héllo ☃ 😀\""));
        assertFalse(accepts(g, "\"a\nb\""));
        byte[] snow = "☃".getBytes(StandardCharsets.UTF_8);
        GrammarMatcher m = new GrammarMatcher(g);
        int s = m.advance(m.start(), new byte[]{'"', snow[0]});
        assertNotEquals(GrammarMatcher.DEAD, s, "half a character is a valid prefix");
        assertFalse(m.accepting(s));
        s = m.advance(s, Arrays.copyOfRange(snow, 1, 3));
        assertNotEquals(GrammarMatcher.DEAD, s);
        assertTrue(m.accepting(m.advance(s, new byte[]{'"'})));
        assertEquals(GrammarMatcher.DEAD, m.advance(m.start(), new byte[]{'"', (byte) 0xC1, (byte) 0x81}), "overlong forms never");
        assertEquals(GrammarMatcher.DEAD, m.advance(m.start(), new byte[]{'"', (byte) 0xE2, 'a'}), "a broken sequence never");

        Grammar ascii = Grammar.parse("root ::= [a-z]+\n");
        assertFalse(prefix(ascii, new byte[]{(byte) 0xC3}), "no multi-byte character can follow");
        Grammar e = Grammar.parse("root ::= [à-ÿ]\n");
        assertTrue(accepts(e, "é"));
        assertFalse(prefix(e, new byte[]{(byte) 0xE2}), "no three-byte character is in [à-ÿ]");
    }

    @Test
    void errorsNameTheProblem() {
        assertEquals("grammar has no root rule", assertThrows(IllegalArgumentException.class, () -> Grammar.parse("a ::= \"x\"\n")).getMessage());
        assertEquals("grammar rule b is used but not defined", assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= b\n")).getMessage());
        assertEquals("left recursion in grammar rule root", assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= root \"a\" | \"b\"\n")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= \"a\n")).getMessage().startsWith("grammar: unterminated literal"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Grammar.parse("root ::= [a-z\n")).getMessage().startsWith("grammar: unterminated character class"));
    }

    @Test
    void toGbnfParsesBackToTheSameLanguage() {
        Grammar g = Grammar.parse("root ::= (\"ab\" | [^x-z\\]]){1,3} \"\\\"\" [\\x00-\\x1F] .\n");
        Grammar again = Grammar.parse(g.toGbnf());
        for (String s : new String[]{"ab\"\n€", "q]ab\"\ta", "abababab\"\na", "x\"\na", "\"\na"}) {
            assertEquals(accepts(g, s), accepts(again, s), s);
        }
        assertTrue(accepts(again, "qab\"\ta"));
        assertFalse(accepts(again, "q]ab\"\ta"), "] is excluded");
    }

    /** The token whose text is exactly this ASCII character. */
    static int tokenOf(Tokenizer t, char c) {
        for (int id = 0; id < t.vocabSize(); id++) {
            byte[] b = t.tokenBytes(id);
            if (b.length == 1 && b[0] == c && !t.isEog(id)) return id;
        }
        throw new AssertionError("no token for " + c);
    }

    /** Every allowed token keeps the output a prefix of the language, every refused one does not, over real vocabularies. */
    @Test
    void masksAgreeWithTheGrammarTokenByToken() throws Exception {
        Grammar g = Grammar.parse("""
                root ::= "{" space "\\"name\\"" space ":" space string space "}"
                string ::= "\\"" char* "\\""
                char ::= [^"\\\\\\x7F\\x00-\\x1F] | [\\\\] (["\\\\bfnrt] | "u" [0-9a-fA-F]{4})
                space ::= | " " | "\\n" [ \\t]{0,4}
                """);
        for (String file : new String[]{"models/stories260K-f32.gguf", "vocab/ggml-vocab-llama-bpe.gguf"}) {
            Tokenizer t;
            try (GgufFile f = GgufFile.open(TestData.dir().resolve(file))) {
                t = Tokenizer.fromGguf(f);
            }
            TokenTrie trie = TokenTrie.of(t);
            assertSame(trie, TokenTrie.of(t), "built once per tokenizer");
            int vocab = t.vocabSize();
            float[] logits = new float[vocab], out = new float[vocab];
            for (String prefix : new String[]{"", "{", "{ \"name\":", "{\"name\": \"Li", "{\"name\":\"a\\u00", "{\"name\":\"x\""}) {
                GrammarConstraint c = new GrammarConstraint(g, trie);
                GrammarMatcher m = new GrammarMatcher(g);
                int state = m.advance(m.start(), prefix.getBytes(StandardCharsets.UTF_8));
                for (char ch : prefix.toCharArray()) c.accept(tokenOf(t, ch));
                assertTrue(c.mask(logits, vocab, out), prefix);
                int allowed = 0;
                for (int id = 0; id < vocab; id++) {
                    byte[] bytes = t.tokenBytes(id);
                    boolean expect = t.isEog(id) ? m.accepting(state) : bytes.length > 0 && m.advance(state, bytes) != GrammarMatcher.DEAD;
                    assertEquals(expect, out[id] == 0f, file + " after '" + prefix + "': token " + id + " " + t.tokenText(id));
                    if (expect) allowed++;
                }
                assertTrue(allowed > 0);
            }
            GrammarConstraint done = new GrammarConstraint(g, trie);
            for (char ch : "{\"name\":\"x\"}".toCharArray()) done.accept(tokenOf(t, ch));
            assertTrue(done.finished());
        }
    }

    @Test
    void compactionKeepsTheCurrentState() {
        Grammar g = Grammar.parse("root ::= \"[\" [a-z]{0,300} \"]\"\n");
        GrammarMatcher m = new GrammarMatcher(g, 20);
        int s = m.advance(m.start(), "[".getBytes());
        for (int i = 0; i < 300; i++) {
            s = m.compact(m.advance(s, new byte[]{(byte) ('a' + i % 26)}));
            assertNotEquals(GrammarMatcher.DEAD, s);
            assertTrue(m.stateCount() <= 22, "rebuilt from the current state when it grows");
        }
        assertEquals(GrammarMatcher.DEAD, m.advance(s, "a".getBytes()), "at most 300 letters");
        assertTrue(m.finished(m.advance(s, "]".getBytes())));
    }
}
