package io.jollama.engine.gguf;


import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF file (version 2 or 3): its metadata, its tensor table and its tensor data.
 * <p>
 * The data is either mapped read-only from the file ({@code mmap = true}, nothing copied) or read into off-heap memory
 * of this file's own arena. Either way the weights never sit on the Java heap, and {@link #close()} releases them.
 * Every structural problem of the file raises a {@link GgufFormatException} naming the file.
 */
public final class GgufFile implements AutoCloseable {

    public static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY_NESTING = 16;

    private final Path path;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataOffset;
    private final long fileSize;
    private final Arena arena;
    private final MemorySegment data;
    /** The shards of a split model (llama.cpp's {@code split.*} keys); empty for a single file. */
    private final List<GgufFile> shards;
    private final Map<String, GgufFile> shardOfTensor;

    private GgufFile(Path path, int version, Map<String, GgufValue> metadata, List<GgufTensorInfo> tensors,
                     int alignment, long dataOffset, long fileSize, Arena arena, MemorySegment data) {
        this.path = path;
        this.version = version;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo t : tensors) byName.put(t.name(), t);
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.fileSize = fileSize;
        this.arena = arena;
        this.data = data;
        this.shards = List.of();
        this.shardOfTensor = Map.of();
    }

    /** A split model seen as one file: the first shard's metadata, every shard's tensors. */
    private GgufFile(List<GgufFile> shards, List<GgufTensorInfo> tensors, Map<String, GgufFile> shardOfTensor,
                     long totalSize) {
        GgufFile first = shards.getFirst();
        this.path = first.path;
        this.version = first.version;
        this.metadata = first.metadata;
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo t : tensors) byName.put(t.name(), t);
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.alignment = first.alignment;
        this.dataOffset = first.dataOffset;
        this.fileSize = totalSize;
        this.arena = first.arena;
        this.data = first.data;
        this.shards = List.copyOf(shards);
        this.shardOfTensor = Map.copyOf(shardOfTensor);
    }

    /** llama.cpp's shard file names: {@code <prefix>-00001-of-00003.gguf}. */
    private static final java.util.regex.Pattern SHARD_NAME =
            java.util.regex.Pattern.compile("^(.*)-(\\d{5})-of-(\\d{5})\\.gguf$");

    /** Opens the file with its tensor data mapped read-only. */
    public static GgufFile open(Path path) throws IOException {
        return open(path, true);
    }

    /**
     * Opens the file. With {@code mmap} the tensor data stays in the mapped file; without it the data is read into
     * off-heap memory owned by this object (useful where the OS pages out idle mapped files).
     */
    public static GgufFile open(Path path, boolean mmap) throws IOException {
        GgufFile f = openOne(path, mmap);
        int count = f.getInt("split.count", 0);
        java.util.regex.Matcher m = SHARD_NAME.matcher(path.getFileName().toString());
        if (count <= 1 || f.getInt("split.no", -1) != 0 || !m.matches()) return f;
        // the first shard of a split model, named as llama.cpp names them: its siblings hold the other tensors
        List<Path> shards = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            shards.add(path.resolveSibling(String.format("%s-%05d-of-%05d.gguf", m.group(1), i, count)));
        }
        f.close();
        return openSplit(shards, mmap);
    }

    /**
     * Opens a model split over several GGUF files (llama.cpp's gguf-split format: the first shard carries the
     * metadata, every shard carries {@code split.no}, {@code split.count} and {@code split.tensors.count}), given in
     * shard order. One file is opened as it is. The result reads like a single file; closing it closes every shard.
     */
    public static GgufFile openSplit(List<Path> paths, boolean mmap) throws IOException {
        if (paths.size() == 1) return openOne(paths.getFirst(), mmap);
        List<GgufFile> shards = new ArrayList<>();
        try {
            for (Path p : paths) shards.add(openOne(p, mmap));
            GgufFile first = shards.getFirst();
            int count = first.getInt("split.count", 0);
            if (count != paths.size()) {
                throw new GgufFormatException(first.path + ": split.count is " + count + " but " + paths.size() + " shards were given");
            }
            long expectTensors = first.getLong("split.tensors.count", -1);
            List<GgufTensorInfo> all = new ArrayList<>();
            Map<String, GgufFile> owner = new LinkedHashMap<>();
            long total = 0;
            for (int i = 0; i < shards.size(); i++) {
                GgufFile s = shards.get(i);
                if (s.getInt("split.no", -1) != i || s.getInt("split.count", 0) != count) {
                    throw new GgufFormatException(s.path + ": expected shard " + (i + 1) + " of " + count
                            + " but its split.no/split.count say " + (s.getInt("split.no", -1) + 1) + " of " + s.getInt("split.count", 0));
                }
                for (GgufTensorInfo t : s.tensors) {
                    if (owner.putIfAbsent(t.name(), s) != null) throw new GgufFormatException(s.path + ": tensor " + t.name() + " is in two shards");
                    all.add(t);
                }
                total += s.fileSize;
            }
            if (expectTensors >= 0 && expectTensors != all.size()) {
                throw new GgufFormatException(first.path + ": split.tensors.count is " + expectTensors + " but the shards hold " + all.size() + " tensors");
            }
            return new GgufFile(shards, all, owner, total);
        } catch (IOException | RuntimeException e) {
            for (GgufFile s : shards) s.close();
            throw e;
        }
    }

    private static GgufFile openOne(Path path, boolean mmap) throws IOException {
        Arena arena = Arena.ofShared();
        boolean ok = false;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment mapped = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Header h = parseHeader(path, mapped, size);
            MemorySegment data;
            long dataSize = Math.max(0, size - h.dataOffset);
            if (mmap || dataSize == 0) {
                data = dataSize == 0 ? MemorySegment.NULL : mapped.asSlice(h.dataOffset, dataSize);
            } else {
                Arena own = Arena.ofShared();
                try {
                    data = own.allocate(dataSize, 64);
                    // read rather than copy from the mapping, so the page cache holds no mapped copy for us
                    var buf = data.asByteBuffer();
                    long pos = h.dataOffset;
                    while (buf.hasRemaining()) {
                        int n = ch.read(buf, pos);
                        if (n < 0) throw new GgufFormatException(path + ": file shrank while reading tensor data");
                        pos += n;
                    }
                } catch (IOException | RuntimeException e) {
                    own.close();
                    throw e;
                }
                arena.close();
                arena = own;
            }
            GgufFile f = new GgufFile(path, h.version, h.metadata, h.tensors, h.alignment, h.dataOffset, size, arena, data);
            ok = true;
            return f;
        } finally {
            if (!ok) {
                try { arena.close(); } catch (IllegalStateException ignored) { /* already closed */ }
            }
        }
    }

    /** Reads only the header (metadata and tensor table) and closes the file at once. */
    public static GgufFile readHeader(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment mapped = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Header h = parseHeader(path, mapped, size);
            return new GgufFile(path, h.version, h.metadata, h.tensors, h.alignment, h.dataOffset, size, null, null);
        }
    }

    public Path path() { return path; }
    public int version() { return version; }
    public int alignment() { return alignment; }
    /** Offset of the data section in the file. */
    public long dataOffset() { return dataOffset; }
    public long fileSize() { return fileSize; }
    public Map<String, GgufValue> metadata() { return metadata; }
    public List<GgufTensorInfo> tensors() { return tensors; }

    public GgufTensorInfo tensor(String name) {
        return tensorsByName.get(name);
    }

    public boolean hasTensor(String name) {
        return tensorsByName.containsKey(name);
    }

    /** The bytes of a tensor (mapped or off-heap). */
    public MemorySegment tensorData(GgufTensorInfo t) {
        GgufFile shard = shardOfTensor.get(t.name());
        if (shard != null) return shard.tensorData(t);
        if (data == null) throw new IllegalStateException(path + " was opened for its header only");
        return data.asSlice(t.offset(), t.byteSize());
    }

    public MemorySegment tensorData(String name) {
        GgufTensorInfo t = tensor(name);
        if (t == null) throw new IllegalArgumentException(path + ": no tensor " + name);
        return tensorData(t);
    }

    /** The arena owning this file's memory: tensors of a model may be allocated beside it (e.g. repacked weights). */
    public Arena arena() { return arena; }

    @Override
    public void close() {
        if (!shards.isEmpty()) {
            for (GgufFile s : shards) s.close();
            return;
        }
        if (arena != null) {
            try {
                arena.close();
            } catch (IllegalStateException alreadyClosed) {
                // closing twice is harmless
            }
        }
    }

    // ---- typed metadata accessors ----

    public GgufValue get(String key) {
        return metadata.get(key);
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public String getString(String key, String fallback) {
        GgufValue v = metadata.get(key);
        return v != null && v.type() == GgufValueType.STRING ? (String) v.value() : fallback;
    }

    public long getLong(String key, long fallback) {
        GgufValue v = metadata.get(key);
        if (v == null || v.type() == GgufValueType.STRING || v.type() == GgufValueType.ARRAY) return fallback;
        return v.asLong();
    }

    public int getInt(String key, int fallback) {
        return (int) getLong(key, fallback);
    }

    public float getFloat(String key, float fallback) {
        GgufValue v = metadata.get(key);
        if (v == null || v.type() == GgufValueType.STRING || v.type() == GgufValueType.ARRAY) return fallback;
        return (float) v.asDouble();
    }

    public boolean getBool(String key, boolean fallback) {
        GgufValue v = metadata.get(key);
        if (v == null) return fallback;
        if (v.type() == GgufValueType.BOOL) return (Boolean) v.value();
        if (v.type() == GgufValueType.STRING || v.type() == GgufValueType.ARRAY) return fallback;
        return v.asLong() != 0;
    }

    public GgufArray getArray(String key) {
        GgufValue v = metadata.get(key);
        return v != null && v.type() == GgufValueType.ARRAY ? (GgufArray) v.value() : null;
    }

    public String[] getStrings(String key) {
        GgufArray a = getArray(key);
        return a != null && a.values() instanceof String[] s ? s : null;
    }

    public float[] getFloats(String key) {
        GgufArray a = getArray(key);
        return a != null && a.values() instanceof float[] f ? f : null;
    }

    /** An integer array of any width, as ints. */
    public int[] getInts(String key) {
        GgufArray a = getArray(key);
        if (a == null) return null;
        return switch (a.values()) {
            case int[] i -> i;
            case byte[] b -> { int[] r = new int[b.length]; for (int i = 0; i < b.length; i++) r[i] = a.elementType() == GgufValueType.UINT8 ? b[i] & 0xFF : b[i]; yield r; }
            case short[] s -> { int[] r = new int[s.length]; for (int i = 0; i < s.length; i++) r[i] = a.elementType() == GgufValueType.UINT16 ? s[i] & 0xFFFF : s[i]; yield r; }
            case long[] l -> { int[] r = new int[l.length]; for (int i = 0; i < l.length; i++) r[i] = (int) l[i]; yield r; }
            default -> null;
        };
    }

    /** The architecture-prefixed key, e.g. {@code arch("context_length")} → {@code llama.context_length}. */
    public String arch(String suffix) {
        return getString("general.architecture", "") + "." + suffix;
    }

    // ---- parsing ----

    private record Header(int version, Map<String, GgufValue> metadata, List<GgufTensorInfo> tensors, int alignment, long dataOffset) {}

    private static Header parseHeader(Path path, MemorySegment seg, long size) throws GgufFormatException {
        Reader r = new Reader(path, seg, size);
        if (size < 4) throw r.error("not a GGUF file (too short, " + size + " bytes)");
        int magic = r.i32("magic");
        if (magic != MAGIC) {
            throw r.error(String.format("not a GGUF file (bad magic 0x%08x, expected \"GGUF\")", magic));
        }
        int version = r.i32("version");
        if (version == 0x02000000 || version == 0x03000000) {
            throw r.error("big-endian GGUF files are not supported");
        }
        if (version == 1) throw r.error("GGUF version 1 is not supported (only versions 2 and 3)");
        if (version != 2 && version != 3) throw r.error("unsupported GGUF version " + Integer.toUnsignedString(version) + " (only versions 2 and 3)");
        long tensorCount = r.i64("tensor count");
        long kvCount = r.i64("metadata count");
        // each tensor info takes at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes; each kv at least 8 + 4 + 1
        if (tensorCount < 0 || tensorCount > r.remaining() / 24) {
            throw r.error("absurd tensor count " + Long.toUnsignedString(tensorCount) + " for a file of " + size + " bytes");
        }
        if (kvCount < 0 || kvCount > r.remaining() / 13) {
            throw r.error("absurd metadata count " + Long.toUnsignedString(kvCount) + " for a file of " + size + " bytes");
        }
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.string("metadata key " + i);
            int typeId = r.i32("type of " + key);
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) throw r.error("metadata key " + key + " has unknown value type " + typeId);
            Object value = r.value(type, key, 0);
            if (metadata.putIfAbsent(key, new GgufValue(type, value)) != null) {
                throw r.error("duplicate metadata key " + key);
            }
        }
        int alignment = DEFAULT_ALIGNMENT;
        GgufValue al = metadata.get("general.alignment");
        if (al != null) {
            if (al.type() != GgufValueType.UINT32 && al.type() != GgufValueType.INT32 && al.type() != GgufValueType.UINT64) {
                throw r.error("general.alignment has type " + al.type() + ", expected UINT32");
            }
            long a = al.asLong();
            if (a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1) throw r.error("general.alignment " + a + " is not a power of two");
            alignment = (int) a;
        }
        List<GgufTensorInfo> infos = new ArrayList<>((int) tensorCount);
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = r.string("tensor name " + i);
            if (!names.add(name)) throw r.error("duplicate tensor name " + name);
            int nDims = r.i32("dimensions of tensor " + name);
            if (nDims < 1 || nDims > MAX_DIMS) throw r.error("tensor " + name + " has " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                shape[d] = r.i64("shape of tensor " + name);
                if (shape[d] < 0) throw r.error("tensor " + name + " has a negative dimension");
                try {
                    elements = Math.multiplyExact(elements, shape[d]);
                } catch (ArithmeticException e) {
                    throw r.error("tensor " + name + " has an absurd shape (element count overflows)");
                }
            }
            int typeId = r.i32("type of tensor " + name);
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) throw r.error("tensor " + name + " has unknown type " + typeId);
            if (shape[0] % type.blockSize != 0) {
                throw r.error("tensor " + name + " row length " + shape[0] + " is not a multiple of the " + type + " block size " + type.blockSize);
            }
            long offset = r.i64("offset of tensor " + name);
            if (offset < 0 || offset % alignment != 0) {
                throw r.error("tensor " + name + " offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
            }
            infos.add(new GgufTensorInfo(name, shape, type, offset));
        }
        long dataOffset = alignUp(r.pos, alignment);
        long dataSize = size - dataOffset;
        for (GgufTensorInfo t : infos) {
            long bytes = t.elementCount() / t.type().blockSize * t.type().typeSize;
            if (t.offset() > dataSize || bytes > dataSize - t.offset()) {
                throw r.error("tensor " + t.name() + " (offset " + t.offset() + ", " + bytes + " bytes) runs past the end of the file (data section holds "
                        + Math.max(0, dataSize) + " bytes): truncated file?");
            }
        }
        return new Header(version, metadata, infos, alignment, dataOffset);
    }

    static long alignUp(long v, long alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }

    /** A bounds-checked little-endian cursor over the mapped header. */
    private static final class Reader {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        final Path path;
        final MemorySegment seg;
        final long size;
        long pos;

        Reader(Path path, MemorySegment seg, long size) {
            this.path = path;
            this.seg = seg;
            this.size = size;
        }

        GgufFormatException error(String msg) {
            return new GgufFormatException(path + ": " + msg);
        }

        long remaining() {
            return size - pos;
        }

        void need(long n, String what) throws GgufFormatException {
            if (n < 0 || n > size - pos) throw error("truncated header: file ends inside " + what + " (at byte " + pos + ")");
        }

        int i32(String what) throws GgufFormatException {
            need(4, what);
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long i64(String what) throws GgufFormatException {
            need(8, what);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        String string(String what) throws GgufFormatException {
            long len = i64(what);
            if (len < 0 || len > remaining()) {
                throw error("absurd string length " + Long.toUnsignedString(len) + " in " + what + " (at byte " + (pos - 8) + ", " + remaining() + " bytes left)");
            }
            if (len > Integer.MAX_VALUE - 16) throw error("string too long in " + what);
            byte[] b = new byte[(int) len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, (int) len);
            pos += len;
            return new String(b, StandardCharsets.UTF_8);
        }

        Object value(GgufValueType type, String key, int depth) throws GgufFormatException {
            String what = "value of " + key;
            switch (type) {
                case UINT8, INT8 -> { need(1, what); return seg.get(ValueLayout.JAVA_BYTE, pos++); }
                case BOOL -> {
                    need(1, what);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                    return b != 0;
                }
                case UINT16, INT16 -> { need(2, what); short s = seg.get(I16, pos); pos += 2; return s; }
                case UINT32, INT32 -> { return i32(what); }
                case FLOAT32 -> { need(4, what); float f = seg.get(F32, pos); pos += 4; return f; }
                case UINT64, INT64 -> { return i64(what); }
                case FLOAT64 -> { need(8, what); double d = seg.get(F64, pos); pos += 8; return d; }
                case STRING -> { return string(what); }
                case ARRAY -> { return array(key, depth); }
            }
            throw new AssertionError(type);
        }

        GgufArray array(String key, int depth) throws GgufFormatException {
            if (depth >= MAX_ARRAY_NESTING) throw error("metadata key " + key + ": arrays nested more than " + MAX_ARRAY_NESTING + " deep");
            int typeId = i32("array type of " + key);
            GgufValueType et = GgufValueType.byId(typeId);
            if (et == null) throw error("metadata key " + key + " is an array of unknown type " + typeId);
            long n = i64("array length of " + key);
            if (n < 0 || n > remaining() / et.minBytes || n > Integer.MAX_VALUE - 16) {
                throw error("absurd array length " + Long.toUnsignedString(n) + " for metadata key " + key + " (" + remaining() + " bytes left)");
            }
            int len = (int) n;
            String what = "array " + key;
            switch (et) {
                case UINT8, INT8 -> {
                    need(len, what);
                    byte[] a = new byte[len];
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, a, 0, len);
                    pos += len;
                    return new GgufArray(et, a);
                }
                case BOOL -> {
                    need(len, what);
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++) a[i] = seg.get(ValueLayout.JAVA_BYTE, pos + i) != 0;
                    pos += len;
                    return new GgufArray(et, a);
                }
                case UINT16, INT16 -> {
                    need(2L * len, what);
                    short[] a = new short[len];
                    MemorySegment.copy(seg, I16, pos, a, 0, len);
                    pos += 2L * len;
                    return new GgufArray(et, a);
                }
                case UINT32, INT32 -> {
                    need(4L * len, what);
                    int[] a = new int[len];
                    MemorySegment.copy(seg, I32, pos, a, 0, len);
                    pos += 4L * len;
                    return new GgufArray(et, a);
                }
                case FLOAT32 -> {
                    need(4L * len, what);
                    float[] a = new float[len];
                    MemorySegment.copy(seg, F32, pos, a, 0, len);
                    pos += 4L * len;
                    return new GgufArray(et, a);
                }
                case UINT64, INT64 -> {
                    need(8L * len, what);
                    long[] a = new long[len];
                    MemorySegment.copy(seg, I64, pos, a, 0, len);
                    pos += 8L * len;
                    return new GgufArray(et, a);
                }
                case FLOAT64 -> {
                    need(8L * len, what);
                    double[] a = new double[len];
                    MemorySegment.copy(seg, F64, pos, a, 0, len);
                    pos += 8L * len;
                    return new GgufArray(et, a);
                }
                case STRING -> {
                    String[] a = new String[len];
                    for (int i = 0; i < len; i++) a[i] = string(what + "[" + i + "]");
                    return new GgufArray(et, a);
                }
                case ARRAY -> {
                    List<GgufArray> a = new ArrayList<>(Math.min(len, 1024));
                    for (int i = 0; i < len; i++) a.add(array(key + "[" + i + "]", depth + 1));
                    return new GgufArray(et, a);
                }
            }
            throw new AssertionError(et);
        }
    }
}
