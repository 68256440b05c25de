package io.jollama.server.template;

import io.jollama.server.gotemplate.GoFmt;
import io.jollama.server.gotemplate.GoJson;
import io.jollama.server.gotemplate.GoStringer;
import io.jollama.server.gotemplate.JsonMarshaler;
import io.jollama.server.gotemplate.SchemaProperty;

import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The values Ollama hands to a prompt template (its templateMessage, templateTool, ... types). Record
 * components are named exactly like the Go fields so that {@code .ToolCalls}, {@code .Function.Arguments}
 * and so on resolve; the printing ({@link GoStringer}) and JSON forms ({@link JsonMarshaler}) follow
 * Ollama's: tools, arguments and properties print as JSON with sorted keys.
 */
public final class TemplateData {
    private TemplateData() {}

    /** One (collated) message. {@code Images} holds one placeholder per image. */
    public record Message(String Role, String Content, String Thinking, List<Object> Images, List<ToolCall> ToolCalls,
            String ToolName, String ToolCallID) {}

    public record ToolCall(String ID, ToolCallFunction Function) {}

    public record ToolCallFunction(int Index, String Name, Arguments Arguments) {}

    /** Tool-call arguments: a map that ranges and prints (as JSON) with sorted keys. */
    public static final class Arguments extends AbstractMap<String, Object> implements GoStringer, JsonMarshaler {
        private final Map<String, Object> map;

        public Arguments(Map<String, Object> map) {
            this.map = map;
        }

        @Override public Set<Entry<String, Object>> entrySet() {
            return map == null ? Set.of() : Collections.unmodifiableMap(map).entrySet();
        }

        @Override public Object get(Object key) { return map == null ? null : map.get(key); }

        @Override public String goString() { return map == null ? "{}" : GoJson.encode(map); }

        @Override public Object toJsonValue() { return map; }
    }

    /** The Tools list: prints as its JSON ({@code null} when the request had no tools). */
    public static final class Tools extends AbstractList<Tool> implements GoStringer, JsonMarshaler {
        private final List<Tool> tools;

        public Tools(List<Tool> tools) {
            this.tools = tools;
        }

        @Override public Tool get(int index) { return tools.get(index); }

        @Override public int size() { return tools == null ? 0 : tools.size(); }

        @Override public String goString() { return GoJson.encode(tools); }

        @Override public Object toJsonValue() { return tools; }
    }

    public record Tool(String Type, Object Items, ToolFunction Function) implements GoStringer, JsonMarshaler {
        @Override public String goString() { return GoJson.encode(this); }

        @Override public Object toJsonValue() {
            var m = new LinkedHashMap<String, Object>();
            m.put("type", Type);
            if (Items != null) m.put("items", Items);
            m.put("function", Function);
            return new GoJson.Ordered(m);
        }
    }

    public record ToolFunction(String Name, String Description, ToolParameters Parameters) implements JsonMarshaler {
        @Override public Object toJsonValue() {
            var m = new LinkedHashMap<String, Object>();
            m.put("name", Name);
            m.put("description", Description);
            m.put("parameters", Parameters);
            return new GoJson.Ordered(m);
        }
    }

    public record ToolParameters(String Type, Object Defs, Object Items, List<String> Required, Properties Properties)
            implements JsonMarshaler {
        @Override public Object toJsonValue() {
            var m = new LinkedHashMap<String, Object>();
            m.put("type", Type);
            if (Defs != null) m.put("$defs", Defs);
            if (Items != null) m.put("items", Items);
            if (Required != null && !Required.isEmpty()) m.put("required", Required);
            m.put("properties", Properties == null || Properties.map == null ? null : Properties);
            return new GoJson.Ordered(m);
        }
    }

    /** Top-level parameter properties: a map with sorted ranging, printing as JSON ({@code {}} when absent). */
    public static final class Properties extends AbstractMap<String, ToolProperty> implements GoStringer, JsonMarshaler {
        private final Map<String, ToolProperty> map;

        public Properties(Map<String, ToolProperty> map) {
            this.map = map;
        }

        @Override public Set<Entry<String, ToolProperty>> entrySet() {
            return map == null ? Set.of() : Collections.unmodifiableMap(map).entrySet();
        }

        @Override public ToolProperty get(Object key) { return map == null ? null : map.get(key); }

        @Override public String goString() { return map == null ? "{}" : GoJson.encode(map); }

        @Override public Object toJsonValue() { return map; }
    }

    /** One JSON-schema property. Nested {@code Properties} keep their insertion order in JSON, as Ollama's. */
    public record ToolProperty(List<ToolProperty> AnyOf, PropertyType Type, Object Items, String Description,
            List<Object> Enum, Map<String, ToolProperty> Properties, List<String> Required) implements JsonMarshaler, SchemaProperty {
        @Override public List<?> anyOf() { return AnyOf; }

        @Override public List<String> types() { return Type == null ? List.of() : Type.types(); }

        @Override public Object toJsonValue() {
            var m = new LinkedHashMap<String, Object>();
            if (AnyOf != null && !AnyOf.isEmpty()) m.put("anyOf", AnyOf);
            if (Type != null && !Type.types().isEmpty()) m.put("type", Type);
            if (Items != null) m.put("items", Items);
            if (Description != null && !Description.isEmpty()) m.put("description", Description);
            if (Enum != null && !Enum.isEmpty()) m.put("enum", Enum);
            if (Properties != null) m.put("properties", new GoJson.Ordered(new LinkedHashMap<>(Properties)));
            if (Required != null && !Required.isEmpty()) m.put("required", Required);
            return new GoJson.Ordered(m);
        }
    }

    /** A property's type: one name or several; prints as the single name or as Go's {@code [a b]}. */
    public record PropertyType(List<String> types) implements GoStringer, JsonMarshaler {
        @Override public String goString() {
            if (types.isEmpty()) return "";
            if (types.size() == 1) return types.getFirst();
            return GoFmt.print(types);
        }

        @Override public Object toJsonValue() { return types.size() == 1 ? types.getFirst() : types; }
    }

    // ---- conversion from request data ----

    static Message message(ChatMessage m) {
        // Go nil slices print as [] and are false, so absent lists are empty lists here
        List<ToolCall> calls = new ArrayList<>();
        if (m.toolCalls() != null) {
            for (ChatMessage.ToolCall tc : m.toolCalls()) {
                calls.add(new ToolCall(nz(tc.id()), new ToolCallFunction(tc.index(), nz(tc.name()),
                        new Arguments(tc.arguments() == null ? null : asGoJson(tc.arguments())))));
            }
        }
        List<Object> images = new ArrayList<>(Collections.nCopies(m.images(), ""));
        return new Message(nz(m.role()), nz(m.content()), nz(m.thinking()), images, calls, nz(m.toolName()),
                nz(m.toolCallId()));
    }

    /** Converts request tools (JSON objects as maps) to the template view; null stays "no tools". */
    @SuppressWarnings("unchecked")
    static Tools tools(List<Map<String, Object>> tools) {
        if (tools == null) return new Tools(null);
        List<Tool> out = new ArrayList<>();
        for (Map<String, Object> t : tools) {
            Map<String, Object> fn = t.get("function") instanceof Map<?, ?> f ? (Map<String, Object>) f : Map.of();
            Map<String, Object> params = fn.get("parameters") instanceof Map<?, ?> p ? (Map<String, Object>) p : Map.of();
            Map<String, ToolProperty> props = null;
            if (params.get("properties") instanceof Map<?, ?> pm) props = properties((Map<String, Object>) pm);
            out.add(new Tool(str(t.get("type")), asGoJson(t.get("items")),
                    new ToolFunction(str(fn.get("name")), str(fn.get("description")),
                            new ToolParameters(str(params.get("type")), asGoJson(params.get("$defs")), asGoJson(params.get("items")),
                                    strings(params.get("required")), new Properties(props)))));
        }
        return new Tools(out);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ToolProperty> properties(Map<String, Object> m) {
        Map<String, ToolProperty> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, property(v instanceof Map<?, ?> pm ? (Map<String, Object>) pm : Map.of())));
        return out;
    }

    @SuppressWarnings("unchecked")
    public static ToolProperty property(Map<String, Object> p) {
        List<ToolProperty> anyOf = new ArrayList<>();
        if (p.get("anyOf") instanceof List<?> l) {
            for (Object o : l) anyOf.add(property(o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of()));
        }
        Object type = p.get("type");
        PropertyType pt = type instanceof String s ? new PropertyType(List.of(s))
                : type instanceof List<?> l ? new PropertyType(strings(l)) : new PropertyType(List.of());
        Map<String, ToolProperty> nested = p.get("properties") instanceof Map<?, ?> m
                ? properties((Map<String, Object>) m) : null;
        List<Object> enumValues = p.get("enum") instanceof List<?> l ? new ArrayList<>(asGoJson(l)) : new ArrayList<>();
        return new ToolProperty(anyOf, pt, asGoJson(p.get("items")), str(p.get("description")), enumValues, nested,
                strings(p.get("required")));
    }

    /**
     * A JSON value as Go's encoding/json decodes it into {@code any}: every number becomes a float64 (Double),
     * so templates print and compare them as Ollama's do ({@code 1000000} prints as {@code 1e+06}).
     */
    @SuppressWarnings("unchecked")
    public static <T> T asGoJson(T value) {
        Object out = switch (value) {
            case null -> null;
            case Double d -> d;
            case Number n -> n.doubleValue();
            case Map<?, ?> m -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                m.forEach((k, v) -> copy.put(String.valueOf(k), asGoJson(v)));
                yield copy;
            }
            case List<?> l -> {
                List<Object> copy = new ArrayList<>();
                for (Object o : l) copy.add(asGoJson(o));
                yield copy;
            }
            default -> value;
        };
        return (T) out;
    }

    private static List<String> strings(Object o) {
        if (!(o instanceof List<?> l)) return new ArrayList<>();
        List<String> out = new ArrayList<>();
        for (Object x : l) out.add(String.valueOf(x));
        return out;
    }

    private static String str(Object o) { return o == null ? "" : o.toString(); }

    private static String nz(String s) { return s == null ? "" : s; }
}
