package io.jollama.server.gotemplate;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;

/**
 * The template data model and its Go semantics. Values are: {@code null} (Go nil), String, Boolean,
 * integers (Integer/Long), floats (Double), {@link java.util.List} (slice), {@link Map} (map with
 * string keys; missing keys give nil as with Go's {@code missingkey=zero} on {@code map[string]any}),
 * and records (structs: field {@code .Role} reads component {@code role}).
 */
final class Values {
    private Values() {}

    enum Kind { INVALID, BOOL, INT, FLOAT, STRING, OTHER }

    static Kind kind(Object v) {
        return switch (v) {
            case null -> Kind.INVALID;
            case Boolean b -> Kind.BOOL;
            case Integer i -> Kind.INT;
            case Long l -> Kind.INT;
            case Short s -> Kind.INT;
            case Byte b -> Kind.INT;
            case Double d -> Kind.FLOAT;
            case Float f -> Kind.FLOAT;
            case String s -> Kind.STRING;
            default -> Kind.OTHER;
        };
    }

    /** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
    static boolean isTrue(Object v) {
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case Double d -> d != 0;
            case Float f -> f != 0;
            case Number n -> n.longValue() != 0;
            case String s -> !s.isEmpty();
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case Object[] a -> a.length != 0;
            default -> true;
        };
    }

    /** Go-style type name for error messages. */
    static String typeName(Object v) {
        return switch (v) {
            case null -> "<nil>";
            case String s -> "string";
            case Boolean b -> "bool";
            case Integer i -> "int";
            case Long l -> "int";
            case Double d -> "float64";
            case Float f -> "float32";
            case java.util.List<?> l -> "[]interface {}";
            case Map<?, ?> m -> "map[string]interface {}";
            default -> v.getClass().getSimpleName();
        };
    }

    static Object component(Record r, RecordComponent rc) {
        try {
            rc.getAccessor().setAccessible(true);
            return rc.getAccessor().invoke(r);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + rc.getName() + " of " + r.getClass().getName(), e);
        }
    }

    /** Thrown (wrapped by the executor) when a field cannot be evaluated. */
    static final class FieldError extends RuntimeException {
        FieldError(String msg) { super(msg, null, false, false); }
    }

    /**
     * Evaluates {@code receiver.name}. {@code concreteType} tells whether the receiver's Go static type is its own
     * (a struct field or root data) rather than {@code interface {}} (a value taken out of a map or slice); it only
     * affects error messages.
     */
    static Object field(Object receiver, String name, boolean concreteType) {
        switch (receiver) {
            case null -> throw new FieldError("nil pointer evaluating interface {}." + name);
            case Map<?, ?> m -> {
                return m.get(name);
            }
            case Record r -> {
                for (RecordComponent rc : r.getClass().getRecordComponents()) {
                    String n = rc.getName();
                    if (n.equals(name)) return component(r, rc);
                    if (Character.toUpperCase(n.charAt(0)) == name.charAt(0) && n.substring(1).equals(name.substring(1))) {
                        return component(r, rc);
                    }
                }
                if (!Character.isUpperCase(name.charAt(0))) {
                    throw new FieldError(name + " is an unexported field of struct type " + typeName(receiver));
                }
                throw new FieldError("can't evaluate field " + name + " in type " + typeName(receiver));
            }
            default -> throw new FieldError("can't evaluate field " + name + " in type "
                    + (concreteType ? typeName(receiver) : "interface {}"));
        }
    }

    static long toLong(Object v) {
        return ((Number) v).longValue();
    }

    static double toDouble(Object v) {
        return ((Number) v).doubleValue();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
