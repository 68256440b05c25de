package io.jollama.engine.gguf;

import io.jollama.engine.TestData;
import io.jollama.engine.runner.GenerateOptions;
import io.jollama.engine.runner.Runner;
import io.jollama.engine.runner.Sequence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model split over llama.cpp-style shards reads and generates exactly like the single file it came from. */
class GgufSplitTest {

    @TempDir
    Path dir;

    static final Path STORIES = TestData.path("models/stories260K-f32.gguf");

    private static int[] greedy(Runner runner) {
        int[] prompt = runner.tokenizer().encode("Once upon a time", true, true);
        try (Sequence s = runner.newSequence()) {
            return s.generate(prompt, GenerateOptions.greedy(16), x -> {}, () -> false).context();
        }
    }

    @Test
    void shardsReadAsOneFileWithEveryTensorsBytes() throws Exception {
        List<Path> shards = GgufSplitter.split(STORIES, dir, "stories", 3);
        try (GgufFile whole = GgufFile.open(STORIES); GgufFile split = GgufFile.openSplit(shards, true)) {
            assertEquals(whole.tensors().size(), split.tensors().size());
            assertEquals(whole.getString("tokenizer.ggml.model", ""), split.getString("tokenizer.ggml.model", "?"));
            for (GgufTensorInfo t : whole.tensors()) {
                assertArrayEquals(whole.tensorData(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        split.tensorData(split.tensor(t.name())).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), t.name());
            }
        }
        // the first shard by its llama.cpp name finds its siblings
        try (GgufFile byName = GgufFile.open(shards.getFirst())) {
            assertEquals(3, byName.getInt("split.count", 0));
            assertTrue(byName.hasTensor("output.weight") || byName.hasTensor("token_embd.weight"));
            try (GgufFile whole = GgufFile.open(STORIES)) {
                assertEquals(whole.tensors().size(), byName.tensors().size());
            }
        }
    }

    @Test
    void splitModelGeneratesLikeTheWholeFile() throws Exception {
        List<Path> shards = GgufSplitter.split(STORIES, dir, "stories", 2);
        int[] whole, split;
        try (Runner r = Runner.load(STORIES, 128, 64, true)) {
            whole = greedy(r);
        }
        try (Runner r = Runner.load(shards, 128, 64, false, io.jollama.engine.model.KvCache.Type.F16)) {
            split = greedy(r);
        }
        assertArrayEquals(whole, split);
    }

    @Test
    void missingOrMisorderedShardsAreClearErrors() throws Exception {
        List<Path> shards = GgufSplitter.split(STORIES, dir, "stories", 3);
        var e = assertThrows(GgufFormatException.class, () -> GgufFile.openSplit(shards.subList(0, 2), true));
        assertTrue(e.getMessage().contains("split.count is 3 but 2 shards were given"), e.getMessage());
        e = assertThrows(GgufFormatException.class,
                () -> GgufFile.openSplit(List.of(shards.get(0), shards.get(2), shards.get(1)), true));
        assertTrue(e.getMessage().contains("expected shard 2 of 3"), e.getMessage());
        Files.delete(shards.get(2));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> GgufFile.open(shards.getFirst()));
    }
}
