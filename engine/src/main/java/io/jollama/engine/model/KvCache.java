package io.jollama.engine.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The key/value cache of one sequence, off the Java heap: per layer, {@code capacity} rows of keys
 * ({@code kvDim} floats, after RoPE) and of values ({@code vDim} floats). Closed with the sequence.
 */
public final class KvCache implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    final MemorySegment[] keys;
    final MemorySegment[] values;
    final int capacity;
    final int kvDim;
    final int vDim;

    public KvCache(ModelConfig c, int capacity) {
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        this.vDim = c.vDim();
        keys = new MemorySegment[c.layers()];
        values = new MemorySegment[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = arena.allocate((long) capacity * kvDim * Float.BYTES, 64);
            values[l] = arena.allocate((long) capacity * vDim * Float.BYTES, 64);
        }
    }

    public int capacity() {
        return capacity;
    }

    /** Bytes held off-heap. */
    public long byteSize() {
        return (long) keys.length * capacity * (kvDim + vDim) * Float.BYTES;
    }

    void storeKey(int layer, int pos, float[] src, int srcOff) {
        MemorySegment.copy(src, srcOff, keys[layer], ValueLayout.JAVA_FLOAT, (long) pos * kvDim * Float.BYTES, kvDim);
    }

    void storeValue(int layer, int pos, float[] src, int srcOff) {
        MemorySegment.copy(src, srcOff, values[layer], ValueLayout.JAVA_FLOAT, (long) pos * vDim * Float.BYTES, vDim);
    }

    /** Moves rows [from, from+count) to start at row {@code to} in every layer (used by context shift). */
    void moveRows(int from, int to, int count) {
        for (int l = 0; l < keys.length; l++) {
            MemorySegment.copy(keys[l], (long) from * kvDim * Float.BYTES, keys[l], (long) to * kvDim * Float.BYTES, (long) count * kvDim * Float.BYTES);
            MemorySegment.copy(values[l], (long) from * vDim * Float.BYTES, values[l], (long) to * vDim * Float.BYTES, (long) count * vDim * Float.BYTES);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
