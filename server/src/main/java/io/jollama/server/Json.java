package io.jollama.server;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.SerializableString;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.core.io.CharacterEscapes;
import tools.jackson.core.io.SerializedString;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.type.LogicalType;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/**
 * The one JSON configuration of the server, made to read and write JSON the way Ollama's Go code does.
 * <ul>
 * <li>Decoding: field names match case-insensitively, unknown fields are ignored, a duplicate key's last value wins,
 *     and a JSON number is not silently turned into a string field (Go refuses that).</li>
 * <li>Encoding: compact; {@code <}, {@code >}, {@code &}, U+2028 and U+2029 escaped as Go does ({@code \u003c} ...);
 *     map keys sorted (Go sorts map keys); doubles written in Go's shortest form ({@code 1} not {@code 1.0}).
 *     That makes small JSON blobs (config, params, messages) byte-identical to Ollama's, so their digests match.</li>
 * </ul>
 * Decoding errors can be turned into Go-like messages with {@link #decodeError(JacksonException)}.
 */
public final class Json {

    /** The shared mapper; thread-safe. */
    public static final JsonMapper MAPPER = build();

    private Json() {}

    private static JsonMapper build() {
        JsonFactory factory = JsonFactory.builder()
                .characterEscapes(new GoEscapes())
                .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        SimpleModule goNumbers = new SimpleModule("go-numbers");
        goNumbers.addSerializer(Double.class, new GoDoubleSerializer());
        goNumbers.addSerializer(double.class, new GoDoubleSerializer());
        goNumbers.addSerializer(Float.class, new GoFloatSerializer());
        goNumbers.addSerializer(float.class, new GoFloatSerializer());
        return JsonMapper.builder(factory)
                .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .withCoercionConfig(LogicalType.Textual, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .withCoercionConfig(LogicalType.Integer, c -> c
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail))
                .withCoercionConfig(LogicalType.Boolean, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.String, CoercionAction.Fail))
                .addModule(goNumbers)
                .build();
    }

    /** Compact JSON text of a value, Go style. */
    public static String write(Object value) {
        return MAPPER.writeValueAsString(value);
    }

    /** Compact JSON of a value followed by a newline, as Go's {@code json.Encoder} writes it (used for stored blobs). */
    public static byte[] writeLine(Object value) {
        return (MAPPER.writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A decoding failure in the words Go's {@code encoding/json} would use where a client may look at them:
     * {@code unexpected EOF}, {@code invalid character 'x' looking for beginning of value}, or
     * {@code json: cannot unmarshal <kind> into Go struct field <field> of type <type>}; otherwise Jackson's first line.
     */
    public static String decodeError(JacksonException e) {
        String msg = e.getOriginalMessage() == null ? "invalid JSON" : e.getOriginalMessage();
        if (msg.startsWith("Unexpected end-of-input")) return "unexpected EOF";
        if (e instanceof StreamReadException) {
            int q = msg.indexOf("character ('");
            if (msg.startsWith("Unexpected character") && q >= 0) {
                int end = msg.indexOf("'", q + 12);
                String ch = end > q + 12 ? msg.substring(q + 12, end) : "?";
                return "invalid character '" + ch + "' looking for beginning of value";
            }
            if (msg.startsWith("Unrecognized token")) {
                int a = msg.indexOf('\'');
                String tok = a >= 0 && a + 1 < msg.length() ? msg.substring(a + 1, a + 2) : "?";
                return "invalid character '" + tok + "' looking for beginning of value";
            }
        }
        if (e instanceof MismatchedInputException mi) {
            String field = mi.getPath().isEmpty() ? "" : mi.getPath().getLast().getPropertyName();
            String type = mi.getTargetType() == null ? "value" : goTypeName(mi.getTargetType());
            String source = msg.startsWith("Cannot coerce ") ? msg.substring(14)
                    : msg.contains(" from ") ? msg.substring(msg.indexOf(" from ") + 6) : "";
            String kind = source.startsWith("Integer") || source.startsWith("Floating-point") ? "number"
                    : source.startsWith("Boolean") ? "bool" : source.startsWith("String") ? "string"
                    : source.startsWith("Array") ? "array" : source.startsWith("Object") ? "object" : "value";
            return "json: cannot unmarshal " + kind + (field == null || field.isEmpty() ? "" : " into Go struct field ." + field)
                    + " of type " + type;
        }
        int nl = msg.indexOf('\n');
        return nl > 0 ? msg.substring(0, nl) : msg;
    }

    private static String goTypeName(Class<?> c) {
        if (c == String.class) return "string";
        if (c == Boolean.class || c == boolean.class) return "bool";
        if (c == Integer.class || c == int.class || c == Long.class || c == long.class) return "int";
        if (c == Double.class || c == double.class || c == Float.class || c == float.class) return "float64";
        if (java.util.Map.class.isAssignableFrom(c)) return "map[string]interface {}";
        if (java.util.Collection.class.isAssignableFrom(c) || c.isArray()) return "[]interface {}";
        return c.getSimpleName();
    }

    /** Go's float formatting in encoding/json: shortest repr, plain digits in [1e-6, 1e21), else exponent form. */
    public static String goFloat(double d, boolean float32) {
        if (Double.isNaN(d) || Double.isInfinite(d)) throw new IllegalArgumentException("json: unsupported value: " + d);
        if (d == 0) return (1 / d < 0) ? "-0" : "0";
        String shortest = float32 ? Float.toString((float) d) : Double.toString(d);
        BigDecimal bd = new BigDecimal(shortest);
        double abs = Math.abs(d);
        if (abs < 1e-6 || abs >= 1e21) {
            BigDecimal unscaled = bd.stripTrailingZeros();
            String digits = unscaled.unscaledValue().abs().toString();
            int exp = digits.length() - 1 - unscaled.scale();
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return (d < 0 ? "-" : "") + mant + "e" + (exp < 0 ? "-" : "+") + Math.abs(exp);
        }
        return bd.stripTrailingZeros().toPlainString();
    }

    private static final class GoDoubleSerializer extends ValueSerializer<Double> {
        @Override
        public void serialize(Double value, JsonGenerator g, SerializationContext ctx) {
            g.writeNumber(goFloat(value, false));
        }
    }

    private static final class GoFloatSerializer extends ValueSerializer<Float> {
        @Override
        public void serialize(Float value, JsonGenerator g, SerializationContext ctx) {
            g.writeNumber(goFloat(value, true));
        }
    }

    /** Go's HTML-safe escaping, with its lower-case hex digits. */
    private static final class GoEscapes extends CharacterEscapes {
        private final int[] table;

        GoEscapes() {
            table = standardAsciiEscapesForJSON();
            table['<'] = ESCAPE_CUSTOM;
            table['>'] = ESCAPE_CUSTOM;
            table['&'] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return table;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return switch (ch) {
                case '<' -> new SerializedString("\\u003c");
                case '>' -> new SerializedString("\\u003e");
                case '&' -> new SerializedString("\\u0026");
                case 0x2028 -> new SerializedString("\\u2028");
                case 0x2029 -> new SerializedString("\\u2029");
                default -> null;
            };
        }
    }
}
