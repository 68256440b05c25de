package io.jollama.engine.gguf;


import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF version 3 file: metadata in insertion order, the tensor table, then the tensor data, each tensor
 * padded to the alignment ({@code general.alignment} if set, else 32), as llama.cpp's gguf writer lays it out.
 * The file is written under a temporary name beside the target and renamed into place when complete.
 */
public final class GgufWriter {

    /** Supplies a tensor's bytes when the data section is written (so big tensors need not all be in memory). */
    @FunctionalInterface
    public interface TensorSource {
        MemorySegment bytes() throws IOException;
    }

    private record PendingTensor(String name, long[] shape, GgmlType type, long size, TensorSource source) {}

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putAll(Map<String, GgufValue> values) {
        metadata.putAll(values);
        return this;
    }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    public GgufWriter put(String key, String value) { return put(key, GgufValue.of(value)); }
    public GgufWriter putU32(String key, int value) { return put(key, GgufValue.ofU32(value)); }
    public GgufWriter putF32(String key, float value) { return put(key, GgufValue.ofF32(value)); }
    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValue.ofBool(value)); }

    /** Adds a tensor whose bytes are already in memory (ggml layout of {@code type}). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment bytes) {
        return addTensor(name, type, shape, () -> bytes);
    }

    public GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] bytes) {
        return addTensor(name, type, shape, () -> MemorySegment.ofArray(bytes));
    }

    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorSource source) {
        long n = 1;
        for (long d : shape) n *= d;
        for (PendingTensor t : tensors) {
            if (t.name.equals(name)) throw new IllegalArgumentException("duplicate tensor name " + name);
        }
        tensors.add(new PendingTensor(name, shape.clone(), type, type.byteSize(n), source));
        return this;
    }

    private int alignment() {
        GgufValue a = metadata.get("general.alignment");
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : (int) a.asLong();
    }

    /** Writes the file atomically (temporary file, then rename). */
    public void write(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".partial");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeTo(ch);
                ch.force(false);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void writeTo(FileChannel ch) throws IOException {
        int alignment = alignment();
        Out out = new Out(ch);
        out.u32(GgufFile.MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (var e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type().id());
            out.value(e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            out.string(t.name);
            out.u32(t.shape.length);
            for (long d : t.shape) out.u64(d);
            out.u32(t.type.id);
            out.u64(offset);
            offset = GgufFile.alignUp(offset + t.size, alignment);
        }
        out.pad(alignment);
        for (PendingTensor t : tensors) {
            MemorySegment bytes = t.source.bytes();
            if (bytes.byteSize() != t.size) {
                throw new IOException("tensor " + t.name + " has " + bytes.byteSize() + " bytes, expected " + t.size + " for " + t.type);
            }
            out.flush();
            // copy through a small heap buffer: works for mapped, native and heap (e.g. float[]) segments alike
            byte[] chunk = new byte[(int) Math.min(1 << 20, Math.max(1, t.size))];
            MemorySegment chunkSeg = MemorySegment.ofArray(chunk);
            for (long pos = 0; pos < t.size; ) {
                int n = (int) Math.min(chunk.length, t.size - pos);
                MemorySegment.copy(bytes, pos, chunkSeg, 0, n);
                ByteBuffer bb = ByteBuffer.wrap(chunk, 0, n);
                while (bb.hasRemaining()) ch.write(bb);
                pos += n;
            }
            out.written += t.size;
            out.pad(alignment);
        }
        out.flush();
    }

    /** Little-endian buffered output that counts bytes for padding. */
    private static final class Out {
        final FileChannel ch;
        final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        Out(FileChannel ch) { this.ch = ch; }

        void ensure(int n) throws IOException {
            if (buf.remaining() < n) flush();
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }

        void u8(int v) throws IOException { ensure(1); buf.put((byte) v); written += 1; }
        void u16(int v) throws IOException { ensure(2); buf.putShort((short) v); written += 2; }
        void u32(int v) throws IOException { ensure(4); buf.putInt(v); written += 4; }
        void u64(long v) throws IOException { ensure(8); buf.putLong(v); written += 8; }
        void f32(float v) throws IOException { ensure(4); buf.putFloat(v); written += 4; }
        void f64(double v) throws IOException { ensure(8); buf.putDouble(v); written += 8; }

        void bytes(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                ensure(1);
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
            written += b.length;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes(b);
        }

        void pad(int alignment) throws IOException {
            long target = GgufFile.alignUp(written, alignment);
            while (written < target) u8(0);
        }

        void value(GgufValueType type, Object v) throws IOException {
            switch (type) {
                case UINT8, INT8 -> u8((Byte) v);
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case UINT16, INT16 -> u16((Short) v);
                case UINT32, INT32 -> u32((Integer) v);
                case FLOAT32 -> f32((Float) v);
                case UINT64, INT64 -> u64((Long) v);
                case FLOAT64 -> f64((Double) v);
                case STRING -> string((String) v);
                case ARRAY -> array((GgufArray) v);
            }
        }

        void array(GgufArray a) throws IOException {
            u32(a.elementType().id());
            int n = a.length();
            u64(n);
            if (a.values() instanceof List<?> list) {
                for (Object o : list) array((GgufArray) o);
                return;
            }
            Object arr = a.values();
            for (int i = 0; i < n; i++) value(a.elementType(), Array.get(arr, i));
        }
    }
}
