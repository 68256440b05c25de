package io.jollama.server.schema;

import io.jollama.server.Json;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A JSON schema (as decoded from a request: maps, lists, strings, numbers, booleans) to a GBNF grammar of the JSON
 * texts that validate against it, by the rules of llama.cpp's {@code json-schema-to-grammar}, which Ollama uses: the
 * same rule names and rule texts, so the grammar can be compared with llama.cpp's. Properties come in schema order,
 * required ones first; an object allows no other properties unless {@code additionalProperties} says so.
 * <p>
 * Unlike llama.cpp, which ignores what it cannot convert (and then answers unconstrained text where the schema wanted
 * more), every constraint keyword the conversion does not honour is refused with an {@link IllegalArgumentException}
 * naming it and where it is. Patterns also differ where llama.cpp's grammar could produce invalid JSON: {@code .} and
 * character classes never match a quote, a backslash or a control character, and literal quotes, backslashes and
 * control characters of a pattern are written escaped; {@code \d}, {@code \w} and {@code \s} are supported.
 */
public final class SchemaGrammar {

    private static final String SPACE_RULE = "| \" \" | \"\\n\"{1,2} [ \\t]{0,20}";

    private record Builtin(String content, List<String> deps) {}

    private static final Map<String, Builtin> PRIMITIVES = Map.ofEntries(
            Map.entry("boolean", new Builtin("(\"true\" | \"false\")", List.of())),
            Map.entry("decimal-part", new Builtin("[0-9]{1,16}", List.of())),
            Map.entry("integral-part", new Builtin("[0] | [1-9] [0-9]{0,15}", List.of())),
            Map.entry("number", new Builtin("(\"-\"? integral-part) (\".\" decimal-part)? ([eE] [-+]? integral-part)?", List.of("integral-part", "decimal-part"))),
            Map.entry("integer", new Builtin("(\"-\"? integral-part)", List.of("integral-part"))),
            Map.entry("value", new Builtin("object | array | string | number | boolean | null", List.of("object", "array", "string", "number", "boolean", "null"))),
            Map.entry("object", new Builtin("\"{\" space ( string \":\" space value (\",\" space string \":\" space value)* )? space \"}\"", List.of("string", "value"))),
            Map.entry("array", new Builtin("\"[\" space ( value (\",\" space value)* )? space \"]\"", List.of("value"))),
            Map.entry("uuid", new Builtin("\"\\\"\" [0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{12} \"\\\"\"", List.of())),
            Map.entry("char", new Builtin("[^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4})", List.of())),
            Map.entry("string", new Builtin("\"\\\"\" char* \"\\\"\"", List.of("char"))),
            Map.entry("null", new Builtin("\"null\"", List.of())));

    private static final Map<String, Builtin> STRING_FORMATS = Map.of(
            "date", new Builtin("[0-9]{4} \"-\" ( \"0\" [1-9] | \"1\" [0-2] ) \"-\" ( \"0\" [1-9] | [1-2] [0-9] | \"3\" [0-1] )", List.of()),
            "time", new Builtin("([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{3} )? ( \"Z\" | ( \"+\" | \"-\" ) ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )", List.of()),
            "date-time", new Builtin("date \"T\" time", List.of("date", "time")),
            "date-string", new Builtin("\"\\\"\" date \"\\\"\"", List.of("date")),
            "time-string", new Builtin("\"\\\"\" time \"\\\"\"", List.of("time")),
            "date-time-string", new Builtin("\"\\\"\" date-time \"\\\"\"", List.of("date-time")));

    /** JSON schema keywords that constrain a value; any of them the conversion does not honour is refused. */
    private static final Set<String> CONSTRAINTS = Set.of("type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum",
            "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
            "maxContains", "minContains", "maxProperties", "minProperties", "required", "dependentRequired", "dependencies",
            "properties", "patternProperties", "additionalProperties", "propertyNames", "items", "prefixItems", "additionalItems",
            "contains", "unevaluatedItems", "unevaluatedProperties", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
            "dependentSchemas", "$ref", "$dynamicRef", "$recursiveRef", "format");

    /** The instance type a type-specific keyword applies to; under another single {@code type} it constrains nothing. */
    private static final Map<String, String> KEYWORD_TYPE = keywordTypes();

    private static Map<String, String> keywordTypes() {
        Map<String, String> m = new HashMap<>();
        for (String k : List.of("minLength", "maxLength", "pattern", "format")) m.put(k, "string");
        for (String k : List.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")) m.put(k, "number");
        for (String k : List.of("items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains",
                "minContains", "maxContains", "unevaluatedItems")) m.put(k, "array");
        for (String k : List.of("properties", "required", "additionalProperties", "patternProperties", "propertyNames",
                "minProperties", "maxProperties", "dependentRequired", "dependentSchemas", "dependencies", "unevaluatedProperties")) {
            m.put(k, "object");
        }
        return Map.copyOf(m);
    }

    private static final Set<String> TYPES = Set.of("object", "array", "string", "number", "integer", "boolean", "null");
    private static final Pattern INVALID_RULE_CHARS = Pattern.compile("[^a-zA-Z0-9-]+");
    /** A JSON string's character where a pattern's class or dot could match anything: no quote, backslash or control. */
    private static final String JSON_SAFE_EXCLUDED = "\"\\\\\\x7F\\x00-\\x1F";

    private final Map<String, String> rules = new TreeMap<>();
    private final Map<String, Object> refs = new HashMap<>();
    private final Set<String> refsBeingResolved = new HashSet<>();

    private SchemaGrammar() {
        rules.put("space", SPACE_RULE);
    }

    /**
     * The GBNF grammar of a schema, rules sorted by name, one per line (as llama.cpp prints it).
     *
     * @throws IllegalArgumentException naming an unsupported feature or an invalid schema, and where it is
     */
    public static String gbnf(Object schema) {
        SchemaGrammar c = new SchemaGrammar();
        c.resolveRefs(schema, schema);
        c.visit(schema, "", "#");
        StringBuilder sb = new StringBuilder();
        for (var e : c.rules.entrySet()) sb.append(e.getKey()).append(" ::= ").append(e.getValue()).append('\n');
        return sb.toString();
    }

    // ------------------------------------------------------------------ rules

    private String addRule(String name, String rule) {
        String esc = INVALID_RULE_CHARS.matcher(name).replaceAll("-");
        String existing = rules.get(esc);
        if (existing == null || existing.equals(rule)) {
            rules.put(esc, rule);
            return esc;
        }
        int i = 0;
        while (rules.containsKey(esc + i) && !rules.get(esc + i).equals(rule)) i++;
        rules.put(esc + i, rule);
        return esc + i;
    }

    private String addPrimitive(String name, Builtin rule) {
        String n = addRule(name, rule.content());
        for (String dep : rule.deps()) {
            Builtin d = PRIMITIVES.containsKey(dep) ? PRIMITIVES.get(dep) : STRING_FORMATS.get(dep);
            if (!rules.containsKey(dep)) addPrimitive(dep, d);
        }
        return n;
    }

    private static boolean reserved(String name) {
        return name.equals("root") || PRIMITIVES.containsKey(name) || STRING_FORMATS.containsKey(name);
    }

    private static String formatLiteral(String literal) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            switch (c) {
                case '\r' -> sb.append("\\r");
                case '\n' -> sb.append("\\n");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private static String constant(Object value) {
        return formatLiteral(Json.write(value));
    }

    private static String prefix(String name) {
        return name.isEmpty() ? "" : name + "-";
    }

    // ------------------------------------------------------------------ $ref

    private void resolveRefs(Object node, Object root) {
        if (node instanceof List<?> list) {
            for (Object x : list) resolveRefs(x, root);
        } else if (node instanceof Map<?, ?> map) {
            if (map.containsKey("$ref")) {
                if (!(map.get("$ref") instanceof String ref)) throw invalid("$ref must be a string");
                if (refs.containsKey(ref)) return;
                if (!ref.startsWith("#/") && !ref.equals("#")) throw unsupported("$ref \"" + ref + "\" (only local references, #/...)", "");
                Object target = root;
                String[] parts = ref.substring(1).split("/");
                for (int i = 1; i < parts.length; i++) {
                    String sel = parts[i].replace("~1", "/").replace("~0", "~");
                    if (target instanceof Map<?, ?> m && m.containsKey(sel)) {
                        target = m.get(sel);
                    } else if (target instanceof List<?> l && sel.matches("\\d+") && Integer.parseInt(sel) < l.size()) {
                        target = l.get(Integer.parseInt(sel));
                    } else {
                        throw invalid("$ref \"" + ref + "\" does not resolve: no \"" + sel + "\"");
                    }
                }
                refs.put(ref, target);
            } else {
                for (Object v : map.values()) resolveRefs(v, root);
            }
        }
    }

    private String resolveRef(String ref, String path) {
        String fragment = ref.substring(ref.indexOf('#') + 1);
        String refName = "ref" + INVALID_RULE_CHARS.matcher(fragment).replaceAll("-");
        if (!rules.containsKey(refName) && !refsBeingResolved.contains(ref)) {
            refsBeingResolved.add(ref);
            refName = visit(refs.get(ref), refName, ref);
            refsBeingResolved.remove(ref);
        }
        return refName;
    }

    // ------------------------------------------------------------------ schemas

    @SuppressWarnings("unchecked")
    private String visit(Object node, String name, String path) {
        if (Boolean.TRUE.equals(node)) node = Map.of();
        if (!(node instanceof Map<?, ?>)) throw invalid("a schema must be an object" + at(path));
        Map<String, Object> schema = (Map<String, Object>) node;
        Object type = schema.get("type");
        if (type != null && !(type instanceof String) && !(type instanceof List<?>)) throw invalid("\"type\" must be a string or an array" + at(path));
        if (type instanceof String t && !TYPES.contains(t)) throw invalid("unknown type \"" + t + "\"" + at(path));
        Object fmt = schema.get("format");
        String format = fmt instanceof String f ? f : "";
        String ruleName = reserved(name) ? name + "-" : name.isEmpty() ? "root" : name;

        if (schema.containsKey("$ref")) {
            honours(schema, path, "$ref");
            return addRule(ruleName, resolveRef((String) schema.get("$ref"), path));
        }
        if (schema.containsKey("oneOf") || schema.containsKey("anyOf")) {
            String key = schema.containsKey("oneOf") ? "oneOf" : "anyOf";
            honours(schema, path, key);
            List<Object> alts = list(schema.get(key), key, path);
            if (alts.isEmpty()) throw invalid("\"" + key + "\" must not be empty" + at(path));
            List<String> names = new ArrayList<>();
            for (int i = 0; i < alts.size(); i++) {
                names.add(visit(alts.get(i), name + (name.isEmpty() ? "alternative-" : "-") + i, path + "/" + key + "/" + i));
            }
            return addRule(ruleName, String.join(" | ", names));
        }
        if (type instanceof List<?> types) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < types.size(); i++) {
                if (!(types.get(i) instanceof String t) || !TYPES.contains(t)) throw invalid("unknown type " + Json.write(types.get(i)) + at(path));
                Map<String, Object> copy = new LinkedHashMap<>(schema);
                copy.put("type", t);
                names.add(visit(copy, name + (name.isEmpty() ? "alternative-" : "-") + i, path));
            }
            return addRule(ruleName, String.join(" | ", names));
        }
        if (schema.containsKey("const")) {
            honours(schema, path, "const", "type", "enum");
            return addRule(ruleName, constant(schema.get("const")));
        }
        if (schema.containsKey("enum")) {
            honours(schema, path, "enum", "type");
            List<String> values = new ArrayList<>();
            for (Object v : list(schema.get("enum"), "enum", path)) values.add(constant(v));
            if (values.isEmpty()) throw invalid("\"enum\" must not be empty" + at(path));
            return addRule(ruleName, "(" + String.join(" | ", values) + ")");
        }
        if ((type == null || "object".equals(type))
                && (schema.containsKey("properties") || schema.containsKey("additionalProperties") && !Boolean.TRUE.equals(schema.get("additionalProperties")))) {
            honours(schema, path, "type", "properties", "required", "additionalProperties");
            Object props = schema.getOrDefault("properties", Map.of());
            if (!(props instanceof Map<?, ?> pm)) throw invalid("\"properties\" must be an object" + at(path));
            Set<String> required = new HashSet<>();
            for (Object r : list(schema.getOrDefault("required", List.of()), "required", path)) {
                if (!(r instanceof String s)) throw invalid("\"required\" must list property names" + at(path));
                if (!pm.containsKey(s)) throw unsupported("required property \"" + s + "\" that is not in \"properties\"", path);
                required.add(s);
            }
            Object additional = schema.get("additionalProperties");
            if (additional != null && !(additional instanceof Boolean) && !(additional instanceof Map<?, ?>)) {
                throw invalid("\"additionalProperties\" must be a boolean or a schema" + at(path));
            }
            return addRule(ruleName, objectRule((Map<String, Object>) pm, required, name, additional, path));
        }
        if (schema.containsKey("allOf")) {
            // llama.cpp merges allOf parts approximately; only the exact case, a single part, is taken
            List<Object> parts = list(schema.get("allOf"), "allOf", path);
            if (parts.size() != 1) throw unsupported("allOf with " + parts.size() + " parts (only a single part)", path);
            honours(schema, path, "allOf");
            return addRule(ruleName, visit(parts.getFirst(), name, path + "/allOf/0"));
        }
        if ((type == null || "array".equals(type)) && (schema.containsKey("items") || schema.containsKey("prefixItems"))) {
            Object items = schema.containsKey("items") ? schema.get("items") : schema.get("prefixItems");
            if (items instanceof List<?> tuple) {
                honours(schema, path, "type", "items", "prefixItems");
                List<String> names = new ArrayList<>();
                for (int i = 0; i < tuple.size(); i++) {
                    names.add(visit(tuple.get(i), prefix(name) + "tuple-" + i, path + "/items/" + i));
                }
                return addRule(ruleName, "\"[\" space " + String.join(" \",\" space ", names) + " space \"]\"");
            }
            if (schema.containsKey("prefixItems")) throw unsupported("prefixItems together with items", path);
            honours(schema, path, "type", "items", "minItems", "maxItems", "uniqueItems");
            if (Boolean.TRUE.equals(schema.get("uniqueItems"))) throw unsupported("\"uniqueItems\"", path);
            String item = visit(items, prefix(name) + "item", path + "/items");
            int min = count(schema, "minItems", 0, path);
            int max = count(schema, "maxItems", Integer.MAX_VALUE, path);
            return addRule(ruleName, "\"[\" space " + repetition(item, min, max, "\",\" space") + " space \"]\"");
        }
        if ((type == null || "string".equals(type)) && schema.containsKey("pattern")) {
            honours(schema, path, "type", "pattern");
            if (!(schema.get("pattern") instanceof String p)) throw invalid("\"pattern\" must be a string" + at(path));
            return new PatternRule(p, ruleName, path).rule();
        }
        if ((type == null || "string".equals(type)) && format.matches("uuid[1-5]?")) {
            honours(schema, path, "type", "format");
            return addPrimitive("root".equals(ruleName) ? "root" : format, PRIMITIVES.get("uuid"));
        }
        if ((type == null || "string".equals(type)) && STRING_FORMATS.containsKey(format + "-string")) {
            honours(schema, path, "type", "format");
            String prim = format + "-string";
            return addRule(ruleName, addPrimitive(prim, STRING_FORMATS.get(prim)));
        }
        if ("string".equals(type) && (schema.containsKey("minLength") || schema.containsKey("maxLength"))) {
            honours(schema, path, "type", "minLength", "maxLength", "format");
            checkFormat(format, path);
            String c = addPrimitive("char", PRIMITIVES.get("char"));
            int min = count(schema, "minLength", 0, path);
            int max = count(schema, "maxLength", Integer.MAX_VALUE, path);
            return addRule(ruleName, "\"\\\"\" " + repetition(c, min, max, "") + " \"\\\"\"");
        }
        if ("integer".equals(type) && (schema.containsKey("minimum") || schema.containsKey("exclusiveMinimum")
                || schema.containsKey("maximum") || schema.containsKey("exclusiveMaximum"))) {
            honours(schema, path, "type", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "format");
            long min = Long.MIN_VALUE, max = Long.MAX_VALUE;
            if (schema.containsKey("minimum")) min = integer(schema, "minimum", path);
            else if (schema.containsKey("exclusiveMinimum")) min = integer(schema, "exclusiveMinimum", path) + 1;
            if (schema.containsKey("maximum")) max = integer(schema, "maximum", path);
            else if (schema.containsKey("exclusiveMaximum")) max = integer(schema, "exclusiveMaximum", path) - 1;
            if (min > max) throw invalid("no integer lies between the minimum and the maximum" + at(path));
            StringBuilder out = new StringBuilder("(");
            IntegerRange.build(min, max, out, 16, true);
            return addRule(ruleName, out.append(')').toString());
        }
        if (schema.isEmpty() || "object".equals(type)) {
            honours(schema, path, "type", "additionalProperties");
            return addRule(ruleName, addPrimitive("object", PRIMITIVES.get("object")));
        }
        if (type == null) {
            honours(schema, path);
            return addRule(ruleName, addPrimitive("value", PRIMITIVES.get("value")));
        }
        // a bare primitive type; formats of numbers (int32, double, ...) are annotations
        honours(schema, path, "type", "format");
        if ("string".equals(type)) checkFormat(format, path);
        return addPrimitive("root".equals(ruleName) ? "root" : (String) type, PRIMITIVES.get((String) type));
    }

    private static void checkFormat(String format, String path) {
        if (!format.isEmpty()) throw unsupported("string format \"" + format + "\" (supported: date, time, date-time, uuid)", path);
    }

    /** Refuses any constraint keyword of the schema besides those its conversion honours. */
    private static void honours(Map<String, Object> schema, String path, String... honoured) {
        Set<String> ok = Set.of(honoured);
        Object type = schema.get("type");
        for (String k : schema.keySet()) {
            if (!CONSTRAINTS.contains(k) || ok.contains(k)) continue;
            String applies = KEYWORD_TYPE.get(k);
            if (applies != null && type instanceof String t && !applies.equals("integer".equals(t) ? "number" : t)) continue;
            if (k.equals("uniqueItems") && Boolean.FALSE.equals(schema.get(k))) continue;
            if (k.equals("additionalProperties") && Boolean.TRUE.equals(schema.get(k))) continue;
            throw unsupported(describe(k, schema), path);
        }
    }

    private static String describe(String keyword, Map<String, Object> schema) {
        Object type = schema.get("type");
        return switch (keyword) {
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" -> "\"" + keyword + "\"" + ("integer".equals(type) ? ""
                    : " (bounds are supported for \"type\": \"integer\" only)");
            case "minLength", "maxLength" -> "\"" + keyword + "\"" + ("string".equals(type) ? " together with a pattern, format or enum"
                    : " without \"type\": \"string\"");
            case "minItems", "maxItems" -> "\"" + keyword + "\" without \"items\"";
            case "required" -> "\"required\" without \"properties\"";
            case "format" -> "\"format\" here";
            default -> "\"" + keyword + "\"";
        };
    }

    private String objectRule(Map<String, Object> properties, Set<String> required, String name, Object additional, String path) {
        List<String> requiredProps = new ArrayList<>();
        List<String> optionalProps = new ArrayList<>();
        Map<String, String> kvRules = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (var e : properties.entrySet()) {
            String prop = e.getKey();
            String valueRule = visit(e.getValue(), prefix(name) + prop, path + "/properties/" + prop);
            kvRules.put(prop, addRule(prefix(name) + prop + "-kv", formatLiteral(Json.write(prop)) + " space \":\" space " + valueRule));
            (required.contains(prop) ? requiredProps : optionalProps).add(prop);
            names.add(prop);
        }
        if (Boolean.TRUE.equals(additional) || additional instanceof Map<?, ?>) {
            String sub = prefix(name) + "additional";
            String valueRule = additional instanceof Map<?, ?> ? visit(additional, sub + "-value", path + "/additionalProperties")
                    : addPrimitive("value", PRIMITIVES.get("value"));
            String keyRule = names.isEmpty() ? addPrimitive("string", PRIMITIVES.get("string")) : addRule(sub + "-k", notStrings(names));
            kvRules.put("*", addRule(sub + "-kv", keyRule + " \":\" space " + valueRule));
            optionalProps.add("*");
        }
        StringBuilder rule = new StringBuilder("\"{\" space ");
        for (int i = 0; i < requiredProps.size(); i++) {
            if (i > 0) rule.append(" \",\" space ");
            rule.append(kvRules.get(requiredProps.get(i)));
        }
        if (!optionalProps.isEmpty()) {
            rule.append(" (");
            if (!requiredProps.isEmpty()) rule.append(" \",\" space ( ");
            for (int i = 0; i < optionalProps.size(); i++) {
                if (i > 0) rule.append(" | ");
                rule.append(optionalChain(optionalProps.subList(i, optionalProps.size()), false, name, kvRules));
            }
            if (!requiredProps.isEmpty()) rule.append(" )");
            rule.append(" )?");
        }
        return rule.append(" space \"}\"").toString();
    }

    /** The optional properties from the first on, each later one optional, in order (llama.cpp's get_recursive_refs). */
    private String optionalChain(List<String> ks, boolean firstOptional, String name, Map<String, String> kvRules) {
        String k = ks.getFirst();
        String kv = kvRules.get(k);
        String comma = "( \",\" space " + kv + " )";
        String res = firstOptional ? comma + ("*".equals(k) ? "*" : "?") : kv + ("*".equals(k) ? " " + comma + "*" : "");
        if (ks.size() > 1) {
            res += " " + addRule(prefix(name) + k + "-rest", optionalChain(ks.subList(1, ks.size()), true, name, kvRules));
        }
        return res;
    }

    /** A JSON string that is none of {@code strings}, as a trie of refusals. */
    private String notStrings(List<String> strings) {
        Trie trie = new Trie();
        for (String s : strings) trie.insert(s);
        String c = addPrimitive("char", PRIMITIVES.get("char"));
        StringBuilder out = new StringBuilder("[\"] ( ");
        notStrings(trie, c, out);
        out.append(" )");
        if (!trie.end) out.append('?');
        return out.append(" [\"]").toString();
    }

    private static void notStrings(Trie node, String c, StringBuilder out) {
        StringBuilder rejects = new StringBuilder();
        boolean first = true;
        for (var e : node.children.entrySet()) {
            rejects.append(e.getKey());
            if (!first) out.append(" | ");
            first = false;
            out.append('[').append(e.getKey()).append(']');
            if (!e.getValue().children.isEmpty()) {
                out.append(" (");
                notStrings(e.getValue(), c, out);
                out.append(')');
            } else if (e.getValue().end) {
                out.append(' ').append(c).append('+');
            }
        }
        if (!node.children.isEmpty()) {
            if (!first) out.append(" | ");
            out.append("[^\"").append(rejects).append("] ").append(c).append('*');
        }
    }

    private static final class Trie {
        final Map<Character, Trie> children = new TreeMap<>();
        boolean end;

        void insert(String s) {
            Trie n = this;
            for (int i = 0; i < s.length(); i++) n = n.children.computeIfAbsent(s.charAt(i), x -> new Trie());
            n.end = true;
        }
    }

    /** llama.cpp's build_repetition: {@code item} min..max times (max {@link Integer#MAX_VALUE}: unbounded). */
    static String repetition(String item, int min, int max, String separator) {
        boolean hasMax = max != Integer.MAX_VALUE;
        if (max == 0) return "";
        if (min == 0 && max == 1) return item + "?";
        if (separator.isEmpty()) {
            if (min == 1 && !hasMax) return item + "+";
            if (min == 0 && !hasMax) return item + "*";
            return item + "{" + min + "," + (hasMax ? String.valueOf(max) : "") + "}";
        }
        String result = item + " " + repetition("(" + separator + " " + item + ")", min == 0 ? 0 : min - 1, hasMax ? max - 1 : max, "");
        return min == 0 ? "(" + result + ")?" : result;
    }

    // ------------------------------------------------------------------ values of keywords

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object v, String key, String path) {
        if (!(v instanceof List<?> l)) throw invalid("\"" + key + "\" must be an array" + at(path));
        return (List<Object>) l;
    }

    private static int count(Map<String, Object> schema, String key, int absent, String path) {
        Object v = schema.get(key);
        if (v == null) return absent;
        if (!(v instanceof Number n) || n.doubleValue() != Math.floor(n.doubleValue()) || n.doubleValue() < 0) {
            throw invalid("\"" + key + "\" must be a non-negative integer" + at(path));
        }
        return (int) Math.min(n.longValue(), Integer.MAX_VALUE - 1);
    }

    private static long integer(Map<String, Object> schema, String key, String path) {
        Object v = schema.get(key);
        if (!(v instanceof Number n)) throw invalid("\"" + key + "\" must be a number" + at(path));
        double d = n.doubleValue();
        if (d != Math.floor(d) || Math.abs(d) > 1e15) throw unsupported("\"" + key + "\": " + Json.write(v) + " (integer bounds up to 10^15 only)", path);
        return n.longValue();
    }

    private static String at(String path) {
        return "#".equals(path) ? "" : " (at " + path + ")";
    }

    static IllegalArgumentException unsupported(String what, String path) {
        return new IllegalArgumentException("JSON schema feature not supported in format: " + what + at(path));
    }

    static IllegalArgumentException invalid(String what) {
        return new IllegalArgumentException("invalid JSON schema in format: " + what);
    }

    // ------------------------------------------------------------------ patterns

    /** A regular expression (anchored with ^ and $) to a rule, as llama.cpp's _visit_pattern, JSON-safe. */
    private final class PatternRule {
        private final String pattern;
        private final String name;
        private final String path;
        private final Map<String, String> subRules = new HashMap<>();
        private String sub;
        private int i;
        private int depth;

        PatternRule(String pattern, String name, String path) {
            this.pattern = pattern;
            this.name = name;
            this.path = path;
        }

        String rule() {
            if (pattern.length() < 2 || pattern.charAt(0) != '^' || pattern.charAt(pattern.length() - 1) != '$') {
                throw fail("not anchored with ^ and $");
            }
            sub = pattern.substring(1, pattern.length() - 1);
            String body = toRule(transform());
            if (depth != 0) throw fail("unbalanced parentheses");
            return addRule(name, "\"\\\"\" (" + body + ") \"\\\"\"");
        }

        private IllegalArgumentException fail(String why) {
            return unsupported("pattern " + Json.write(pattern) + ": " + why, path);
        }

        private record Item(String text, boolean literal) {}

        private static String toRule(Item it) {
            return it.literal ? "\"" + it.text + "\"" : it.text;
        }

        private Item transform() {
            List<Item> seq = new ArrayList<>();
            int n = sub.length();
            while (i < n) {
                char c = sub.charAt(i);
                if (c == '.') {
                    seq.add(new Item(addRule("dot", "[^" + JSON_SAFE_EXCLUDED + "]"), false));
                    i++;
                } else if (c == '(') {
                    i++;
                    if (i < n && sub.charAt(i) == '?') {
                        if (i + 1 < n && sub.charAt(i + 1) == ':') i += 2;
                        else throw fail("lookarounds, named groups and flags are not supported");
                    }
                    depth++;
                    seq.add(new Item("(" + toRule(transform()) + ")", false));
                } else if (c == ')') {
                    i++;
                    if (depth == 0) throw fail("unbalanced parentheses");
                    depth--;
                    return join(seq);
                } else if (c == '^' || c == '$') {
                    throw fail("anchors inside the pattern are not supported");
                } else if (c == '[') {
                    seq.add(new Item(charClass(), false));
                } else if (c == '|') {
                    seq.add(new Item("|", false));
                    i++;
                } else if (c == '*' || c == '+' || c == '?') {
                    if (seq.isEmpty()) throw fail("nothing to repeat");
                    seq.set(seq.size() - 1, new Item(toRule(seq.getLast()) + c, false));
                    i++;
                } else if (c == '{') {
                    int close = sub.indexOf('}', i);
                    if (close < 0) throw fail("unterminated {");
                    String[] nums = sub.substring(i + 1, close).split(",", -1);
                    i = close + 1;
                    int min, max;
                    try {
                        if (nums.length == 1) {
                            min = max = Integer.parseInt(nums[0].strip());
                        } else if (nums.length == 2) {
                            min = nums[0].isBlank() ? 0 : Integer.parseInt(nums[0].strip());
                            max = nums[1].isBlank() ? Integer.MAX_VALUE : Integer.parseInt(nums[1].strip());
                        } else {
                            throw fail("wrong number of values in {}");
                        }
                    } catch (NumberFormatException e) {
                        throw fail("invalid number in {}");
                    }
                    if (seq.isEmpty()) throw fail("nothing to repeat");
                    Item last = seq.getLast();
                    String unit = last.text;
                    if (!last.literal) {
                        String id = subRules.get(unit);
                        if (id == null) {
                            id = addRule(name + "-" + (subRules.size() + 1), unit);
                            subRules.put(unit, id);
                        }
                        unit = id;
                    }
                    seq.set(seq.size() - 1, new Item(repetition(last.literal ? "\"" + unit + "\"" : unit, min, max, ""), false));
                } else if (c == '\\' && i + 1 < n && "dDwWsS".indexOf(sub.charAt(i + 1)) >= 0) {
                    seq.add(new Item(shorthandClass(sub.charAt(i + 1)), false));
                    i += 2;
                } else {
                    StringBuilder literal = new StringBuilder();
                    while (i < n) {
                        char d = sub.charAt(i);
                        if (d == '\\') {
                            if (i == n - 1) throw fail("trailing backslash");
                            char e = sub.charAt(i + 1);
                            if ("dDwWsS".indexOf(e) >= 0) break;
                            int len = escapeLength(i);
                            if (!literal.isEmpty() && i + len < n && "*+?{".indexOf(sub.charAt(i + len)) >= 0) break;
                            appendJsonChar(literal, escaped(i, len));
                            i += len;
                        } else if (!nonLiteral(d) && (i == n - 1 || literal.isEmpty() || sub.charAt(i + 1) == '.' || !nonLiteral(sub.charAt(i + 1)))) {
                            appendJsonChar(literal, d);
                            i++;
                        } else {
                            break;
                        }
                    }
                    if (literal.isEmpty()) throw fail("unsupported character " + sub.charAt(i));
                    seq.add(new Item(literal.toString(), true));
                }
            }
            return join(seq);
        }

        private static boolean nonLiteral(char c) {
            return "|.()[]{}*+?^$".indexOf(c) >= 0;
        }

        /** Consecutive literals merged; the result is a rule text (llama.cpp's C++ join_seq). */
        private Item join(List<Item> seq) {
            List<String> out = new ArrayList<>();
            StringBuilder literal = new StringBuilder();
            for (Item it : seq) {
                if (it.literal) {
                    literal.append(it.text);
                } else {
                    if (!literal.isEmpty()) out.add("\"" + literal + "\"");
                    literal.setLength(0);
                    out.add(it.text);
                }
            }
            if (!literal.isEmpty()) out.add("\"" + literal + "\"");
            return new Item(String.join(" ", out), false);
        }

        /** The length of the escape at {@code at} (a backslash). */
        private int escapeLength(int at) {
            char e = sub.charAt(at + 1);
            int hex = switch (e) {
                case 'x' -> 2;
                case 'u' -> 4;
                default -> 0;
            };
            if (hex == 0) {
                if ("^$.[]()|{}*+?\\/\"-tnrfv".indexOf(e) >= 0) return 2;
                throw fail("unsupported escape \\" + e);
            }
            if (at + 2 + hex > sub.length()) throw fail("incomplete escape");
            for (int k = at + 2; k < at + 2 + hex; k++) if (Character.digit(sub.charAt(k), 16) < 0) throw fail("incomplete escape");
            return 2 + hex;
        }

        private int escaped(int at, int len) {
            char e = sub.charAt(at + 1);
            if (len > 2) return Integer.parseInt(sub, at + 2, at + len, 16);
            return switch (e) {
                case 't' -> '\t';
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 'f' -> '\f';
                case 'v' -> 0x0B;
                default -> e;
            };
        }

        /** A character of the matched string as it appears inside a JSON string, in a GBNF literal. */
        private static void appendJsonChar(StringBuilder sb, int cp) {
            switch (cp) {
                case '"' -> sb.append("\\\\\\\"");
                case '\\' -> sb.append("\\\\\\\\");
                case '\n' -> sb.append("\\\\n");
                case '\r' -> sb.append("\\\\r");
                case '\t' -> sb.append("\\\\t");
                default -> {
                    if (cp < 0x20 || cp == 0x7F) sb.append(String.format("\\\\u%04x", cp));
                    else sb.appendCodePoint(cp);
                }
            }
        }

        private static String shorthandClass(char c) {
            return switch (c) {
                case 'd' -> "[0-9]";
                case 'w' -> "[a-zA-Z0-9_]";
                case 's' -> "[ ]"; // the only JSON-safe white space character that is not escaped
                case 'D' -> "[^0-9" + JSON_SAFE_EXCLUDED + "]";
                case 'W' -> "[^a-zA-Z0-9_" + JSON_SAFE_EXCLUDED + "]";
                default -> "[^ \\t\\n\\r\\x0B\\x0C" + JSON_SAFE_EXCLUDED + "]";
            };
        }

        /**
         * A character class, passed through as written unless it could match a quote, a backslash or a control
         * character (those could break the JSON string): then rewritten without them.
         */
        private String charClass() {
            int start = i;
            i++;
            boolean negated = i < sub.length() && sub.charAt(i) == '^';
            if (negated) i++;
            List<int[]> ranges = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            boolean rewrite = false;
            while (i < sub.length() && sub.charAt(i) != ']') {
                int lo;
                String piece;
                if (sub.charAt(i) == '\\') {
                    if (i + 1 >= sub.length()) throw fail("unterminated character class");
                    char e = sub.charAt(i + 1);
                    if ("dws".indexOf(e) >= 0) {
                        // inside a class: the shorthand's ranges (\s only as a space: the others need escaping in JSON)
                        String cls = shorthandClass(e);
                        text.append(cls, 1, cls.length() - 1);
                        switch (e) {
                            case 'd' -> ranges.add(new int[]{'0', '9'});
                            case 'w' -> ranges.addAll(List.of(new int[]{'a', 'z'}, new int[]{'A', 'Z'}, new int[]{'0', '9'}, new int[]{'_', '_'}));
                            default -> ranges.add(new int[]{' ', ' '});
                        }
                        i += 2;
                        continue;
                    }
                    if ("DWS".indexOf(e) >= 0) throw fail("\\" + e + " inside a character class is not supported");
                    int len = escapeLength(i);
                    lo = escaped(i, len);
                    piece = sub.substring(i, i + len);
                    if (lo == '-' || lo == '^' || lo == '.' || lo == '/' || lo == '$' || lo == '|' || lo == '*' || lo == '+'
                            || lo == '?' || lo == '(' || lo == ')' || lo == '{' || lo == '}') {
                        piece = lo == '-' ? "\\-" : lo == '^' ? "\\^" : String.valueOf((char) lo);
                    }
                    i += len;
                } else {
                    lo = sub.codePointAt(i);
                    piece = new String(Character.toChars(lo));
                    i += Character.charCount(lo);
                }
                text.append(piece);
                int hi = lo;
                if (i + 1 < sub.length() && sub.charAt(i) == '-' && sub.charAt(i + 1) != ']') {
                    i++;
                    if (sub.charAt(i) == '\\') {
                        int len = escapeLength(i);
                        hi = escaped(i, len);
                        text.append('-').append(sub, i, i + len);
                        i += len;
                    } else {
                        hi = sub.codePointAt(i);
                        text.append('-').appendCodePoint(hi);
                        i += Character.charCount(hi);
                    }
                }
                ranges.add(new int[]{lo, hi});
                if (!negated && (lo <= 0x1F || lo <= '"' && hi >= '"' || lo <= '\\' && hi >= '\\' || lo <= 0x7F && hi >= 0x7F)) rewrite = true;
            }
            if (i >= sub.length()) throw fail("unterminated character class");
            i++;
            if (negated) return "[^" + text + JSON_SAFE_EXCLUDED + "]";
            if (!rewrite) return "[" + text + "]";
            StringBuilder out = new StringBuilder("[");
            for (int[] r : ranges) {
                int lo = Math.max(r[0], 0x20);
                for (int[] keep : cut(lo, r[1])) {
                    out.append(classChar(keep[0]));
                    if (keep[1] != keep[0]) out.append('-').append(classChar(keep[1]));
                }
            }
            if (out.length() == 1) throw fail("the character class " + sub.substring(start, i) + " matches only characters JSON must escape");
            return out.append(']').toString();
        }

        /** [lo, hi] without the quote, the backslash and DEL. */
        private static List<int[]> cut(int lo, int hi) {
            List<int[]> out = new ArrayList<>();
            int at = lo;
            for (int bad : new int[]{'"', '\\', 0x7F}) {
                if (bad < at || bad > hi) continue;
                if (bad > at) out.add(new int[]{at, bad - 1});
                at = bad + 1;
            }
            if (at <= hi) out.add(new int[]{at, hi});
            return out;
        }

        private static String classChar(int cp) {
            return switch (cp) {
                case ']' -> "\\]";
                case '-' -> "\\-";
                case '^' -> "\\^";
                case '[' -> "\\[";
                default -> new String(Character.toChars(cp));
            };
        }
    }
}
