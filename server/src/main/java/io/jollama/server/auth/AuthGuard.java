package io.jollama.server.auth;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.jollama.server.api.Http;
import io.jollama.server.api.Route;
import io.jollama.server.openai.OpenAiTypes;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Access control for exposed servers, off while no key is configured. With keys, {@link #admit} (before every route,
 * after the CORS/Host guard) wants {@code Authorization: Bearer <key>} on every request but {@code GET /} and
 * {@code HEAD /}: 401 when it is missing, wrong or revoked (one answer for all three), and {@link #guard} gives each
 * route's handler only to a key with the route's scope (403 naming the scope). The request-rate limit counts per key
 * when keys are on, per client address otherwise. The key's name travels with the request: as the context
 * attribute {@link #KEY} (logs, the download queue) and as the scoped value {@link #KEY_NAME} (the scheduler).
 */
public final class AuthGuard {

    /** The context attribute holding the request's {@link ApiKey} (absent when keys are off). */
    public static final String KEY = "jollama.apiKey";
    /** The name of the key the running request authenticated with (unbound when keys are off). */
    public static final ScopedValue<String> KEY_NAME = ScopedValue.newInstance();

    static final String UNAUTHORIZED = "unauthorized: this server needs an API key (Authorization: Bearer <key>)";

    private final KeyRing keys;
    private final RequestRateLimit rateLimit;
    private final Set<String> trustedProxies;

    /**
     * @param rateLimit      the request-rate limit, or null for none
     * @param trustedProxies proxies whose {@code X-Forwarded-For} names the client (as the download queue reads it)
     */
    public AuthGuard(KeyRing keys, RequestRateLimit rateLimit, Set<String> trustedProxies) {
        this.keys = keys;
        this.rateLimit = rateLimit;
        this.trustedProxies = Set.copyOf(trustedProxies);
    }

    public KeyRing keys() {
        return keys;
    }

    /** Authenticates the request and counts it against the rate limit; false (answered) when it must stop here. */
    public boolean admit(Context ctx) {
        if (RouteScopes.open(ctx.method(), ctx.path())) return true;
        String caller;
        if (keys.enabled()) {
            Optional<ApiKey> key = bearer(ctx.header("Authorization")).flatMap(keys::match);
            if (key.isEmpty()) {
                ctx.header("WWW-Authenticate", "Bearer");
                refuse(ctx, 401, UNAUTHORIZED);
                return false;
            }
            ctx.attribute(KEY, key.get());
            caller = "key " + key.get().name();
        } else {
            caller = clientAddress(ctx, trustedProxies);
        }
        if (rateLimit != null) {
            long wait = rateLimit.take(caller);
            if (wait > 0) {
                ctx.header("Retry-After", Long.toString(wait));
                refuse(ctx, 429, "too many requests: at most " + rateLimit.perMinute() + " a minute for "
                        + caller + ", try again in " + wait + "s");
                return false;
            }
        }
        return true;
    }

    /** The route's handler behind its scope check; with keys off, the handler itself runs. */
    public Handler guard(Route route) {
        Scope needed = RouteScopes.of(route.method(), route.path());
        Handler h = route.handler();
        return ctx -> {
            ApiKey key = ctx.attribute(KEY);
            if (key == null) {
                h.handle(ctx);
                return;
            }
            if (!key.scopes().contains(needed)) {
                refuse(ctx, 403, "forbidden: this request needs an API key with the \"" + needed.wire() + "\" scope");
                return;
            }
            ScopedValue.where(KEY_NAME, key.name()).call(() -> {
                h.handle(ctx);
                return null;
            });
        };
    }

    /** The name of the request's key, or null when keys are off. */
    public static String keyName(Context ctx) {
        ApiKey key = ctx.attribute(KEY);
        return key == null ? null : key.name();
    }

    /** The token of an {@code Authorization: Bearer <token>} header (scheme case-insensitive). */
    static Optional<String> bearer(String header) {
        if (header == null) return Optional.empty();
        String h = header.strip();
        if (h.length() < 7 || !h.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) return Optional.empty();
        String token = h.substring(7).strip();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }

    /** The client: the socket address, or the first {@code X-Forwarded-For} entry when the peer is a trusted proxy. */
    public static String clientAddress(Context ctx, Set<String> trustedProxies) {
        String remote = ctx.req().getRemoteAddr();
        if (trustedProxies.contains(remote)) {
            String xff = ctx.header("X-Forwarded-For");
            if (xff != null && !xff.isBlank()) return xff.split(",")[0].strip();
        }
        return remote;
    }

    /** Ollama's {@code {"error": "..."}}, or OpenAI's error object on {@code /v1}, whose clients read that. */
    private static void refuse(Context ctx, int status, String message) {
        if (ctx.path().startsWith("/v1/")) Http.json(ctx, status, OpenAiTypes.ErrorBody.of(status, message));
        else Http.error(ctx, status, message);
    }
}
