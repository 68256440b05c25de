package io.jollama.engine.gguf;

import io.jollama.engine.TestData;
import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class GgufReadWriteTest {

    static List<Path> sharedGgufs() throws IOException {
        try (Stream<Path> s = Stream.of("models", "models/arch", "vocab").flatMap(d -> {
            try {
                return Files.list(TestData.path(d));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        })) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
    }

    @Test
    void readsEverySharedFile() throws IOException {
        List<Path> files = sharedGgufs();
        assertTrue(files.size() >= 25, "expected the shared GGUFs, found " + files.size());
        for (Path p : files) {
            try (GgufFile g = GgufFile.open(p)) {
                assertTrue(g.version() == 2 || g.version() == 3, p.toString());
                assertNotNull(g.getString("general.architecture", null), p + " has no architecture");
                for (GgufTensorInfo t : g.tensors()) {
                    MemorySegment data = g.tensorData(t);
                    assertEquals(t.byteSize(), data.byteSize());
                    // touch the last byte: the mapping covers every tensor
                    data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
                }
            }
        }
    }

    @Test
    void storiesModelHasExpectedShape() throws IOException {
        try (GgufFile g = GgufFile.open(TestData.path("models/stories260K-f32.gguf"))) {
            assertEquals("llama", g.getString("general.architecture", null));
            assertEquals(64, g.getInt("llama.embedding_length", 0));
            assertEquals(5, g.getInt("llama.block_count", 0));
            assertEquals(512, g.getStrings("tokenizer.ggml.tokens").length);
            assertEquals("<s>", g.getStrings("tokenizer.ggml.tokens")[1]);
            GgufTensorInfo emb = g.tensor("token_embd.weight");
            assertArrayEquals(new long[]{64, 512}, emb.shape());
            assertEquals(GgmlType.F32, emb.type());
            assertEquals(0, (g.dataOffset() + emb.offset()) % g.alignment());
        }
    }

    @Test
    void mappedAndOffHeapReadsAreIdentical() throws IOException {
        Path p = TestData.path("models/stories260K-q8_0.gguf");
        try (GgufFile mapped = GgufFile.open(p, true); GgufFile copied = GgufFile.open(p, false)) {
            assertEquals(mapped.tensors().size(), copied.tensors().size());
            for (GgufTensorInfo t : mapped.tensors()) {
                assertEquals(-1L, mapped.tensorData(t).mismatch(copied.tensorData(t.name())), t.name());
            }
        }
    }

    @Test
    void closedFileReleasesItsMemory() throws IOException {
        GgufFile g = GgufFile.open(TestData.path("models/stories260K-f32.gguf"));
        MemorySegment s = g.tensorData("token_embd.weight");
        g.close();
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
        g.close(); // twice is harmless
    }

    @Test
    void writerRoundTripsEveryValueType(@TempDir Path dir) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", "test");
        w.put("u8", new GgufValue(GgufValueType.UINT8, (byte) 200));
        w.put("i8", new GgufValue(GgufValueType.INT8, (byte) -5));
        w.put("u16", new GgufValue(GgufValueType.UINT16, (short) 60000));
        w.put("i16", new GgufValue(GgufValueType.INT16, (short) -300));
        w.put("u32", GgufValue.ofU32(-1));
        w.put("i32", GgufValue.ofI32(-123456));
        w.put("f32", GgufValue.ofF32(1.5e-5f));
        w.put("bool", GgufValue.ofBool(true));
        w.put("str", GgufValue.of("héllo ▁ 世界"));
        w.put("u64", GgufValue.ofU64(1L << 40));
        w.put("i64", new GgufValue(GgufValueType.INT64, -7L));
        w.put("f64", new GgufValue(GgufValueType.FLOAT64, Math.PI));
        w.put("strings", GgufValue.ofStrings("a", "", "<|im_start|>"));
        w.put("floats", GgufValue.ofFloats(1f, -2f, 3.25f));
        w.put("nested", new GgufValue(GgufValueType.ARRAY, new GgufArray(GgufValueType.ARRAY, List.of(
                new GgufArray(GgufValueType.INT32, new int[]{1, 2}),
                new GgufArray(GgufValueType.STRING, new String[]{"x"})))));
        w.putU32("general.alignment", 64);
        float[] values = {1, 2, 3, 4, 5, 6, 7, 8};
        w.addTensor("a", GgmlType.F32, new long[]{4, 2}, MemorySegment.ofArray(values));
        w.addTensor("b", GgmlType.F32, new long[]{3}, MemorySegment.ofArray(new float[]{9, 10, 11}));
        w.addTensor("c", GgmlType.F32, new long[]{2}, MemorySegment.ofArray(new float[]{12, 13}));
        Path out = dir.resolve("t.gguf");
        w.write(out);

        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(3, g.version());
            assertEquals(64, g.alignment());
            assertEquals(200, g.getInt("u8", 0));
            assertEquals(-5, g.getInt("i8", 0));
            assertEquals(60000, g.getInt("u16", 0));
            assertEquals(-300, g.getInt("i16", 0));
            assertEquals(4294967295L, g.getLong("u32", 0));
            assertEquals(-123456, g.getInt("i32", 0));
            assertEquals(1.5e-5f, g.getFloat("f32", 0));
            assertTrue(g.getBool("bool", false));
            assertEquals("héllo ▁ 世界", g.getString("str", null));
            assertEquals(1L << 40, g.getLong("u64", 0));
            assertEquals(-7L, g.getLong("i64", 0));
            assertEquals(Math.PI, g.get("f64").asDouble());
            assertArrayEquals(new String[]{"a", "", "<|im_start|>"}, g.getStrings("strings"));
            assertArrayEquals(new float[]{1f, -2f, 3.25f}, g.getFloats("floats"));
            GgufArray nested = g.getArray("nested");
            assertEquals(2, nested.length());
            assertArrayEquals(new int[]{1, 2}, (int[]) ((GgufArray) nested.get(0)).values());
            assertArrayEquals(new String[]{"x"}, (String[]) ((GgufArray) nested.get(1)).values());
            float[] back = new float[8];
            MemorySegment.copy(g.tensorData("a"), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, back, 0, 8);
            assertArrayEquals(values, back);
            for (GgufTensorInfo t : g.tensors()) assertEquals(0, (g.dataOffset() + t.offset()) % 64, t.name());
            assertEquals(13f, g.tensorData("c").get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4));
        }
    }

    @Test
    void rewritingASharedModelKeepsEverything(@TempDir Path dir) throws IOException {
        Path src = TestData.path("models/arch/llama-spm-q4_k_m.gguf");
        Path out = dir.resolve("copy.gguf");
        try (GgufFile g = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter().putAll(g.metadata());
            for (GgufTensorInfo t : g.tensors()) w.addTensor(t.name(), t.type(), t.shape(), g.tensorData(t));
            w.write(out);
            try (GgufFile back = GgufFile.open(out)) {
                assertEquals(g.metadata().keySet(), back.metadata().keySet());
                for (var e : g.metadata().entrySet()) {
                    GgufValue a = e.getValue(), b = back.get(e.getKey());
                    assertEquals(a.type(), b.type(), e.getKey());
                    if (a.value() instanceof GgufArray arr) {
                        GgufArray brr = (GgufArray) b.value();
                        assertEquals(arr.length(), brr.length(), e.getKey());
                        for (int i = 0; i < arr.length(); i++) assertEquals(arr.get(i), brr.get(i), e.getKey());
                    } else {
                        assertEquals(a.value(), b.value(), e.getKey());
                    }
                }
                for (GgufTensorInfo t : g.tensors()) {
                    Tensor x = Tensor.of(back, t.name());
                    assertEquals(t.type(), x.type());
                    assertArrayEquals(t.shape(), x.shape());
                    assertEquals(-1L, g.tensorData(t).mismatch(x.data()), t.name());
                }
            }
        }
        // the same layout as llama.cpp's writer: identical bytes
        assertEquals(-1L, Files.mismatch(src, out), "rewritten file differs from llama.cpp's");
    }
}
