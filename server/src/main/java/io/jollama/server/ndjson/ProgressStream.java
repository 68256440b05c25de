package io.jollama.server.ndjson;

import io.javalin.http.Context;
import io.jollama.server.Json;

/**
 * The response side of the progress endpoints (create, pull, push). Streaming: each {@link #send} writes one NDJSON
 * line and flushes it; a client that went away makes {@code send} throw {@link ClientGoneException} so the work can
 * stop. Not streaming ({@code "stream": false}): only the last message is returned, as plain {@code application/json}.
 * Errors: before anything was streamed they become an ordinary error response with their status; after that a final
 * {@code {"error": ...}} line with status 200 (Ollama's behaviour).
 */
public final class ProgressStream {

    private static final String JSON = "application/json";

    private final Context ctx;
    private final boolean stream;
    private final NdjsonWriter out;
    private Object last;

    public ProgressStream(Context ctx, boolean stream) {
        this.ctx = ctx;
        this.stream = stream;
        this.out = new NdjsonWriter(ctx);
    }

    public void send(Object message) {
        last = message;
        if (stream) out.line(message);
    }

    /** Ends a successful exchange: for {@code stream:false}, answers with the last message. */
    public void finish() {
        if (!stream) {
            ctx.status(200);
            ctx.contentType(JSON);
            ctx.result(last == null ? "{}" : Json.write(last));
        }
    }

    /** Ends with an error. */
    public void fail(int status, String message) {
        if (out.started()) {
            out.errorLine(message);
            return;
        }
        ctx.status(status);
        ctx.contentType(JSON);
        ctx.result(Json.write(new ErrorBody(message)));
    }

    private record ErrorBody(String error) {}
}
