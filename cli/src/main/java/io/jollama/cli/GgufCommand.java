package io.jollama.cli;

import io.jollama.engine.gguf.GgufArray;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufValueType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.io.PrintStream;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code jollama gguf FILE}: prints a GGUF file's metadata and tensor table, like llama.cpp's gguf-dump. */
@Command(name = "gguf", mixinStandardHelpOptions = true,
        description = "Print the metadata and tensor table of a GGUF file.")
public final class GgufCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "the GGUF file")
    Path file;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Option(names = "--full", description = "print arrays whole instead of abbreviated")
    boolean full;

    private static final int SHOWN = 8;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) {
            System.err.println("Error: " + file + ": no such file");
            return 1;
        }
        GgufFile g;
        try {
            g = GgufFile.readHeader(file);
        } catch (java.io.IOException e) {
            System.err.println("Error: " + e.getMessage());
            return 1;
        }
        PrintStream out = System.out;
        if (json) {
            out.println(JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(g)));
            return 0;
        }
        out.printf("* GGUF version %d, alignment %d, data at offset %d, %d bytes%n", g.version(), g.alignment(), g.dataOffset(), g.fileSize());
        out.printf("* Dumping %d key/value pair(s)%n", g.metadata().size());
        int i = 1;
        for (var e : g.metadata().entrySet()) {
            GgufValue v = e.getValue();
            String type = v.type() == GgufValueType.ARRAY ? "[" + ((GgufArray) v.value()).elementType() + "]" : v.type().name();
            int count = v.type() == GgufValueType.ARRAY ? ((GgufArray) v.value()).length() : 1;
            out.printf("%7d: %-10s | %8d | %s = %s%n", i++, type, count, e.getKey(), render(v.type(), v.value()));
        }
        out.printf("* Dumping %d tensor(s)%n", g.tensors().size());
        i = 1;
        for (GgufTensorInfo t : g.tensors()) {
            StringBuilder shape = new StringBuilder();
            for (int d = 0; d < 4; d++) {
                if (d > 0) shape.append(", ");
                shape.append(String.format("%5d", d < t.shape().length ? t.shape()[d] : 1));
            }
            out.printf("%7d: %10d | %s | %-7s | %12d | %s%n", i++, t.elementCount(), shape, t.type(), g.dataOffset() + t.offset(), t.name());
        }
        return 0;
    }

    private String render(GgufValueType type, Object v) {
        return switch (type) {
            case STRING -> quote((String) v);
            case ARRAY -> renderArray((GgufArray) v);
            case UINT8 -> Integer.toString(((Byte) v) & 0xFF);
            case UINT16 -> Integer.toString(((Short) v) & 0xFFFF);
            case UINT32 -> Integer.toUnsignedString((Integer) v);
            case UINT64 -> Long.toUnsignedString((Long) v);
            default -> String.valueOf(v);
        };
    }

    private String renderArray(GgufArray a) {
        int n = a.length();
        int shown = full ? n : Math.min(n, SHOWN);
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < shown; k++) {
            if (k > 0) sb.append(", ");
            sb.append(render(a.elementType(), a.get(k)));
        }
        if (shown < n) sb.append(", ... (").append(n - shown).append(" more)");
        return sb.append(']').toString();
    }

    private static String quote(String s) {
        String shortened = s.length() > 120 ? s.substring(0, 117) + "..." : s;
        return "'" + shortened.replace("\n", "\\n") + "'";
    }

    private ObjectNode toJson(GgufFile g) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("file", g.path().toString());
        root.put("version", g.version());
        root.put("alignment", g.alignment());
        root.put("data_offset", g.dataOffset());
        ObjectNode meta = root.putObject("metadata");
        for (var e : g.metadata().entrySet()) {
            ObjectNode kv = meta.putObject(e.getKey());
            GgufValue v = e.getValue();
            kv.put("type", v.type().name());
            if (v.type() == GgufValueType.ARRAY) {
                GgufArray a = (GgufArray) v.value();
                kv.put("element_type", a.elementType().name());
                kv.put("length", a.length());
                kv.set("value", jsonArray(a, full ? Integer.MAX_VALUE : SHOWN));
            } else {
                kv.set("value", jsonScalar(v.type(), v.value()));
            }
        }
        ArrayNode tensors = root.putArray("tensors");
        for (GgufTensorInfo t : g.tensors()) {
            ObjectNode o = tensors.addObject();
            o.put("name", t.name());
            o.put("type", t.type().name());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            o.put("offset", g.dataOffset() + t.offset());
            o.put("size", t.byteSize());
        }
        return root;
    }

    private ArrayNode jsonArray(GgufArray a, int limit) {
        ArrayNode arr = JsonNodeFactory.instance.arrayNode();
        int n = Math.min(a.length(), limit);
        for (int k = 0; k < n; k++) {
            Object item = a.get(k);
            if (item instanceof GgufArray nested) arr.add(jsonArray(nested, limit));
            else arr.add(jsonScalar(a.elementType(), item));
        }
        return arr;
    }

    private tools.jackson.databind.JsonNode jsonScalar(GgufValueType type, Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (type) {
            case STRING -> f.textNode((String) v);
            case BOOL -> f.booleanNode((Boolean) v);
            case FLOAT32 -> f.numberNode((Float) v);
            case FLOAT64 -> f.numberNode((Double) v);
            case UINT8 -> f.numberNode(((Byte) v) & 0xFF);
            case UINT16 -> f.numberNode(((Short) v) & 0xFFFF);
            case UINT32 -> f.numberNode(Integer.toUnsignedLong((Integer) v));
            case UINT64 -> f.numberNode(new java.math.BigInteger(Long.toUnsignedString((Long) v)));
            case INT8 -> f.numberNode((Byte) v);
            case INT16 -> f.numberNode((Short) v);
            case INT32 -> f.numberNode((Integer) v);
            case INT64 -> f.numberNode((Long) v);
            default -> f.textNode(String.valueOf(v));
        };
    }
}
