package io.jollama.server.gotemplate;

import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Go's builtin template functions and Ollama's additions (json, currentDate, yesterdayDate, toTypeScriptType). */
final class Funcs {
    private Funcs() {}

    /** Names evaluated lazily by the executor (short-circuit). */
    static final String AND = "and";
    static final String OR = "or";

    static Map<String, TemplateFunction> builtins() {
        Map<String, TemplateFunction> f = new HashMap<>();
        // and/or are evaluated by the executor; these entries only declare them and check arity
        f.put(AND, TemplateFunction.variadic(1, args -> null));
        f.put(OR, TemplateFunction.variadic(1, args -> null));
        f.put("not", TemplateFunction.fixed(1, args -> !Values.isTrue(args.getFirst())));
        f.put("len", TemplateFunction.fixed(1, args -> len(args.getFirst())));
        f.put("index", TemplateFunction.variadic(1, args -> index(args.getFirst(), args.subList(1, args.size()))));
        f.put("slice", TemplateFunction.variadic(1, args -> slice(args.getFirst(), args.subList(1, args.size()))));
        f.put("eq", TemplateFunction.variadic(1, args -> eq(args.getFirst(), args.subList(1, args.size()))));
        f.put("ne", TemplateFunction.fixed(2, args -> !eq(args.get(0), args.subList(1, 2))));
        f.put("lt", TemplateFunction.fixed(2, args -> compare(args.get(0), args.get(1)) < 0));
        f.put("le", TemplateFunction.fixed(2, args -> compare(args.get(0), args.get(1)) <= 0));
        f.put("gt", TemplateFunction.fixed(2, args -> compare(args.get(0), args.get(1)) > 0));
        f.put("ge", TemplateFunction.fixed(2, args -> compare(args.get(0), args.get(1)) >= 0));
        f.put("print", TemplateFunction.variadic(0, GoFmt::sprint));
        f.put("println", TemplateFunction.variadic(0, GoFmt::sprintln));
        f.put("printf", TemplateFunction.variadic(1, args -> {
            if (!(args.getFirst() instanceof String format)) {
                throw new TypeError("wrong type for value; expected string; got " + Values.typeName(args.getFirst()));
            }
            return GoFmt.sprintf(format, args.subList(1, args.size()));
        }));
        f.put("html", TemplateFunction.variadic(0, args -> html(evalArgs(args))));
        f.put("js", TemplateFunction.variadic(0, args -> js(evalArgs(args))));
        f.put("urlquery", TemplateFunction.variadic(0, args -> urlquery(evalArgs(args))));
        f.put("call", TemplateFunction.variadic(1, args -> {
            throw new IllegalArgumentException("non-function " + GoFmt.print(args.getFirst()) + " of type "
                    + Values.typeName(args.getFirst()));
        }));
        return f;
    }

    /** Ollama's template functions (template/template.go). */
    static Map<String, TemplateFunction> ollama(Clock clock) {
        Map<String, TemplateFunction> f = new HashMap<>();
        f.put("json", TemplateFunction.fixed(1, args -> GoJson.encodeLenient(args.getFirst())));
        f.put("currentDate", TemplateFunction.variadic(0, args -> LocalDate.now(clock).toString()));
        f.put("yesterdayDate", TemplateFunction.variadic(0, args -> LocalDate.now(clock).minusDays(1).toString()));
        f.put("toTypeScriptType", TemplateFunction.fixed(1, args -> toTypeScriptType(args.getFirst())));
        return f;
    }

    /** A Go argument type mismatch: reported without the "error calling" prefix, as Go does. */
    static final class TypeError extends RuntimeException {
        TypeError(String msg) { super(msg, null, false, false); }
    }

    static Object len(Object v) {
        return switch (v) {
            case null -> throw new IllegalArgumentException("len of nil pointer");
            case String s -> Values.utf8(s).length;
            case Collection<?> c -> c.size();
            case Map<?, ?> m -> m.size();
            case Object[] a -> a.length;
            default -> throw new IllegalArgumentException("len of type " + Values.typeName(v));
        };
    }

    private static int indexArg(Object index, int size, String what) {
        if (index == null) throw new IllegalArgumentException("cannot index " + what + " with nil");
        if (Values.kind(index) != Values.Kind.INT) {
            throw new IllegalArgumentException("cannot index " + what + " with type " + Values.typeName(index));
        }
        long x = Values.toLong(index);
        if (x < 0 || x > size) throw new IllegalArgumentException("index out of range: " + x);
        return (int) x;
    }

    static Object index(Object item, List<Object> indexes) {
        if (item == null) throw new IllegalArgumentException("index of untyped nil");
        for (Object index : indexes) {
            if (item == null) throw new IllegalArgumentException("index of nil pointer");
            switch (item) {
                case List<?> l -> {
                    int x = indexArg(index, l.size(), "slice/array");
                    if (x >= l.size()) throw new IllegalArgumentException("index out of range: " + x);
                    item = l.get(x);
                }
                case String s -> {
                    byte[] b = Values.utf8(s);
                    int x = indexArg(index, b.length, "slice/array");
                    if (x >= b.length) throw new IllegalArgumentException("index out of range: " + x);
                    item = b[x] & 0xff;
                }
                case Map<?, ?> m -> {
                    if (index != null && !(index instanceof String)) {
                        throw new IllegalArgumentException("value has type " + Values.typeName(index)
                                + "; should be string");
                    }
                    item = m.get(index);
                }
                default -> throw new IllegalArgumentException("can't index item of type " + Values.typeName(item));
            }
        }
        return item;
    }

    static Object slice(Object item, List<Object> indexes) {
        if (item == null) throw new IllegalArgumentException("slice of untyped nil");
        if (indexes.size() > 3) throw new IllegalArgumentException("too many slice indexes: " + indexes.size());
        int len;
        switch (item) {
            case String s -> {
                if (indexes.size() == 3) throw new IllegalArgumentException("cannot 3-index slice a string");
                len = Values.utf8(s).length;
            }
            case List<?> l -> len = l.size();
            default -> throw new IllegalArgumentException("can't slice item of type " + Values.typeName(item));
        }
        int[] idx = {0, len, len};
        for (int i = 0; i < indexes.size(); i++) idx[i] = indexArg(indexes.get(i), len, "slice/array");
        if (idx[0] > idx[1]) throw new IllegalArgumentException("invalid slice index: " + idx[0] + " > " + idx[1]);
        if (indexes.size() == 3 && idx[1] > idx[2]) {
            throw new IllegalArgumentException("invalid slice index: " + idx[1] + " > " + idx[2]);
        }
        if (item instanceof String s) {
            byte[] b = Values.utf8(s);
            return new String(b, idx[0], idx[1] - idx[0], java.nio.charset.StandardCharsets.UTF_8);
        }
        return new ArrayList<>(((List<?>) item).subList(idx[0], idx[1]));
    }

    static boolean eq(Object a, List<Object> others) {
        if (others.isEmpty()) throw new IllegalArgumentException("missing argument for comparison");
        Values.Kind k1 = Values.kind(a);
        for (Object b : others) {
            Values.Kind k2 = Values.kind(b);
            boolean truth;
            if (k1 != k2) {
                if (a != null && b != null) throw new IllegalArgumentException("incompatible types for comparison");
                truth = false;
            } else {
                truth = switch (k1) {
                    case BOOL, STRING -> a.equals(b);
                    case INT -> Values.toLong(a) == Values.toLong(b);
                    case FLOAT -> Values.toDouble(a) == Values.toDouble(b);
                    case INVALID -> true;
                    case OTHER -> {
                        if (a instanceof Collection<?> || a instanceof Map<?, ?> || b instanceof Collection<?>
                                || b instanceof Map<?, ?>) {
                            throw new IllegalArgumentException("non-comparable type " + GoFmt.print(b) + ": "
                                    + Values.typeName(b));
                        }
                        yield a.equals(b);
                    }
                };
            }
            if (truth) return true;
        }
        return false;
    }

    static int compare(Object a, Object b) {
        Values.Kind k1 = Values.kind(a);
        Values.Kind k2 = Values.kind(b);
        if (k1 != Values.Kind.INT && k1 != Values.Kind.FLOAT && k1 != Values.Kind.STRING) {
            throw new IllegalArgumentException("invalid type for comparison");
        }
        if (k1 != k2) throw new IllegalArgumentException("incompatible types for comparison");
        return switch (k1) {
            case INT -> Long.compare(Values.toLong(a), Values.toLong(b));
            case FLOAT -> Double.compare(Values.toDouble(a), Values.toDouble(b));
            default -> GoFmt.compareGoStrings((String) a, (String) b);
        };
    }

    private static String evalArgs(List<Object> args) {
        if (args.size() == 1 && args.getFirst() instanceof String s) return s;
        return GoFmt.sprint(args);
    }

    static String html(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("&#34;");
                case '\'' -> b.append("&#39;");
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '\0' -> b.append('\uFFFD');
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String js(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\'' -> b.append("\\'");
                case '"' -> b.append("\\\"");
                case '<' -> b.append("\\u003C");
                case '>' -> b.append("\\u003E");
                case '&' -> b.append("\\u0026");
                case '=' -> b.append("\\u003D");
                case '`' -> b.append("\\u0060");
                case '\u2028' -> b.append("\\u2028");
                case '\u2029' -> b.append("\\u2029");
                default -> {
                    if (c < ' ') b.append(String.format("\\u%04X", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.toString();
    }

    static String urlquery(String s) {
        StringBuilder b = new StringBuilder();
        for (byte by : Values.utf8(s)) {
            int c = by & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                b.append((char) c);
            } else if (c == ' ') {
                b.append('+');
            } else {
                b.append('%').append(String.format("%02X", c));
            }
        }
        return b.toString();
    }

    /** Ollama's api.ToolProperty.ToTypeScriptType over the template's property view (or a JSON-like map). */
    static String toTypeScriptType(Object v) {
        List<?> anyOf;
        List<?> types;
        switch (v) {
            case SchemaProperty p -> {
                anyOf = p.anyOf();
                types = p.types();
            }
            case Map<?, ?> m -> {
                anyOf = m.get("anyOf") instanceof List<?> l ? l : List.of();
                Object t = m.get("type");
                types = t instanceof List<?> l ? l : t instanceof String s ? List.of(s) : List.of();
            }
            case null, default -> {
                return "any";
            }
        }
        if (anyOf != null && !anyOf.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (Object a : anyOf) parts.add(toTypeScriptType(a));
            return String.join(" | ", parts);
        }
        if (types.isEmpty()) return "any";
        List<String> parts = new ArrayList<>();
        for (Object t : types) parts.add(tsType(String.valueOf(t)));
        return String.join(" | ", parts);
    }

    private static String tsType(String jsonType) {
        return switch (jsonType) {
            case "string" -> "string";
            case "number", "integer" -> "number";
            case "boolean" -> "boolean";
            case "array" -> "any[]";
            case "object" -> "Record<string, any>";
            case "null" -> "null";
            default -> "any";
        };
    }
}
