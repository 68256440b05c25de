package io.jollama.server.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.jollama.server.Json;
import io.jollama.server.api.Http;
import io.jollama.server.api.Route;
import io.jollama.server.store.ModelName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The catalog's HTTP endpoints under {@code /api/gallery/}: the gallery's six documents with its exact names and
 * bytes (a gallery client changes only its base URL), search, refresh (streamed like a pull) and pull from the
 * catalog. Errors are {@code {"error": short, "message": detail}}.
 */
public final class CatalogApi {

    private static final Logger log = LoggerFactory.getLogger(CatalogApi.class);
    public static final String BASE = "/api/gallery";

    private final Catalog catalog;
    private final Handler pull;

    /** @param pull the server's {@code POST /api/pull} handler (queued or immediate, as the server is set up) */
    public CatalogApi(Catalog catalog, Handler pull) {
        this.catalog = catalog;
        this.pull = pull;
    }

    public static List<Route> routes(Catalog catalog, Handler pull) {
        CatalogApi api = new CatalogApi(catalog, pull);
        return List.of(
                Route.get(BASE + "/models.json", ctx -> document(ctx, catalog.documents().modelsJson())),
                Route.get(BASE + "/tags.json", ctx -> document(ctx, catalog.documents().tagsJson())),
                Route.get(BASE + "/models_status.json", ctx -> document(ctx, catalog.documents().modelsStatusJson())),
                Route.get(BASE + "/tags_status.json", ctx -> document(ctx, catalog.documents().tagsStatusJson())),
                Route.get(BASE + "/models/{file}", ctx -> perModel(ctx, catalog.documents()::modelJson)),
                Route.get(BASE + "/tags/{file}", ctx -> perModel(ctx, catalog.documents()::modelTagsJson)),
                Route.get(BASE + "/search", api::search),
                Route.post(BASE + "/refresh", api::refresh),
                Route.post(BASE + "/pull", api::pull));
    }

    /** The handler of {@code POST path} in a route list (the server's pull, whichever part provides it). */
    public static Handler handlerOf(List<Route> routes, String path) {
        for (Route r : routes) if (r.method() == HandlerType.POST && r.path().equals(path)) return r.handler();
        throw new IllegalStateException("no POST " + path + " route");
    }

    /** The extension endpoints' error body. */
    @JsonPropertyOrder({"error", "message"})
    public record ErrorBody(@JsonProperty("error") String error, @JsonProperty("message") String message) {}

    static void error(Context ctx, int status, String error, String message) {
        Http.json(ctx, status, new ErrorBody(error, message));
    }

    private static void document(Context ctx, byte[] bytes) {
        ctx.status(200).contentType(Http.JSON_UTF8).result(bytes);
    }

    private static void perModel(Context ctx, Function<String, Optional<byte[]>> lookup) {
        String file = ctx.pathParam("file");
        String model = file.endsWith(".json") ? file.substring(0, file.length() - 5) : null;
        Optional<byte[]> doc = model == null || model.isEmpty() ? Optional.empty() : lookup.apply(model);
        if (doc.isEmpty()) {
            error(ctx, 404, "model not found", "'" + (model == null ? file : model) + "' is not in the catalog");
            return;
        }
        document(ctx, doc.get());
    }

    void search(Context ctx) {
        CatalogSearch.Query q;
        try {
            q = CatalogSearch.Query.from(ctx.queryParamMap());
        } catch (CatalogSearch.BadQuery e) {
            error(ctx, 400, e.error, e.getMessage());
            return;
        }
        Http.json(ctx, CatalogSearch.search(catalog.documents(), q, catalog.installed(), catalog.queued()));
    }

    void pull(Context ctx) throws Exception {
        JsonNode body = body(ctx);
        if (body == null) return;
        String name = text(body, "model");
        if (name.isEmpty()) name = text(body, "name");
        if (name.isEmpty()) {
            error(ctx, 400, "model required", "give the catalog model to pull as \"model\", e.g. {\"model\":\"llama3.2:1b\"}");
            return;
        }
        ModelName n = ModelName.parse(name);
        if (Catalog.libraryName(n) == null) {
            error(ctx, 400, "not a library model", "'" + name + "' is not a name of the Ollama library");
            return;
        }
        CatalogDocuments docs = catalog.documents();
        if (!docs.models().containsKey(n.model()) && !docs.tags().containsKey(n.model())) {
            error(ctx, 404, "model not found", "'" + n.model() + "' is not in the catalog");
            return;
        }
        pull.handle(ctx);
    }

    /** A refresh progress line, like a pull's; zero counts are left out. */
    @JsonPropertyOrder({"status", "total", "completed"})
    @JsonInclude(JsonInclude.Include.NON_DEFAULT)
    public record RefreshLine(@JsonProperty("status") String status, @JsonProperty("total") int total,
                              @JsonProperty("completed") int completed) {}

    /**
     * The last line of a refresh: models in the listing, tags pages read and the tag entries on them, tags pages that
     * failed.
     */
    @JsonPropertyOrder({"status", "models", "scraped", "tags", "failed"})
    public record RefreshDone(@JsonProperty("status") String status, @JsonProperty("models") int models,
                              @JsonProperty("scraped") int scraped, @JsonProperty("tags") int tags,
                              @JsonProperty("failed") int failed) {}

    void refresh(Context ctx) {
        boolean stream = true;
        if (ctx.bodyAsBytes().length > 0) {
            JsonNode body = body(ctx);
            if (body == null) return;
            JsonNode s = body.get("stream");
            if (s != null && s.isBoolean()) stream = s.asBoolean();
        }
        Lines out = new Lines(ctx, stream);
        try {
            CatalogRefresh.Result r = catalog.refresh(step -> out.send(new RefreshLine(step.status(), step.total(), step.completed())));
            int tags = r.documents().tagsStatus().successful();
            out.finish(new RefreshDone("success", r.documents().models().size(), r.scraped().size(), tags, r.failed().size()));
        } catch (Catalog.BusyException e) {
            out.fail(409, "refresh running", e.getMessage());
        } catch (IOException | RuntimeException e) {
            out.fail(502, "refresh failed", e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static JsonNode body(Context ctx) {
        try {
            JsonNode n = Json.MAPPER.readTree(ctx.bodyAsBytes());
            if (n == null || !n.isObject()) {
                error(ctx, 400, "invalid JSON", "the body must be a JSON object");
                return null;
            }
            return n;
        } catch (JacksonException e) {
            error(ctx, 400, "invalid JSON", Json.decodeError(e));
            return null;
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && v.isString() ? v.asString().strip() : "";
    }

    /**
     * NDJSON progress (or only the last object for {@code stream:false}). A client that goes away does not stop
     * the refresh: its lines are dropped.
     */
    private static final class Lines {
        private final Context ctx;
        private final boolean stream;
        private OutputStream out;
        private boolean gone;

        Lines(Context ctx, boolean stream) {
            this.ctx = ctx;
            this.stream = stream;
        }

        synchronized void send(Object line) {
            if (!stream || gone) return;
            try {
                if (out == null) {
                    ctx.status(200);
                    ctx.res().setContentType("application/x-ndjson");
                    out = ctx.res().getOutputStream();
                }
                out.write((Json.write(line) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                gone = true;
                log.info("catalog refresh: the client went away; the refresh goes on");
            }
        }

        synchronized void finish(Object last) {
            if (stream) send(last);
            else Http.json(ctx, last);
        }

        synchronized void fail(int status, String error, String message) {
            if (out == null) {
                error(ctx, status, error, message);
                return;
            }
            send(new ErrorBody(error, message));
        }
    }
}
