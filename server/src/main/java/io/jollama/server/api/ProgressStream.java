package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.server.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The response side of the progress endpoints (create, pull, push). Streaming: each {@link #send} writes one NDJSON
 * line and flushes it; a client that went away makes {@code send} throw {@link ClientGoneException} so the work can
 * stop. Not streaming ({@code "stream": false}): only the last message is returned, as plain {@code application/json}.
 * Errors: before anything was streamed they become an ordinary error response with their status; after that a final
 * {@code {"error": ...}} line with status 200 (Ollama's behaviour).
 */
public final class ProgressStream {

    /** The client closed the connection. */
    public static final class ClientGoneException extends RuntimeException {
        public ClientGoneException(Throwable cause) {
            super("client disconnected", cause, false, false);
        }
    }

    private final Context ctx;
    private final boolean stream;
    private OutputStream out;
    private Object last;

    public ProgressStream(Context ctx, boolean stream) {
        this.ctx = ctx;
        this.stream = stream;
    }

    public void send(Object message) {
        last = message;
        if (!stream) return;
        try {
            if (out == null) {
                ctx.status(200);
                ctx.res().setContentType(Http.NDJSON);
                out = ctx.res().getOutputStream();
            }
            out.write((Json.write(message) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new ClientGoneException(e);
        }
    }

    /** Ends a successful exchange: for {@code stream:false}, answers with the last message. */
    public void finish() {
        if (!stream) {
            ctx.status(200);
            ctx.contentType(Http.JSON);
            ctx.result(last == null ? "{}" : Json.write(last));
        }
    }

    /** Ends with an error. */
    public void fail(int status, String message) {
        if (out != null) {
            try {
                out.write((Json.write(new Http.ErrorBody(message)) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException ignored) {
                // the client is gone; nothing to tell it
            }
            return;
        }
        ctx.status(status);
        ctx.contentType(Http.JSON);
        ctx.result(Json.write(new Http.ErrorBody(message)));
    }
}
