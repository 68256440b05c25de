package io.jollama.server.auth;

import io.javalin.http.HandlerType;

import java.util.Map;
import java.util.Optional;

import static io.jollama.server.auth.Scope.INFERENCE;
import static io.jollama.server.auth.Scope.MANAGE;
import static io.jollama.server.auth.Scope.PULL;
import static io.jollama.server.auth.Scope.READ;

/**
 * The scope each route of {@code api.Routes} (and the catalog's) needs when API keys are on, decided route by route.
 * {@code GET /}, {@code HEAD /} and {@code GET /web/{file}} need none ({@link #open}). A route missing here needs {@link Scope#MANAGE}, the
 * safe side; {@code RouteScopesTest} fails until every route of the server has its line.
 */
public final class RouteScopes {

    private RouteScopes() {}

    private static final Map<String, Scope> SCOPES = Map.ofEntries(
            // read: what is installed, loaded, queued, in the catalog; the server's version and health
            Map.entry("GET /api/version", READ),
            Map.entry("HEAD /api/version", READ),
            Map.entry("GET /api/tags", READ),
            Map.entry("HEAD /api/tags", READ),
            Map.entry("POST /api/show", READ),
            Map.entry("GET /api/show", READ),
            Map.entry("GET /api/ps", READ),
            Map.entry("GET /api/queue", READ),
            Map.entry("GET /api/health", READ),
            Map.entry("GET /api/gallery/models.json", READ),
            Map.entry("GET /api/gallery/tags.json", READ),
            Map.entry("GET /api/gallery/models_status.json", READ),
            Map.entry("GET /api/gallery/tags_status.json", READ),
            Map.entry("GET /api/gallery/models/{file}", READ),
            Map.entry("GET /api/gallery/tags/{file}", READ),
            Map.entry("GET /api/gallery/search", READ),
            // inference: running models (a load or unload through keep_alive included)
            Map.entry("POST /api/generate", INFERENCE),
            Map.entry("POST /api/chat", INFERENCE),
            Map.entry("POST /api/embed", INFERENCE),
            Map.entry("POST /api/embeddings", INFERENCE),
            Map.entry("POST /api/tokenize", INFERENCE),
            Map.entry("POST /api/detokenize", INFERENCE),
            Map.entry("POST /v1/chat/completions", INFERENCE),
            Map.entry("POST /v1/completions", INFERENCE),
            Map.entry("POST /v1/embeddings", INFERENCE),
            Map.entry("GET /v1/models", INFERENCE), // OpenAI clients list models with the key they infer with
            Map.entry("GET /v1/models/{model}", INFERENCE),
            // pull: bringing models in from outside (registry, Hugging Face, the library) and the queue doing it
            Map.entry("POST /api/pull", PULL),
            Map.entry("DELETE /api/queue", PULL),
            Map.entry("POST /api/queue/run", PULL),
            Map.entry("POST /api/hf/queue", PULL),
            Map.entry("POST /api/gallery/pull", PULL),
            Map.entry("POST /api/gallery/refresh", PULL),
            // manage: changing the store, sending models out
            Map.entry("POST /api/create", MANAGE),
            Map.entry("POST /api/copy", MANAGE),
            Map.entry("DELETE /api/delete", MANAGE),
            Map.entry("POST /api/push", MANAGE),
            Map.entry("HEAD /api/blobs/{digest}", MANAGE),
            Map.entry("POST /api/blobs/{digest}", MANAGE));

    /**
     * Whether the route (or a request's path) is open to everyone even when keys are on: {@code GET /} and
     * {@code HEAD /} (health probes, the web page) and the web page's static files {@code GET /web/{file}} (a browser
     * sends no key for a script tag; they hold no data).
     */
    public static boolean open(HandlerType method, String path) {
        boolean read = method.equals(HandlerType.GET) || method.equals(HandlerType.HEAD);
        return read && (path.equals("/") || (method.equals(HandlerType.GET) && WEB_FILE.matcher(path).matches()));
    }

    private static final java.util.regex.Pattern WEB_FILE = java.util.regex.Pattern.compile("/web/[^/]+");

    /** The scope the route needs; {@link Scope#MANAGE} for a route not in the table. */
    public static Scope of(HandlerType method, String path) {
        return declared(method, path).orElse(MANAGE);
    }

    /** The scope the table gives the route, if it has a line for it. */
    public static Optional<Scope> declared(HandlerType method, String path) {
        return Optional.ofNullable(SCOPES.get(method.name() + " " + path));
    }
}
