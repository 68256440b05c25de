package io.jollama.server.toolcall;

import io.jollama.server.Json;
import io.jollama.server.template.Template;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.ValueSerializer;
import tools.jackson.databind.annotation.JsonSerialize;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds tool calls in streamed model output for Go-template models (spec §8.1), Ollama's generic parser.
 * <p>
 * The parser looks for the template's tool-call tag; text before it is content, a partial tag at the end of the
 * buffer is held back. After the tag it waits for a tool name (one of the request's tools) and a balanced JSON object
 * holding the arguments, and emits each call as soon as both are there. The tags {@code {} and {@code [} are also
 * ordinary text, so they only start tool parsing when nothing but whitespace precedes them, and parsing ends when
 * their brackets balance; with any other tag the parser keeps parsing until the end and drops what it cannot parse.
 * <p>
 * Not thread-safe: one parser per generation.
 */
public final class ToolCallParser {

    /** What one {@link #add} makes available: content to emit now and the tool calls completed. */
    public record Result(String content, List<ToolCall> calls) {}

    /** One parsed call; {@link #toJson()} is the native API's {@code tool_calls} element. */
    public record ToolCall(String id, int index, String name, Map<String, Object> arguments) {
        /** {@code {"id":..., "function":{"index":..,"name":..,"arguments":{...}}}} with keys in this order. */
        public Map<String, Object> toJson() {
            OrderedJsonMap function = new OrderedJsonMap();
            function.put("index", index);
            function.put("name", name);
            OrderedJsonMap args = new OrderedJsonMap();
            args.putAll(arguments);
            function.put("arguments", args);
            OrderedJsonMap call = new OrderedJsonMap();
            if (!id.isEmpty()) call.put("id", id);
            call.put("function", function);
            return call;
        }
    }

    private enum State { LOOKING_FOR_TAG, TOOL_CALLING, DONE }

    private final String tag;
    private final List<String> names;
    private final int longestName;
    private final StringBuilder buf = new StringBuilder();
    private State state = State.LOOKING_FOR_TAG;
    private int calls;

    /**
     * @param tag       the text that starts tool calls in the output (never empty; Ollama uses {@code "{"} as default)
     * @param toolNames the names of the request's tools
     */
    public ToolCallParser(String tag, List<String> toolNames) {
        if (tag == null || tag.isEmpty()) throw new IllegalArgumentException("tool-call tag must not be empty");
        this.tag = tag;
        // an empty name would "occur" everywhere; such a tool can never be called
        this.names = toolNames.stream().filter(n -> n != null && !n.isEmpty()).toList();
        this.longestName = names.stream().mapToInt(String::length).max().orElse(0);
    }

    /** A parser for a chat request's {@code tools} on a model with this template. */
    public static ToolCallParser forTemplate(Template template, List<Map<String, Object>> tools) {
        return new ToolCallParser(template.toolCallTag(), toolNames(tools));
    }

    /** The {@code function.name} of each tool, in order (tools without one are skipped). */
    public static List<String> toolNames(List<Map<String, Object>> tools) {
        List<String> out = new ArrayList<>();
        if (tools == null) return out;
        for (Map<String, Object> t : tools) {
            if (t != null && t.get("function") instanceof Map<?, ?> f && f.get("name") instanceof String n) out.add(n);
        }
        return out;
    }

    public String tag() {
        return tag;
    }

    /** Feeds the next piece of output. */
    public Result add(String text) {
        if (state == State.DONE) return new Result(text, List.of());
        buf.append(text);
        StringBuilder content = new StringBuilder();
        if (state == State.LOOKING_FOR_TAG) {
            int at = buf.indexOf(tag);
            boolean found = at >= 0;
            if (!found) at = partialTagStart();
            int cut = at < 0 ? buf.length() : at;
            content.append(buf, 0, cut);
            buf.delete(0, cut);
            // "{" and "[" are ordinary text too: they only start tool calls at the start of the output
            if (bracketTag() && !content.toString().isBlank()) {
                state = State.DONE;
                content.append(buf);
                buf.setLength(0);
                return new Result(content.toString(), List.of());
            }
            if (!found) return new Result(content.toString(), List.of());
            state = State.TOOL_CALLING;
        }
        List<ToolCall> parsed = new ArrayList<>();
        for (ToolCall c; (c = nextCall()) != null; ) parsed.add(c);
        if (bracketsBalanced()) {
            state = State.DONE;
            content.append(buf);
            buf.setLength(0);
        }
        return new Result(content.toString(), parsed);
    }

    /**
     * The end of the output: what is still held back and is content. After a {@code {}/{@code [} tag without
     * any parsed call that is the buffered text; after any other tag the unparsed text is dropped. A partial tag
     * still held back was never a tool call and is returned.
     */
    public String flush() {
        String rest = buf.toString();
        buf.setLength(0);
        if (state == State.LOOKING_FOR_TAG) return rest;
        if (calls > 0) return "";
        return bracketTag() ? rest : "";
    }

    private boolean bracketTag() {
        return tag.equals("{") || tag.equals("[");
    }

    /** Start of the longest suffix of the buffer that is a proper prefix of the tag, or -1. */
    private int partialTagStart() {
        for (int len = Math.min(buf.length(), tag.length() - 1); len > 0; len--) {
            if (endsWith(buf, tag, len)) return buf.length() - len;
        }
        return -1;
    }

    private static boolean endsWith(CharSequence s, String prefixOf, int len) {
        int off = s.length() - len;
        for (int i = 0; i < len; i++) if (s.charAt(off + i) != prefixOf.charAt(i)) return false;
        return true;
    }

    /** Parses one call off the front of the buffer, or null when there is none (yet). */
    private ToolCall nextCall() {
        String s = buf.toString();
        NameMatch name = findName(s);
        if (name == null) return null;
        Arguments a = findArguments(s, name.name);
        if (a == null || a.args == null) return null;
        buf.delete(0, Math.max(name.end, a.end));
        return new ToolCall(newId(), calls++, name.name, a.args);
    }

    private record NameMatch(String name, int end) {}

    /**
     * The earliest tool name in {@code s} (the longest one if several start there) and where it ends; null if there
     * is none, or if {@code s} ends with the start of a longer name we must wait for.
     */
    private NameMatch findName(String s) {
        if (s.isEmpty()) return null;
        // "get" at the end might still become "get_weather": wait for more output
        for (int i = 1; i <= Math.min(s.length(), longestName); i++) {
            String tail = s.substring(s.length() - i);
            for (String n : names) if (tail.length() < n.length() && n.startsWith(tail)) return null;
        }
        int start = -1;
        String best = null;
        for (String n : names) {
            int pos = s.indexOf(n);
            if (pos < 0) continue;
            if (best != null && (pos > start || (pos == start && n.length() <= best.length()))) continue;
            best = n;
            start = pos;
        }
        return best == null ? null : new NameMatch(best, start + best.length());
    }

    /** Arguments found, and the index just past the JSON object they came from; {@code args} null = not a call. */
    record Arguments(Map<String, Object> args, int end) {}

    /**
     * The first balanced {@code {...}} in {@code s} (brackets inside JSON strings do not count) that parses as a
     * JSON object, read as arguments of {@code tool}; null if there is none yet.
     */
    static Arguments findArguments(String s, String tool) {
        int start = -1, depth = 0;
        boolean inString = false, escaped = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (escaped) {
                escaped = false;
                continue;
            }
            if (c == '\\') {
                escaped = true;
                continue;
            }
            if (c == '"') {
                inString = !inString;
                continue;
            }
            if (inString) continue;
            if (c == '{') {
                if (depth == 0) start = i;
                depth++;
            } else if (c == '}') {
                depth--;
                if (depth == 0 && start >= 0) {
                    Map<String, Object> obj = parseObject(s.substring(start, i + 1));
                    if (obj == null) {
                        start = -1; // not JSON: keep looking
                        continue;
                    }
                    Lookup l = lookup(obj, tool);
                    return new Arguments(l.found ? l.args : obj, i + 1);
                }
                if (depth < 0) depth = 0;
            }
        }
        return null;
    }

    private record Lookup(boolean found, Map<String, Object> args) {
        static final Lookup NONE = new Lookup(false, null);
    }

    /**
     * Where the arguments are in a parsed object: an object with {@code "name"} holds them in {@code "arguments"} or
     * {@code "parameters"} (an object or a JSON string of one; found-but-none otherwise); else under a key equal to the
     * tool's name; else in the first nested object (directly or in an array) that has them.
     */
    private static Lookup lookup(Map<String, Object> obj, String tool) {
        if (obj.containsKey("name")) {
            Map<String, Object> m = asArguments(obj.get("arguments"));
            if (m == null) m = asArguments(obj.get("parameters"));
            return new Lookup(true, m);
        }
        Map<String, Object> m = asArguments(obj.get(tool));
        if (m != null) return new Lookup(true, m);
        for (Object v : obj.values()) {
            if (v instanceof Map<?, ?> child) {
                Lookup l = lookup(cast(child), tool);
                if (l.found) return l;
            } else if (v instanceof List<?> list) {
                for (Object item : list) {
                    if (item instanceof Map<?, ?> child) {
                        Lookup l = lookup(cast(child), tool);
                        if (l.found) return l;
                    }
                }
            }
        }
        return Lookup.NONE;
    }

    private static Map<String, Object> asArguments(Object v) {
        if (v instanceof Map<?, ?> m) return cast(m);
        if (v instanceof String s) return parseObject(s);
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    /** A JSON object in key order, or null if {@code s} is not exactly one JSON object. */
    private static Map<String, Object> parseObject(String s) {
        try {
            Object v = Json.MAPPER.readerFor(Object.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValue(s);
            return v instanceof Map<?, ?> m ? cast(m) : null;
        } catch (JacksonException e) {
            return null;
        }
    }

    /** For the {@code {}/{@code [} tags: the buffer holds a balanced bracket pair (outside JSON strings). */
    private boolean bracketsBalanced() {
        if (!bracketTag()) return false;
        char open = tag.charAt(0), close = open == '{' ? '}' : ']';
        int count = 0;
        boolean inString = false, escaped = false;
        for (int i = 0; i < buf.length(); i++) {
            char c = buf.charAt(i);
            if (escaped) {
                escaped = false;
                continue;
            }
            if (c == '\\') {
                escaped = true;
                continue;
            }
            if (c == '"') {
                inString = !inString;
                continue;
            }
            if (inString) continue;
            if (c == open) count++;
            else if (c == close && --count == 0) return true;
        }
        return false;
    }

    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";

    /** A fresh tool-call id: {@code call_} and 8 characters of {@code [a-z0-9]}. */
    static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        StringBuilder sb = new StringBuilder("call_");
        for (int i = 0; i < 8; i++) sb.append(ID_CHARS.charAt(r.nextInt(ID_CHARS.length())));
        return sb.toString();
    }

    /**
     * A JSON object written in insertion order. The server's mapper sorts map keys (as Go does for maps), but Ollama's
     * tool calls and their arguments keep their order.
     */
    @JsonSerialize(using = OrderedJsonMap.Serializer.class)
    public static final class OrderedJsonMap extends LinkedHashMap<String, Object> {
        static final class Serializer extends ValueSerializer<OrderedJsonMap> {
            @Override
            public void serialize(OrderedJsonMap value, JsonGenerator gen, SerializationContext ctx) {
                gen.writeStartObject(value);
                for (Map.Entry<String, Object> e : value.entrySet()) {
                    gen.writeName(e.getKey());
                    ctx.writeValue(gen, e.getValue());
                }
                gen.writeEndObject();
            }
        }
    }
}
