package io.jollama.server.openai;

import io.javalin.http.Context;
import io.jollama.server.Json;
import io.jollama.server.ndjson.ClientGoneException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events as OpenAI streams them: {@code data: <json>\n\n} per event, flushed at once, no {@code event:}
 * lines, and {@code data: [DONE]\n\n} at the end. A client that went away makes {@link #send} throw
 * {@link ClientGoneException}, which stops the generation.
 */
final class SseWriter {
    private final Context ctx;
    private OutputStream os;
    private boolean gone;

    SseWriter(Context ctx) {
        this.ctx = ctx;
    }

    boolean started() {
        return os != null;
    }

    boolean gone() {
        return gone;
    }

    void send(Object event) {
        write("data: " + Json.write(event) + "\n\n");
    }

    void done() {
        write("data: [DONE]\n\n");
    }

    private void write(String frame) {
        if (gone) throw new ClientGoneException(null);
        try {
            if (os == null) {
                ctx.status(200);
                ctx.res().setContentType("text/event-stream");
                ctx.res().setHeader("Cache-Control", "no-cache");
                os = ctx.res().getOutputStream();
            }
            os.write(frame.getBytes(StandardCharsets.UTF_8));
            os.flush();
        } catch (IOException e) {
            gone = true;
            throw new ClientGoneException(e);
        }
    }

    /** An error after the stream started: one more event carrying the OpenAI error body. */
    void fail(int status, String message) {
        try {
            send(OpenAiTypes.ErrorBody.of(status, message));
        } catch (ClientGoneException ignored) {
            // nobody left to tell
        }
    }
}
