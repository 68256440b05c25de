package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.server.store.Digest;
import io.jollama.server.store.Blobs;
import io.jollama.server.store.ModelStore;

import java.io.IOException;

/** {@code HEAD /api/blobs/{digest}} and {@code POST /api/blobs/{digest}} (the body streamed to disk). */
public final class BlobApi {

    private final ModelStore store;

    public BlobApi(ModelStore store) {
        this.store = store;
    }

    public void head(Context ctx) {
        String d = ctx.pathParam("digest");
        if (!Digest.isValid(d)) throw ApiException.badRequest("invalid digest format");
        if (!store.hasBlob(d)) throw ApiException.notFound("blob \"" + d + "\" not found");
        ctx.status(200);
    }

    public void upload(Context ctx) throws IOException {
        String d = ctx.pathParam("digest");
        if (!Digest.isValid(d)) throw ApiException.badRequest("invalid digest format");
        if (store.hasBlob(d)) {
            ctx.status(200);
            return;
        }
        try {
            // the exact-string comparison of Ollama: "sha256-..." or upper-case hex in the URL never match
            store.writeBlob(ctx.req().getInputStream(), d);
        } catch (Blobs.DigestMismatchException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        ctx.status(201);
    }
}
