package io.jollama.server.create;

import io.jollama.server.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and
 * {@code data_offsets} (relative to the end of the header), then the data. The header is checked against the file
 * before any tensor is read: a truncated file or a header whose offsets do not fit its shapes is refused with the
 * file's name, so a conversion fails before it writes anything.
 */
final class SafetensorsFile implements AutoCloseable {

    /** A tensor of the file: its HF name, dtype ("F32", "F16", "BF16"), shape (row-major, slowest first), data range. */
    record Entry(String name, String dtype, long[] shape, long begin, long end) {
        long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    private final String fileName;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;

    private SafetensorsFile(String fileName, Arena arena, MemorySegment data, Map<String, Entry> entries) {
        this.fileName = fileName;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
    }

    static int elementSize(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> -1;
        };
    }

    /** Opens and checks {@code path}; {@code fileName} is the name the client gave it (for messages). */
    static SafetensorsFile open(Path path, String fileName) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new CreateException("safetensors file " + fileName + " is truncated (" + size + " bytes)");
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            long headerLen = b.flip().getLong();
            if (headerLen < 2 || headerLen > 100_000_000L) {
                throw new CreateException("safetensors file " + fileName + " has an invalid header length " + headerLen);
            }
            if (8 + headerLen > size) throw new CreateException("safetensors file " + fileName + " is truncated: its header needs "
                    + (8 + headerLen) + " bytes, the file has " + size);
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            while (hb.hasRemaining() && ch.read(hb, 8 + hb.position()) > 0) { }
            JsonNode header;
            try {
                header = Json.MAPPER.readTree(hb.array());
            } catch (JacksonException e) {
                throw new CreateException("safetensors file " + fileName + " has an invalid header: " + e.getOriginalMessage());
            }
            if (header == null || !header.isObject()) throw new CreateException("safetensors file " + fileName + " has an invalid header");
            long dataLen = size - 8 - headerLen;
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (var e : header.properties()) {
                if (e.getKey().equals("__metadata__")) continue;
                entries.put(e.getKey(), entry(fileName, e.getKey(), e.getValue(), dataLen));
            }
            checkNoOverlap(fileName, entries.values());
            Arena arena = Arena.ofShared();
            try {
                MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 8 + headerLen, dataLen, arena);
                return new SafetensorsFile(fileName, arena, data, entries);
            } catch (IOException | RuntimeException ex) {
                arena.close();
                throw ex;
            }
        }
    }

    private static Entry entry(String file, String name, JsonNode n, long dataLen) {
        String where = "safetensors file " + file + ": tensor " + name;
        JsonNode dtype = n.get("dtype"), shape = n.get("shape"), offsets = n.get("data_offsets");
        if (dtype == null || !dtype.isString() || shape == null || !shape.isArray() || offsets == null || !offsets.isArray()
                || offsets.size() != 2) {
            throw new CreateException(where + " has an invalid header entry");
        }
        long[] dims = new long[shape.size()];
        long elements = 1;
        for (int i = 0; i < dims.length; i++) {
            if (!shape.get(i).canConvertToLong() || shape.get(i).asLong() < 0) throw new CreateException(where + " has an invalid shape");
            dims[i] = shape.get(i).asLong();
            try {
                elements = Math.multiplyExact(elements, dims[i]);
            } catch (ArithmeticException e) {
                throw new CreateException(where + " has an invalid shape");
            }
        }
        if (elements > Integer.MAX_VALUE - 8) throw new CreateException(where + " has more than 2^31 values, which cannot be converted");
        long begin = offsets.get(0).asLong(-1), end = offsets.get(1).asLong(-1);
        Entry e = new Entry(name, dtype.asString(), dims, begin, end);
        int es = elementSize(e.dtype());
        if (es < 0) throw new CreateException(where + " has dtype " + e.dtype() + "; only F32, F16 and BF16 can be converted");
        if (begin < 0 || end < begin || end - begin != e.elements() * es) {
            throw new CreateException("safetensors file " + file + " has a header that does not match its data: tensor " + name
                    + " has offsets [" + begin + ", " + end + ") for " + e.elements() + " " + e.dtype() + " values");
        }
        if (end > dataLen) {
            throw new CreateException("safetensors file " + file + " is truncated: tensor " + name + " ends at byte " + end
                    + " of the data, which has " + dataLen);
        }
        return e;
    }

    private static void checkNoOverlap(String file, java.util.Collection<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).begin() < sorted.get(i - 1).end()) {
                throw new CreateException("safetensors file " + file + " has a header that does not match its data: tensors "
                        + sorted.get(i - 1).name() + " and " + sorted.get(i).name() + " overlap");
            }
        }
    }

    Map<String, Entry> entries() {
        return entries;
    }

    String fileName() {
        return fileName;
    }

    /** The tensor's raw bytes (its dtype's little-endian layout), a view of the mapped file. */
    MemorySegment raw(Entry e) {
        return data.asSlice(e.begin(), e.end() - e.begin());
    }

    /** The tensor's values as floats (F16 and BF16 widened exactly). */
    float[] floats(Entry e) {
        MemorySegment s = raw(e);
        int n = Math.toIntExact(e.elements());
        float[] out = new float[n];
        switch (e.dtype()) {
            case "F32" -> MemorySegment.copy(s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, out, 0, n);
            case "F16" -> {
                for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(s.get(LE_SHORT, 2L * i));
            }
            case "BF16" -> {
                for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat((s.get(LE_SHORT, 2L * i) & 0xffff) << 16);
            }
            default -> throw new IllegalStateException(e.dtype());
        }
        return out;
    }

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public void close() {
        arena.close();
    }
}
