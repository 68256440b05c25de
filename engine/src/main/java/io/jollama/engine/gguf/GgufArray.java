package io.jollama.engine.gguf;

import java.lang.reflect.Array;
import java.util.List;

/**
 * A metadata array. {@code values} is a primitive array matching the element type
 * (byte[] for UINT8/INT8, short[] for (U)INT16, int[] for (U)INT32, long[] for (U)INT64,
 * float[], double[], boolean[], String[]), or a {@code List<GgufArray>} for nested arrays.
 * Unsigned values are kept in the signed Java type of the same width.
 */
public record GgufArray(GgufValueType elementType, Object values) {

    public int length() {
        return values instanceof List<?> l ? l.size() : Array.getLength(values);
    }

    public Object get(int i) {
        return values instanceof List<?> l ? l.get(i) : Array.get(values, i);
    }
}
