package io.jollama.server.api;

import io.javalin.http.Context;
import io.jollama.server.create.CreateRequest;
import io.jollama.server.create.ModelCreator;
import io.jollama.server.ndjson.ClientGoneException;
import io.jollama.server.ndjson.ProgressStream;
import io.jollama.server.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/** {@code POST /api/create}: validation before streaming, then the creator's statuses as NDJSON. */
public final class CreateApi {

    private static final Logger log = LoggerFactory.getLogger(CreateApi.class);
    private final ModelCreator creator;

    public CreateApi(ModelCreator creator) {
        this.creator = creator;
    }

    public void create(Context ctx) {
        CreateRequest r = creator.validate(Http.decode(ctx, CreateRequest.class, CreateRequest.EMPTY));
        ProgressStream out = new ProgressStream(ctx, r.streaming());
        try {
            creator.create(r, out::send);
            out.finish();
        } catch (ClientGoneException e) {
            log.info("create {}: client went away", r.targetName());
        } catch (IOException e) {
            log.warn("create {} failed: {}", r.targetName(), e.getMessage());
            out.fail(500, e.getMessage());
        } catch (RuntimeException e) {
            if (!ApiErrors.expected(e)) throw e;
            if (e instanceof StoreException) log.warn("create {} failed: {}", r.targetName(), e.getMessage());
            out.fail(ApiErrors.status(e), e.getMessage());
        }
    }
}
