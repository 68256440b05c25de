package io.jollama.engine.gguf;

import io.jollama.engine.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Bad files, built byte by byte: each must fail with a GgufFormatException naming the file and the problem. */
class GgufMalformedTest {

    @TempDir
    Path dir;

    /** Little-endian byte builder for hand-made files. */
    static final class Bytes {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes u32(long v) { ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v); out.writeBytes(b.array()); return this; }
        Bytes u64(long v) { ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v); out.writeBytes(b.array()); return this; }
        Bytes f32(float v) { ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v); out.writeBytes(b.array()); return this; }
        Bytes str(String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); u64(b.length); out.writeBytes(b); return this; }
        Bytes raw(byte[] b) { out.writeBytes(b); return this; }
        Bytes header(int version, long tensors, long kvs) { return u32(GgufFile.MAGIC).u32(version).u64(tensors).u64(kvs); }
        Bytes kvString(String k, String v) { return str(k).u32(GgufValueType.STRING.id()).str(v); }
        Bytes kvU32(String k, int v) { return str(k).u32(GgufValueType.UINT32.id()).u32(v); }
        Bytes tensor(String name, long[] shape, int type, long offset) {
            str(name).u32(shape.length);
            for (long d : shape) u64(d);
            return u32(type).u64(offset);
        }
        Bytes padTo(int alignment) { while (out.size() % alignment != 0) out.write(0); return this; }
        Bytes zeros(int n) { out.writeBytes(new byte[n]); return this; }
        byte[] bytes() { return out.toByteArray(); }
    }

    /** A valid file with one F32 tensor of 4 values. */
    static byte[] validFile() {
        return new Bytes().header(3, 1, 2).kvString("general.architecture", "llama").kvU32("general.alignment", 32)
                .tensor("w", new long[]{4}, GgmlType.F32.id, 0).padTo(32).f32(1).f32(2).f32(3).f32(4).bytes();
    }

    private GgufFormatException expectBad(byte[] content, String... fragments) throws IOException {
        Path p = dir.resolve("bad-" + System.nanoTime() + ".gguf");
        Files.write(p, content);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + e.getMessage() + "' should mention '" + f + "'");
        // the header-only reader fails the same way
        assertThrows(GgufFormatException.class, () -> GgufFile.readHeader(p));
        return e;
    }

    @Test
    void validHandMadeFileReads() throws IOException {
        Path p = dir.resolve("ok.gguf");
        Files.write(p, validFile());
        try (GgufFile g = GgufFile.open(p)) {
            assertEquals(1, g.tensors().size());
            assertEquals(3f, g.tensorData("w").get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 8));
        }
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] b = validFile();
        b[0] = 'X';
        expectBad(b, "bad magic");
        expectBad("hello world, not a model".getBytes(StandardCharsets.UTF_8), "bad magic");
        expectBad(new byte[0], "too short");
    }

    @Test
    void unsupportedVersions() throws IOException {
        expectBad(new Bytes().header(1, 0, 0).bytes(), "version 1");
        expectBad(new Bytes().header(99, 0, 0).bytes(), "unsupported GGUF version 99");
        expectBad(new Bytes().u32(GgufFile.MAGIC).u32(0x03000000).u64(0).u64(0).bytes(), "big-endian");
    }

    @Test
    void everyTruncationIsReportedCleanly() throws IOException {
        byte[] full = validFile();
        for (int len = 0; len < full.length; len++) {
            byte[] cut = Arrays.copyOf(full, len);
            Path p = dir.resolve("cut" + len + ".gguf");
            Files.write(p, cut);
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close(), "prefix of " + len + " bytes");
            assertTrue(e.getMessage().contains(p.toString()));
        }
    }

    @Test
    void tensorRunningPastTheEnd() throws IOException {
        byte[] b = new Bytes().header(3, 1, 0).tensor("w", new long[]{1024}, GgmlType.F32.id, 0).padTo(32).zeros(16).bytes();
        expectBad(b, "tensor w", "runs past the end");
        byte[] offset = new Bytes().header(3, 1, 0).tensor("w", new long[]{4}, GgmlType.F32.id, 1L << 40).padTo(32).zeros(16).bytes();
        expectBad(offset, "tensor w", "runs past the end");
    }

    @Test
    void absurdCountsAndLengths() throws IOException {
        expectBad(new Bytes().header(3, Long.MAX_VALUE, 0).bytes(), "absurd tensor count");
        expectBad(new Bytes().header(3, 0, -1).bytes(), "absurd metadata count");
        expectBad(new Bytes().header(3, 0, 1).u64(1L << 50).raw(new byte[20]).bytes(), "absurd string length");
        byte[] arr = new Bytes().header(3, 0, 1).str("tokens").u32(GgufValueType.ARRAY.id()).u32(GgufValueType.STRING.id())
                .u64(1L << 40).zeros(16).bytes();
        expectBad(arr, "absurd array length", "tokens");
        expectBad(new Bytes().header(3, 1, 0).tensor("w", new long[]{1L << 32, 1L << 32, 1L << 32}, 0, 0).bytes(), "absurd shape");
        expectBad(new Bytes().header(3, 1, 0).str("w").u32(7).zeros(64).bytes(), "dimensions");
    }

    @Test
    void deeplyNestedArrays() throws IOException {
        Bytes b = new Bytes().header(3, 0, 1).str("deep").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < 40; i++) b.u32(GgufValueType.ARRAY.id()).u64(1);
        b.u32(GgufValueType.INT32.id()).u64(0);
        expectBad(b.bytes(), "nested");
    }

    @Test
    void unknownTypes() throws IOException {
        expectBad(new Bytes().header(3, 1, 0).tensor("w", new long[]{4}, 77, 0).padTo(32).zeros(16).bytes(), "unknown type 77");
        expectBad(new Bytes().header(3, 0, 1).str("k").u32(42).u32(0).bytes(), "unknown value type 42");
        expectBad(new Bytes().header(3, 1, 0).tensor("w", new long[]{33}, GgmlType.Q8_0.id, 0).padTo(32).zeros(64).bytes(), "block size");
    }

    @Test
    void duplicates() throws IOException {
        byte[] t = new Bytes().header(3, 2, 0).tensor("w", new long[]{4}, 0, 0).tensor("w", new long[]{4}, 0, 32).padTo(32).zeros(64).bytes();
        expectBad(t, "duplicate tensor name w");
        byte[] k = new Bytes().header(3, 0, 2).kvU32("a", 1).kvU32("a", 2).bytes();
        expectBad(k, "duplicate metadata key a");
    }

    @Test
    void badAlignment() throws IOException {
        expectBad(new Bytes().header(3, 0, 1).kvU32("general.alignment", 3).bytes(), "power of two");
        expectBad(new Bytes().header(3, 1, 0).tensor("w", new long[]{4}, 0, 8).padTo(32).zeros(64).bytes(), "alignment");
    }

    @Test
    void randomCorruptionNeverEscapesAsAnotherException() throws IOException {
        byte[] good = validFile();
        java.util.Random rnd = new java.util.Random(42);
        for (int i = 0; i < 500; i++) {
            byte[] b = good.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int f = 0; f < flips; f++) b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            Path p = dir.resolve("r" + i + ".gguf");
            Files.write(p, b);
            try {
                GgufFile.open(p).close();
            } catch (GgufFormatException expected) {
                // fine: a clean, named error
            }
        }
        MemorySegment.ofArray(good); // keep the reference alive
    }
}
