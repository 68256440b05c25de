package io.jollama.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreTokenizerTest {

    static final List<String> NAMES = List.of("default", "llama3", "llama-bpe", "dbrx", "deepseek-llm", "deepseek-coder",
            "deepseek-v3", "falcon", "mpt", "gpt-2", "phi-2", "starcoder", "smollm", "command-r", "qwen2", "stablelm2",
            "tekken", "gpt-4o", "llama4", "poro-chat", "bloom", "viking", "glm4", "seed-coder", "bailingmoe", "qwen35",
            "jais-2", "spark2_5", "youtu", "granite-embed-multi-97m", "tiny_aya", "ufakzeka", "laguna", "exaone-moe",
            "minicpm5", "chameleon", "olmo", "trillion", "grok-2");

    static final String KITCHEN_SINK = "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n\uD83D\uDE80 (normal) \uD83D\uDE36\u200D\uD83C\uDF2B\uFE0F "
            + "(multiple emojis concatenated) \u2705 \uD83E\uDD99\uD83E\uDD99 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 "
            + "\u1780\u17B6\u1793\u17CB\u178F\u17C2\u1796\u17B7\u179F\u17C1\u179F\u17A2\u17B6\u1785\u1781\u179B\u1785\u17C1\u1789 "
            + "\uD83D\uDE01 ?\u6211\u60F3\u5728apple\u5DE5\u4F5C1314151\u5929\uFF5E ------======= \u043D\u0435\u0449\u043E \u043D\u0430 "
            + "\u0411\u044A\u043B\u0433\u0430\u0440\u0441\u043A\u0438 ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, "
            + "'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL \u00C4pfel caf\u00E9 \u00B5 \u2126 \u212A";

    @Test
    void everyPreTokenizerSplitsWithoutLosingText() {
        String encoded = Unicode.byteEncode(KITCHEN_SINK);
        for (String name : NAMES) {
            PreTokenizer.Config c = PreTokenizer.forName(name);
            List<String> words = new PreTokenizer(c.regexes()).split(KITCHEN_SINK);
            assertEquals(encoded, String.join("", words), name + ": the words put together give the text");
            assertTrue(words.size() > 20, name + ": splits the text (" + words.size() + " words)");
            assertFalse(words.contains(""), name + ": no empty words");
        }
    }

    @Test
    void gpt2SplitsLikeTheRegex() {
        List<String> words = new PreTokenizer(List.of(PreTokenizer.GPT2)).split("Hello world's  end 42!!\n\n");
        assertEquals(List.of("Hello", "Ġworld", "'s", "Ġ", "Ġend", "Ġ42", "!!", "ĊĊ"), words);
    }

    @Test
    void llama3SplitsLikeTheRegex() {
        List<String> words = new PreTokenizer(List.of(PreTokenizer.LLAMA3)).split("I'VE 12345 ok?\n\n  x");
        assertEquals(List.of("I", "'VE", "Ġ", "123", "45", "Ġok", "?ĊĊ", "Ġ", "Ġx"), words);
    }

    @Test
    void unknownNamesAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> PreTokenizer.forName("kimi-k2"));
        assertTrue(e.getMessage().contains("'kimi-k2'"));
    }
}
