package io.jollama.server.ndjson;

import io.javalin.http.Context;
import io.jollama.server.Json;

import java.io.IOException;
import java.io.OutputStream;

/**
 * One NDJSON response: the first line commits status 200 and {@code application/x-ndjson}; every line is flushed as
 * it is written; a write that fails means the client went away ({@link ClientGoneException}).
 */
public final class NdjsonWriter {

    public static final String CONTENT_TYPE = "application/x-ndjson";

    private final Context ctx;
    private OutputStream out;
    private boolean gone;

    public NdjsonWriter(Context ctx) {
        this.ctx = ctx;
    }

    /** Whether a line has been written (the status is sent; errors must now be lines too). */
    public boolean started() {
        return out != null;
    }

    /** True once a write found the client gone. */
    public boolean gone() {
        return gone;
    }

    public void line(Object message) {
        if (gone) throw new ClientGoneException(null);
        try {
            if (out == null) {
                ctx.status(200);
                ctx.res().setContentType(CONTENT_TYPE);
                out = ctx.res().getOutputStream();
            }
            out.write(Json.writeLine(message));
            out.flush();
        } catch (IOException e) {
            gone = true;
            throw new ClientGoneException(e);
        }
    }

    /** The last line after a failure once streaming has started: {@code {"error": message}} (Ollama's behaviour). */
    public void errorLine(String message) {
        try {
            out.write(Json.writeLine(new ErrorLine(message)));
            out.flush();
        } catch (IOException ignored) {
            gone = true; // the client is gone; nothing to tell it
        }
    }

    private record ErrorLine(String error) {}
}
