package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The registry of the weight types the engine computes with: one line per type. */
final class WeightFormats {
    private WeightFormats() {}

    private static final Map<GgmlType, WeightFormat> FORMATS = new EnumMap<>(GgmlType.class);

    static {
        for (WeightFormat f : List.of(
                F32Format.FORMAT,
                F16Format.FORMAT,
                BF16Format.FORMAT,
                Q8_0Format.FORMAT,
                Q4_0Format.FORMAT,
                Q4_1Format.FORMAT,
                Q5_0Format.FORMAT,
                Q5_1Format.FORMAT,
                Q2_KFormat.FORMAT,
                Q3_KFormat.FORMAT,
                Q4_KFormat.FORMAT,
                Q5_KFormat.FORMAT,
                Q6_KFormat.FORMAT)) {
            if (FORMATS.put(f.type(), f) != null) throw new AssertionError("two formats for " + f.type());
        }
    }

    /** The format of {@code type}, or null if the engine does not compute with it. */
    static WeightFormat find(GgmlType type) {
        return FORMATS.get(type);
    }

    /** The format of {@code type}; {@link UnsupportedOperationException} if the engine does not compute with it. */
    static WeightFormat of(GgmlType type) {
        WeightFormat f = FORMATS.get(type);
        if (f == null) throw new UnsupportedOperationException("no matrix kernel for weight type " + type);
        return f;
    }
}
