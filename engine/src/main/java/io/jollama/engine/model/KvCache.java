package io.jollama.engine.model;

import io.jollama.engine.tensor.ComputePool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The key/value cache of one sequence, off the Java heap: per layer, {@code capacity} rows of keys
 * ({@code kvDim} values, after RoPE) and of values ({@code vDim} values), stored as F16 (llama.cpp's and Ollama's
 * default, half the memory traffic) or F32. Closed with the sequence.
 */
public final class KvCache implements AutoCloseable {

    /** Element type of the cache: F16 attends like ggml's flash-attention kernel, F32 like its plain path. */
    public enum Type {
        F16(2), F32(4);
        final int bytes;

        Type(int bytes) { this.bytes = bytes; }

        /** Parses OLLAMA_KV_CACHE_TYPE-style names ("f16", "f32"). */
        public static Type parse(String s) {
            return switch (s == null ? "" : s.trim().toLowerCase()) {
                case "", "f16" -> F16;
                case "f32" -> F32;
                default -> throw new IllegalArgumentException("unsupported KV cache type '" + s + "' (supported: f16, f32)");
            };
        }
    }

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    private final Arena arena = Arena.ofShared();
    final Type type;
    final MemorySegment[] keys;
    final MemorySegment[] values;
    final int capacity;
    final int kvDim;
    final int vDim;

    public KvCache(ModelConfig c, int capacity, Type type) {
        this.type = type;
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        this.vDim = c.vDim();
        keys = new MemorySegment[c.layers()];
        values = new MemorySegment[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = arena.allocate((long) capacity * kvDim * type.bytes, 64);
            values[l] = arena.allocate((long) capacity * vDim * type.bytes, 64);
        }
    }

    public int capacity() {
        return capacity;
    }

    public Type type() {
        return type;
    }

    /** Bytes held off-heap. */
    public long byteSize() {
        return (long) keys.length * capacity * (kvDim + vDim) * type.bytes;
    }

    void storeKey(int layer, int pos, float[] src, int srcOff) {
        store(keys[layer], (long) pos * kvDim, src, srcOff, kvDim);
    }

    void storeValue(int layer, int pos, float[] src, int srcOff) {
        store(values[layer], (long) pos * vDim, src, srcOff, vDim);
    }

    private void store(MemorySegment seg, long index, float[] src, int off, int n) {
        if (type == Type.F32) {
            MemorySegment.copy(src, off, seg, FLOAT, index * Float.BYTES, n);
        } else {
            for (int i = 0; i < n; i++) seg.setAtIndex(HALF, index + i, Float.floatToFloat16(src[off + i]));
        }
    }

    /** Reads {@code n} cached values starting at element {@code index} of a layer's segment into dst. */
    void load(MemorySegment seg, long index, float[] dst, int off, int n) {
        if (type == Type.F32) {
            MemorySegment.copy(seg, FLOAT, index * Float.BYTES, dst, off, n);
        } else {
            for (int i = 0; i < n; i++) dst[off + i] = Float.float16ToFloat(seg.getAtIndex(HALF, index + i));
        }
    }

    void storeKeyRow(int layer, int pos, float[] src) {
        store(keys[layer], (long) pos * kvDim, src, 0, kvDim);
    }

    void loadKeyRow(int layer, int pos, float[] dst) {
        load(keys[layer], (long) pos * kvDim, dst, 0, kvDim);
    }

    /**
     * The first rows of one layer's keys and values as floats (valid until the next {@link #widen}); with
     * {@code keysT} also the keys transposed: {@code keysT[j·stride + t]} is value j of row t ({@code stride} a multiple
     * of 16, rows past the widened ones zero), so that attention can score 16 positions with one vector.
     */
    record Widened(float[] keys, float[] values, float[] keysT, int stride) {}

    private float[] wideKeys = new float[0], wideValues = new float[0], wideKeysT = new float[0];

    /** As {@link #widen(int, int)}, plus the transposed keys. */
    Widened widenTransposed(int layer, int len) {
        Widened w = widen(layer, len);
        int stride = (len + 15) & ~15;
        if (wideKeysT.length < stride * kvDim) wideKeysT = new float[Math.min(((capacity + 15) & ~15), Math.max(stride, 2 * wideKeysT.length / Math.max(1, kvDim))) * kvDim];
        float[] k = w.keys(), kt = wideKeysT;
        for (int j = 0; j < kvDim; j++) {
            int o = j * stride;
            for (int t = 0; t < len; t++) kt[o + t] = k[t * kvDim + j];
            for (int t = len; t < stride; t++) kt[o + t] = 0f;
        }
        return new Widened(w.keys(), w.values(), kt, stride);
    }

    /**
     * Widens rows [0, len) of an F16 layer to floats, into scratch arrays owned by this cache (a sequence runs
     * one forward pass at a time), so attention converts each cached value once per layer, not once per query head.
     */
    Widened widen(int layer, int len) {
        if (wideKeys.length < len * kvDim) {
            int rows = Math.min(capacity, Math.max(len, 2 * wideKeys.length / Math.max(1, kvDim)));
            wideKeys = new float[rows * kvDim];
            wideValues = new float[rows * vDim];
        }
        MemorySegment k = keys[layer], v = values[layer];
        float[] wk = wideKeys, wv = wideValues;
        ComputePool.RangeTask rows = (from, to) -> {
            short[] half = new short[64 * Math.max(kvDim, vDim)];
            int r0 = from * 64, r1 = Math.min(len, to * 64);
            widenRange(k, (long) r0 * kvDim, (r1 - r0) * kvDim, wk, half);
            widenRange(v, (long) r0 * vDim, (r1 - r0) * vDim, wv, half);
        };
        // a few hundred rows take microseconds: not worth a hand-off to the compute threads
        if (len <= 512) rows.run(0, (len + 63) / 64);
        else ComputePool.parallelFor((len + 63) / 64, rows);
        return new Widened(wk, wv, null, 0);
    }

    private static void widenRange(MemorySegment seg, long index, int count, float[] dst, short[] half) {
        for (int done = 0; done < count; ) {
            int m = Math.min(half.length, count - done);
            MemorySegment.copy(seg, HALF, (index + done) * Short.BYTES, half, 0, m);
            int base = (int) index + done;
            for (int j = 0; j < m; j++) dst[base + j] = Float.float16ToFloat(half[j]);
            done += m;
        }
    }

    /** Moves rows [from, from+count) to start at row {@code to} in every layer (used by context shift). */
    void moveRows(int from, int to, int count) {
        long kb = (long) kvDim * type.bytes, vb = (long) vDim * type.bytes;
        for (int l = 0; l < keys.length; l++) {
            MemorySegment.copy(keys[l], from * kb, keys[l], to * kb, count * kb);
            MemorySegment.copy(values[l], from * vb, values[l], to * vb, count * vb);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
