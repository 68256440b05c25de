package io.jollama.server.gotemplate;

/**
 * A value with a custom JSON form for the template function {@code json} (Go's json.Marshaler):
 * {@link #toJsonValue()} returns a plain value (String, Number, Boolean, null, List, Map or
 * {@link GoJson.Ordered}) that is encoded in its place.
 */
public interface JsonMarshaler {
    Object toJsonValue();
}
