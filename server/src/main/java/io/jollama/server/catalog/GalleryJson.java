package io.jollama.server.catalog;

import tools.jackson.core.SerializableString;
import tools.jackson.core.io.CharacterEscapes;
import tools.jackson.core.io.SerializedString;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.type.TypeReference;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;

/**
 * JSON of the gallery's documents, written byte for byte as the gallery writes them: Python's
 * {@code json.dump(..., indent=2, ensure_ascii=False)} (two-space indent, {@code ": "} between name and value,
 * {@code []}/{@code {}} when empty, non-ASCII kept, no newline at the end), keys in insertion order.
 */
public final class GalleryJson {

    public static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder().characterEscapes(new PythonEscapes()).build())
            .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .disable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private static final ObjectWriter PYTHON_INDENT_2 = MAPPER.writer().with(pythonPrinter());

    public static final TypeReference<LinkedHashMap<String, LibraryModel>> MODELS = new TypeReference<>() {};
    public static final TypeReference<LinkedHashMap<String, LinkedHashMap<String, TagInfo>>> TAGS = new TypeReference<>() {};
    public static final TypeReference<LinkedHashMap<String, TagInfo>> MODEL_TAGS = new TypeReference<>() {};

    private GalleryJson() {}

    /** The document as the gallery publishes it (UTF-8). */
    public static byte[] write(Object document) {
        return PYTHON_INDENT_2.writeValueAsString(document).getBytes(StandardCharsets.UTF_8);
    }

    public static <T> T read(byte[] json, TypeReference<T> type) {
        return MAPPER.readValue(json, type);
    }

    public static <T> T read(byte[] json, Class<T> type) {
        return MAPPER.readValue(json, type);
    }

    private static DefaultPrettyPrinter pythonPrinter() {
        Separators separators = Separators.createDefaultInstance()
                .withObjectNameValueSpacing(Separators.Spacing.AFTER)
                .withObjectEmptySeparator("")
                .withArrayEmptySeparator("");
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        return new DefaultPrettyPrinter(separators).withObjectIndenter(indenter).withArrayIndenter(indenter);
    }

    /** Python's escaping: the short forms for {@code \b \t \n \f \r}, other control characters as lower-case hex escapes (backslash-u-00xx). */
    private static final class PythonEscapes extends CharacterEscapes {
        private final int[] table;

        PythonEscapes() {
            table = standardAsciiEscapesForJSON();
            for (int c = 0; c < 0x20; c++) table[c] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return table;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch >= 0x20) return null; // non-ASCII is written as it is (ensure_ascii=False)
            return new SerializedString(switch (ch) {
                case '\b' -> "\\b";
                case '\t' -> "\\t";
                case '\n' -> "\\n";
                case '\f' -> "\\f";
                case '\r' -> "\\r";
                default -> String.format("\\u%04x", ch);
            });
        }
    }
}
