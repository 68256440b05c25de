package io.jollama.engine.gguf;

/**
 * One metadata value with its GGUF type. {@code value} is a Byte, Short, Integer, Long (unsigned kept in the
 * signed type of the same width), Float, Double, Boolean, String or {@link GgufArray}.
 */
public record GgufValue(GgufValueType type, Object value) {

    public static GgufValue of(String s) { return new GgufValue(GgufValueType.STRING, s); }
    public static GgufValue ofU32(int v) { return new GgufValue(GgufValueType.UINT32, v); }
    public static GgufValue ofI32(int v) { return new GgufValue(GgufValueType.INT32, v); }
    public static GgufValue ofU64(long v) { return new GgufValue(GgufValueType.UINT64, v); }
    public static GgufValue ofF32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }
    public static GgufValue ofBool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }
    public static GgufValue ofStrings(String... v) { return new GgufValue(GgufValueType.ARRAY, new GgufArray(GgufValueType.STRING, v)); }
    public static GgufValue ofFloats(float... v) { return new GgufValue(GgufValueType.ARRAY, new GgufArray(GgufValueType.FLOAT32, v)); }
    public static GgufValue ofInts(int... v) { return new GgufValue(GgufValueType.ARRAY, new GgufArray(GgufValueType.INT32, v)); }

    /** The value as a long if it is an integer type (unsigned types widened as unsigned). */
    public long asLong() {
        return switch (type) {
            case UINT8 -> Byte.toUnsignedLong((Byte) value);
            case UINT16 -> Short.toUnsignedLong((Short) value);
            case UINT32 -> Integer.toUnsignedLong((Integer) value);
            case INT8, INT16, INT32, INT64, UINT64 -> ((Number) value).longValue();
            case BOOL -> (Boolean) value ? 1 : 0;
            case FLOAT32, FLOAT64 -> ((Number) value).longValue();
            default -> throw new IllegalStateException("not a number: " + type);
        };
    }

    public double asDouble() {
        return switch (type) {
            case FLOAT32, FLOAT64 -> ((Number) value).doubleValue();
            case UINT64 -> {
                long l = (Long) value;
                yield l >= 0 ? l : (double) (l >>> 1) * 2.0;
            }
            default -> asLong();
        };
    }
}
