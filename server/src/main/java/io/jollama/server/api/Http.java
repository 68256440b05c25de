package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.server.Json;
import tools.jackson.core.JacksonException;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Request decoding and response writing shared by all handlers, with Ollama's rules. */
public final class Http {

    public static final String JSON_UTF8 = "application/json; charset=utf-8";
    public static final String JSON = "application/json";

    private Http() {}

    /**
     * Decodes the JSON body into {@code type} as Go would: an empty body is 400 {@code missing request body}, bad JSON
     * is 400 with the decoder's message, a {@code null} body gives an all-empty request (from {@code emptyValue}).
     */
    public static <T> T decode(Context ctx, Class<T> type, T emptyValue) {
        byte[] body = body(ctx);
        if (body.length == 0) throw ApiException.badRequest("missing request body");
        try {
            T v = Json.MAPPER.readValue(body, type);
            return v == null ? emptyValue : v;
        } catch (JacksonException e) {
            throw ApiException.badRequest(Json.decodeError(e));
        }
    }

    /** The request attribute holding the largest JSON body a handler reads, in bytes (set per server). */
    public static final String MAX_BODY = "jollama.maxBody";
    public static final long DEFAULT_MAX_BODY = 64L << 20;

    /**
     * The request body, read up to the server's limit: a larger body is 413, a body the client cut short (a
     * malformed chunk, a connection closed mid-body) is 400 {@code unexpected EOF}, as Go's JSON decoder says.
     */
    public static byte[] body(Context ctx) {
        byte[] cached = ctx.attribute(BODY);
        if (cached != null) return cached;
        Long attr = ctx.attribute(MAX_BODY);
        long limit = attr == null ? DEFAULT_MAX_BODY : attr;
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) throw tooLarge(limit);
        byte[] body;
        try {
            if (declared >= 0) {
                body = ctx.bodyAsBytes(); // Javalin keeps it, for handlers that delegate to another (queue → pull)
            } else {
                // chunked: no length to check beforehand, so read at most one byte more than the limit
                try (var in = ctx.req().getInputStream()) {
                    body = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
                }
                if (body.length > limit) throw tooLarge(limit);
                if (body.length == 0) body = ctx.bodyAsBytes(); // read before, by a handler that delegates here
            }
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("unexpected EOF");
        } catch (RuntimeException e) {
            if (e instanceof ApiException || !(e.getCause() instanceof java.io.IOException)) throw e;
            throw ApiException.badRequest("unexpected EOF");
        }
        ctx.attribute(BODY, body);
        return body;
    }

    private static final String BODY = "jollama.body";

    private static ApiException tooLarge(long limit) {
        return new ApiException(413, "request body too large (more than " + limit + " bytes)");
    }

    /** 200 with a Go-style JSON body. */
    public static void json(Context ctx, Object value) {
        json(ctx, 200, value);
    }

    public static void json(Context ctx, int status, Object value) {
        ctx.status(status);
        ctx.contentType(JSON_UTF8);
        ctx.result(Json.write(value));
    }

    /** The error body {@code {"error": message}}. */
    public record ErrorBody(String error) {}

    public static void error(Context ctx, int status, String message) {
        json(ctx, status, new ErrorBody(message));
    }

    /** The first non-empty of the two name fields (Ollama accepts the older {@code name} beside {@code model}). */
    public static String either(String model, String name) {
        if (model != null && !model.isEmpty()) return model;
        return name == null ? "" : name;
    }

    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    /** Go's RFC 3339 with nanoseconds, trailing zeros trimmed, in the local zone ({@code Z} for UTC). */
    public static String timestamp(Instant t) {
        return timestamp(t, ZoneId.systemDefault());
    }

    public static String timestamp(Instant t, ZoneId zone) {
        OffsetDateTime odt = t.atZone(zone).toOffsetDateTime();
        StringBuilder b = new StringBuilder(RFC3339.format(odt));
        int nanos = odt.getNano();
        if (nanos != 0) {
            String frac = String.format("%09d", nanos);
            int end = frac.length();
            while (frac.charAt(end - 1) == '0') end--;
            b.append('.').append(frac, 0, end);
        }
        ZoneOffset off = odt.getOffset();
        b.append(off.getTotalSeconds() == 0 ? "Z" : off.getId());
        return b.toString();
    }
}
