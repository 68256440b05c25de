package io.jollama.cli;

import io.jollama.engine.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class GgufCommandTest {

    record Result(int code, String out, String err) {}

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.commandLine().execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void dumpsMetadataAndTensors() {
        Result r = run("gguf", TestData.path("models/stories260K-q8_0.gguf").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("general.architecture = 'llama'"), r.out());
        assertTrue(r.out().contains("tokenizer.ggml.tokens = ['<unk>', '<s>', '</s>'"), "long arrays abbreviated: " + r.out());
        assertTrue(r.out().contains("(504 more)"));
        assertTrue(r.out().matches("(?s).*\\| Q8_0 +\\| +\\d+ \\| blk\\.0\\.attn_q\\.weight.*"), r.out());
        assertTrue(r.out().contains("* Dumping 48 tensor(s)"));
    }

    @Test
    void jsonOutput() {
        Result r = run("gguf", "--json", TestData.path("models/arch/qwen3-f32.gguf").toString());
        assertEquals(0, r.code(), r.err());
        JsonNode root = JsonMapper.builder().build().readTree(r.out());
        assertEquals("qwen3", root.get("metadata").get("general.architecture").get("value").asString());
        assertEquals(1024, root.get("metadata").get("tokenizer.ggml.tokens").get("length").asInt());
        JsonNode first = root.get("tensors").get(0);
        assertTrue(first.get("offset").asLong() > 0);
        assertEquals("F32", first.get("type").asString());
    }

    @Test
    void badFileGivesOneLineError(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.gguf");
        Files.writeString(bad, "definitely not a gguf file");
        Result r = run("gguf", bad.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("bad magic"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());

        Result missing = run("gguf", dir.resolve("nope.gguf").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("no such file"));
    }
}
