package io.jollama.server.create;

import io.jollama.engine.gguf.GgufArray;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufValueType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** What Ollama derives from a GGUF header: parameter size, file type name, {@code model_info}, tensor list. */
public final class GgufFacts {

    private GgufFacts() {}

    /** Ollama's names of {@code general.file_type} values (llama.cpp's LLAMA_FTYPE_MOSTLY_*). */
    private static final Map<Integer, String> FILE_TYPES = Map.ofEntries(
            Map.entry(0, "F32"), Map.entry(1, "F16"), Map.entry(2, "Q4_0"), Map.entry(3, "Q4_1"),
            Map.entry(7, "Q8_0"), Map.entry(8, "Q5_0"), Map.entry(9, "Q5_1"), Map.entry(10, "Q2_K"),
            Map.entry(11, "Q3_K_S"), Map.entry(12, "Q3_K_M"), Map.entry(13, "Q3_K_L"), Map.entry(14, "Q4_K_S"),
            Map.entry(15, "Q4_K_M"), Map.entry(16, "Q5_K_S"), Map.entry(17, "Q5_K_M"), Map.entry(18, "Q6_K"),
            Map.entry(19, "IQ2_XXS"), Map.entry(20, "IQ2_XS"), Map.entry(21, "Q2_K_S"), Map.entry(22, "IQ3_XS"),
            Map.entry(23, "IQ3_XXS"), Map.entry(24, "IQ1_S"), Map.entry(25, "IQ4_NL"), Map.entry(26, "IQ3_S"),
            Map.entry(27, "IQ3_M"), Map.entry(28, "IQ2_S"), Map.entry(29, "IQ2_M"), Map.entry(30, "IQ4_XS"),
            Map.entry(31, "IQ1_M"), Map.entry(32, "BF16"), Map.entry(36, "TQ1_0"), Map.entry(37, "TQ2_0"),
            Map.entry(38, "MXFP4"));

    /** The name of a {@code general.file_type} value, {@code unknown} when absent or unrecognised. */
    public static String fileTypeName(GgufFile f) {
        GgufValue v = f.get("general.file_type");
        if (v == null || v.type() == GgufValueType.STRING || v.type() == GgufValueType.ARRAY) return "unknown";
        return FILE_TYPES.getOrDefault((int) v.asLong(), "unknown");
    }

    /**
     * The file type, or when {@code general.file_type} is absent the type of most matrix weights
     * ({@code F32}, {@code F16}, {@code Q8_0}...), so a file without the key still says what it holds.
     */
    public static String inferredFileTypeName(GgufFile f) {
        String named = fileTypeName(f);
        if (!named.equals("unknown") || f.has("general.file_type")) return named;
        Map<String, Long> counts = new TreeMap<>();
        for (GgufTensorInfo t : f.tensors()) {
            if (t.shape().length >= 2) counts.merge(t.type().toString(), t.elementCount(), Long::sum);
        }
        return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("unknown");
    }

    /** The {@code general.file_type} number of a name ({@code Q4_K_M} → 15), or -1. */
    public static int fileTypeId(String name) {
        for (var e : FILE_TYPES.entrySet()) if (e.getValue().equalsIgnoreCase(name)) return e.getKey();
        return -1;
    }

    /** {@code general.parameter_count}, or the sum of the tensors' element counts when the key is absent. */
    public static long parameterCount(GgufFile f) {
        GgufValue v = f.get("general.parameter_count");
        if (v != null && v.type() != GgufValueType.STRING && v.type() != GgufValueType.ARRAY) return v.asLong();
        long n = 0;
        for (GgufTensorInfo t : f.tensors()) n += t.elementCount();
        return n;
    }

    /** Ollama's {@code format.HumanNumber}: 0, 999, 1K, 125M, 500.50M, 1B, 2.8B. */
    public static String humanNumber(long b) {
        if (b >= 1_000_000_000L) {
            double n = b / 1e9;
            return n == Math.floor(n) ? (long) n + "B" : String.format(Locale.ROOT, "%.1fB", n);
        }
        if (b >= 1_000_000L) {
            double n = b / 1e6;
            return n == Math.floor(n) ? (long) n + "M" : String.format(Locale.ROOT, "%.2fM", n);
        }
        if (b >= 1_000L) return String.format(Locale.ROOT, "%.0fK", b / 1e3);
        return Long.toString(b);
    }

    public static String architecture(GgufFile f) {
        return f.getString("general.architecture", "unknown");
    }

    /**
     * The metadata as {@code /api/show} renders it in {@code model_info}: every key except {@code general.name} and
     * {@code tokenizer.chat_template}, with {@code general.parameter_count} added when absent; arrays of more than
     * five elements become {@code []} unless {@code verbose}. Keys sorted (Go maps marshal sorted).
     */
    public static Map<String, Object> modelInfo(GgufFile f, boolean verbose) {
        Map<String, Object> out = new TreeMap<>();
        for (var e : f.metadata().entrySet()) {
            String k = e.getKey();
            if (k.equals("general.name") || k.equals("tokenizer.chat_template")) continue;
            out.put(k, jsonValue(e.getValue(), verbose));
        }
        out.putIfAbsent("general.parameter_count", parameterCount(f));
        return out;
    }

    private static Object jsonValue(GgufValue v, boolean verbose) {
        if (v.type() == GgufValueType.ARRAY) {
            GgufArray a = (GgufArray) v.value();
            if (!verbose && a.length() > 5) return List.of();
            return arrayValues(a);
        }
        return scalar(v.type(), v.value());
    }

    private static Object scalar(GgufValueType t, Object o) {
        return switch (t) {
            case UINT8 -> Byte.toUnsignedInt((Byte) o);
            case UINT16 -> Short.toUnsignedInt((Short) o);
            case UINT32 -> Integer.toUnsignedLong((Integer) o);
            case UINT64 -> {
                long l = (Long) o;
                yield l >= 0 ? (Object) l : new java.math.BigInteger(Long.toUnsignedString(l));
            }
            default -> o;
        };
    }

    private static List<Object> arrayValues(GgufArray a) {
        List<Object> out = new ArrayList<>(a.length());
        for (int i = 0; i < a.length(); i++) {
            Object o = a.get(i);
            out.add(o instanceof GgufArray inner ? arrayValues(inner) : scalar(a.elementType(), o));
        }
        return out;
    }

    /** A tensor as {@code /api/show} lists it. */
    @com.fasterxml.jackson.annotation.JsonPropertyOrder({"name", "type", "shape"})
    public record TensorView(String name, String type, List<Long> shape) {}

    /** {@code [{"name","type","shape"}]} of the tensors, as {@code /api/show} lists them. */
    public static List<TensorView> tensors(GgufFile f) {
        List<TensorView> out = new ArrayList<>(f.tensors().size());
        for (GgufTensorInfo t : f.tensors()) {
            List<Long> shape = new ArrayList<>();
            for (long d : t.shape()) shape.add(d);
            out.add(new TensorView(t.name(), t.type().toString(), shape));
        }
        return out;
    }
}
