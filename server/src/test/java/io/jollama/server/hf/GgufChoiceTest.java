package io.jollama.server.hf;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Quant choice over a repository listing like bartowski's: exact token, shards as one, no projector files. */
class GgufChoiceTest {

    static HfFile f(String path) {
        return new HfFile(path, 10, null);
    }

    static final List<HfFile> REPO = List.of(f("README.md"), f("mmproj-Model-f16.gguf"),
            f("Model-IQ4_XS.gguf"), f("Model-Q4_K_M.gguf"), f("Model-Q4_K_S.gguf"), f("Model-Q6_K.gguf"),
            f("Q8_0/Model-Q8_0-00002-of-00002.gguf"), f("Q8_0/Model-Q8_0-00001-of-00002.gguf"),
            f("F16/Model-F16-00001-of-00003.gguf"), f("F16/Model-F16-00002-of-00003.gguf"));

    @Test
    void exactTokenFirstShardsTogetherIncompleteSetsLeftOut() {
        assertEquals(List.of("Model-Q4_K_M.gguf"), paths(GgufChoice.pick("o/r", REPO, "Q4_K_M")));
        assertEquals("mmproj-Model-f16.gguf", GgufChoice.pick("o/r", REPO, "Q4_K_M").projector().path(), "the projector, never the model");
        assertEquals(List.of("Model-Q4_K_S.gguf"), paths(GgufChoice.pick("o/r", REPO, "q4-k-s")));
        assertEquals(List.of("Model-IQ4_XS.gguf"), paths(GgufChoice.pick("o/r", REPO, "iq4_xs")));
        assertEquals(List.of("Q8_0/Model-Q8_0-00001-of-00002.gguf", "Q8_0/Model-Q8_0-00002-of-00002.gguf"),
                paths(GgufChoice.pick("o/r", REPO, "Q8_0")));
        assertEquals(List.of("Model-Q6_K.gguf"), paths(GgufChoice.pick("o/r", REPO, "Model-Q6_K.gguf")), "a file name");
        var e = assertThrows(HfException.class, () -> GgufChoice.pick("o/r", REPO, "F16")); // 2 of 3 shards
        assertEquals("repository o/r has no F16 GGUF; it has: IQ4_XS, Q4_K_M, Q4_K_S, Q6_K, Q8_0", e.getMessage());
    }

    @Test
    void documentedFallbackOrder() {
        List<HfFile> noQ4 = List.of(f("M-Q3_K_M.gguf"), f("M-Q6_K.gguf"), f("M-Q5_K_M.gguf"));
        assertEquals(List.of("M-Q6_K.gguf"), paths(GgufChoice.pick("o/r", noQ4, "Q4_K_M")));
        List<HfFile> single = List.of(f("stories-f32.gguf"), f("mmproj-x.gguf"));
        assertEquals(List.of("stories-f32.gguf"), paths(GgufChoice.pick("o/r", single, "Q4_K_M")), "the only model");
        var e = assertThrows(HfException.class, () -> GgufChoice.pick("o/r", List.of(f("mmproj-x.gguf"), f("a.txt")), "Q4_K_M"));
        assertEquals("no GGUF file", e.error());
    }

    static List<String> paths(GgufChoice c) {
        return c.files().stream().map(HfFile::path).toList();
    }
}
