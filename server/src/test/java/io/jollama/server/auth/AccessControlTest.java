package io.jollama.server.auth;

import io.javalin.http.HandlerType;
import io.jollama.server.MutableClock;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import io.jollama.server.api.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * API keys through real HTTP: one server with keys (one key per scope, one per "every scope but one") and one without,
 * both with the same model. Every route refuses a key without its scope and answers a key with it exactly as the
 * server without keys answers; missing, wrong and revoked keys get one and the same 401; keys added or revoked count
 * from the next request; /api/ps names the key holding a model; the request-rate and daily queue limits count per key.
 */
class AccessControlTest {

    @TempDir
    static Path dir;
    static TestServer open, keyed;
    static KeyFile keys;
    static final Map<String, String> KEY = new HashMap<>();
    static final String GENERATE = "{\"model\":\"tiny\",\"prompt\":\"Once\",\"options\":{\"num_predict\":1},\"stream\":false}";

    static ServerConfig config(String name) {
        // the catalog refresh answers fast (nothing listens on port 1) instead of asking ollama.com
        return ServerConfig.local(0, dir.resolve(name).resolve("models")).withEnv(Map.of(
                "JOLLAMA_LIBRARY_URL", "http://127.0.0.1:1", "JOLLAMA_DB", dir.resolve(name).resolve("j.db").toString()));
    }

    static void createModel(TestServer s) throws Exception {
        String d = s.upload(TestServer.storiesF32());
        HttpResponse<String> r = s.post("/api/create", "{\"model\":\"tiny\",\"files\":{\"s.gguf\":\"" + d + "\"},\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
    }

    @BeforeAll
    static void start() throws Exception {
        open = new TestServer(config("open"));
        keyed = new TestServer(config("keyed"));
        createModel(open);
        createModel(keyed); // before any key: the server is open until the first key is added
        keys = KeyFile.of(keyed.server.context().config());
        assertEquals(dir.resolve("keyed").resolve(KeyFile.FILE_NAME), keys.path(), "the key file sits beside the store");
        KEY.put("all", keys.add("all", EnumSet.allOf(Scope.class), Instant.now()));
        for (Scope s : Scope.values()) {
            KEY.put("only-" + s.wire(), keys.add("only-" + s.wire(), Set.of(s), Instant.now()));
            EnumSet<Scope> others = EnumSet.complementOf(EnumSet.of(s));
            KEY.put("all-but-" + s.wire(), keys.add("all-but-" + s.wire(), others, Instant.now()));
        }
    }

    @AfterAll
    static void stop() {
        if (open != null) open.close();
        if (keyed != null) keyed.close();
    }

    static HttpResponse<String> call(TestServer s, String method, String path, String body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri(path));
        if (key != null) b.header("Authorization", key.contains(" ") ? key : "Bearer " + key);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return s.send(b);
    }

    /** A request to a route: path parameters filled in, an empty JSON object as the body of POST and DELETE. */
    static HttpResponse<String> call(TestServer s, Route r, String key) {
        String path = r.path().replace("{digest}", "sha256:" + "0".repeat(64)).replace("{file}", "llama3.2.json")
                .replace("{model}", "tiny");
        String m = r.method().name();
        return call(s, m, path, m.equals("POST") || m.equals("DELETE") ? "{}" : null, key);
    }

    @Test
    void everyRouteOfTheServerHasADeclaredScope() {
        List<String> missing = new ArrayList<>();
        for (Route r : keyed.server.routes()) {
            if (!RouteScopes.open(r.method(), r.path()) && RouteScopes.declared(r.method(), r.path()).isEmpty()) {
                missing.add(r.method() + " " + r.path());
            }
        }
        assertEquals(List.of(), missing, "routes without a line in RouteScopes (they would need 'manage')");
        assertTrue(RouteScopes.open(HandlerType.GET, "/") && RouteScopes.open(HandlerType.HEAD, "/"));
        assertEquals(Scope.MANAGE, RouteScopes.of(HandlerType.POST, "/api/not-declared"), "the safe side");
    }

    @Test
    void everyRouteRefusesAKeyWithoutItsScopeAndAnswersAKeyWithItAsAServerWithoutKeys() {
        int checked = 0;
        for (Route r : keyed.server.routes()) {
            if (RouteScopes.open(r.method(), r.path())) continue;
            Scope needed = RouteScopes.of(r.method(), r.path());
            String what = r.method() + " " + r.path();

            HttpResponse<String> refused = call(keyed, r, KEY.get("all-but-" + needed.wire()));
            assertEquals(403, refused.statusCode(), what + ": " + refused.body());
            if (!r.method().equals(HandlerType.HEAD)) {
                JsonNode error = TestServer.json(refused).path("error");
                String text = error.isString() ? error.asString() : error.path("message").asString(); // /v1: OpenAI's shape
                assertTrue(text.contains("\"" + needed.wire() + "\" scope"), what + ": " + refused.body());
            }

            HttpResponse<String> plain = call(open, r, null);
            HttpResponse<String> allowed = call(keyed, r, KEY.get("only-" + needed.wire()));
            assertEquals(plain.statusCode(), allowed.statusCode(), what + ": with keys " + allowed.body() + " / without " + plain.body());
            assertEquals(plain.statusCode(), call(keyed, r, KEY.get("all")).statusCode(), what);
            checked++;
        }
        assertTrue(checked >= 39, "routes checked: " + checked);
    }

    @Test
    void scopesOfTheIssueOnRealRequests() {
        assertEquals(200, call(keyed, "POST", "/api/generate", GENERATE, KEY.get("only-inference")).statusCode());
        assertEquals(200, call(keyed, "POST", "/v1/chat/completions",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1}", KEY.get("only-inference")).statusCode());
        HttpResponse<String> noInference = call(keyed, "POST", "/api/chat",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":false}", KEY.get("all-but-inference"));
        assertEquals(403, noInference.statusCode());
        assertEquals("{\"error\":\"forbidden: this request needs an API key with the \\\"inference\\\" scope\"}", noInference.body());

        HttpResponse<String> tags = call(keyed, "GET", "/api/tags", null, KEY.get("only-read"));
        assertEquals(200, tags.statusCode());
        assertTrue(tags.body().contains("\"tiny:latest\""), tags.body());
        assertEquals(403, call(keyed, "POST", "/api/copy", "{\"source\":\"tiny\",\"destination\":\"copy\"}", KEY.get("only-read")).statusCode());
        assertEquals(200, call(keyed, "POST", "/api/copy", "{\"source\":\"tiny\",\"destination\":\"copy\"}", KEY.get("only-manage")).statusCode());
        assertEquals(403, call(keyed, "DELETE", "/api/delete", "{\"model\":\"copy\"}", KEY.get("only-pull")).statusCode());
        assertEquals(200, call(keyed, "DELETE", "/api/delete", "{\"model\":\"copy\"}", KEY.get("only-manage")).statusCode());
        // /v1 answers in OpenAI's error shape, which its clients read
        HttpResponse<String> v1 = call(keyed, "GET", "/v1/models", null, KEY.get("only-read"));
        assertEquals(403, v1.statusCode());
        assertTrue(TestServer.json(v1).path("error").path("message").asString().contains("\"inference\" scope"), v1.body());
    }

    @Test
    void missingWrongAndRevokedKeysAllGetTheSame401AndTheRootStaysOpen() throws Exception {
        String revokedKey = keys.add("revoked", Set.of(Scope.READ), Instant.now());
        assertEquals(200, call(keyed, "GET", "/api/tags", null, revokedKey).statusCode());
        assertTrue(keys.remove("revoked"));

        String good = KEY.get("all");
        String lastCharChanged = good.substring(0, good.length() - 1) + (good.endsWith("A") ? "B" : "A");
        List<String> bad = new ArrayList<>();
        bad.add(null);
        bad.addAll(List.of("jk_wrong", lastCharChanged, good + "x", revokedKey, "Basic " + good, "Bearer", "bearer  "));
        String body = null;
        for (String key : bad) {
            HttpResponse<String> r = call(keyed, "GET", "/api/tags", null, key);
            assertEquals(401, r.statusCode(), key + ": " + r.body());
            assertEquals("Bearer", r.headers().firstValue("WWW-Authenticate").orElse(""));
            if (body == null) body = r.body();
            assertEquals(body, r.body(), "no hint which part was wrong");
        }
        assertEquals("unauthorized: this server needs an API key (Authorization: Bearer <key>)",
                TestServer.json(call(keyed, "GET", "/api/tags", null, null)).path("error").asString());
        assertEquals(200, call(keyed, "GET", "/api/tags", null, "bEaReR " + good).statusCode(), "the scheme is case-insensitive");

        assertEquals(401, call(keyed, "POST", "/api/generate", GENERATE, null).statusCode());
        assertEquals(401, call(keyed, "GET", "/no/such/route", null, null).statusCode(), "unknown paths too: nothing is told");
        HttpResponse<String> v1 = call(keyed, "POST", "/v1/chat/completions", "{}", "jk_wrong");
        assertEquals(401, v1.statusCode());
        assertEquals("api_error", TestServer.json(v1).path("error").path("type").asString(), v1.body());

        HttpResponse<String> root = call(keyed, "GET", "/", null, null);
        assertEquals(200, root.statusCode());
        assertEquals("Ollama is running", root.body());
        assertEquals(200, call(keyed, "HEAD", "/", null, "jk_wrong").statusCode());
        HttpResponse<String> script = call(keyed, "GET", "/web/app.js", null, null);
        assertEquals(200, script.statusCode(), "the web page's static files load without a key");
        assertEquals(401, call(keyed, "GET", "/web/app.js/../../api/tags", null, null).statusCode());
        assertEquals(401, call(keyed, "POST", "/web/app.js", "{}", null).statusCode());
    }

    @Test
    void theKeyFileKeepsOnlyDigests() throws Exception {
        String text = Files.readString(keys.path());
        for (String k : KEY.values()) {
            assertFalse(text.contains(k.substring(KeyFile.KEY_PREFIX.length(), KeyFile.KEY_PREFIX.length() + 12)), "a key's text in the file");
            assertTrue(text.contains(java.util.HexFormat.of().formatHex(KeyFile.sha256(k))));
        }
    }

    @Test
    void psNamesTheKeyThatHoldsAModelOnlyWhenKeysAreOn() {
        assertEquals(200, call(keyed, "POST", "/api/generate", GENERATE, KEY.get("only-inference")).statusCode());
        JsonNode ps = TestServer.json(call(keyed, "GET", "/api/ps", null, KEY.get("only-read")));
        assertEquals("tiny:latest", ps.path("models").get(0).path("name").asString(), ps.toString());
        assertEquals("only-inference", ps.path("models").get(0).path("key").asString(), ps.toString());

        assertEquals(200, open.post("/api/generate", GENERATE).statusCode());
        JsonNode openPs = TestServer.json(open.get("/api/ps"));
        assertEquals("tiny:latest", openPs.path("models").get(0).path("name").asString());
        assertFalse(openPs.path("models").get(0).has("key"), "Ollama's shape without keys: " + openPs);
    }

    @Test
    void keysAreSeenFromTheNextRequestAndRemovingTheLastTurnsAccessControlOff() throws Exception {
        try (TestServer s = new TestServer(config("reload"))) {
            KeyFile file = KeyFile.of(s.server.context().config());
            assertEquals(200, s.get("/api/tags").statusCode());
            String a = file.add("a", Set.of(Scope.READ), Instant.now());
            assertEquals(401, s.get("/api/tags").statusCode(), "the first key turns access control on at once");
            assertEquals(200, call(s, "GET", "/api/tags", null, a).statusCode());
            String b = file.add("b", Set.of(Scope.READ), Instant.now());
            assertEquals(200, call(s, "GET", "/api/tags", null, b).statusCode(), "a key added while running");
            assertTrue(file.remove("a"));
            assertEquals(401, call(s, "GET", "/api/tags", null, a).statusCode(), "a revoked key, at once");
            // a damaged file keeps the keys read before
            Files.writeString(file.path(), "{not json");
            assertEquals(200, call(s, "GET", "/api/tags", null, b).statusCode());
            assertEquals(401, s.get("/api/tags").statusCode());
            Files.writeString(file.path(), "{\"keys\":[]}");
            assertEquals(200, s.get("/api/tags").statusCode(), "no keys: open again, as without a file");
        }
    }

    @Test
    void aDamagedKeyFileStopsTheStart() throws Exception {
        ServerConfig c = config("damaged");
        Path file = KeyFile.of(c).path();
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"keys\":[{\"name\":\"x\",\"scopes\":[\"read\"],\"sha256\":\"short\"}]}");
        KeyFile.KeyFileException e = assertThrows(KeyFile.KeyFileException.class, () -> new TestServer(c).close());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void theRequestRateLimitCountsPerKeyOrPerAddress() {
        try (TestServer s = new TestServer(config("rate").withEnv(Map.of("JOLLAMA_REQUEST_LIMIT", "3")))) {
            KeyFile file = KeyFile.of(s.server.context().config());
            // without keys: per client address
            for (int i = 0; i < 3; i++) assertEquals(200, s.get("/api/version").statusCode());
            HttpResponse<String> limited = s.get("/api/version");
            assertEquals(429, limited.statusCode());
            assertTrue(limited.body().startsWith("{\"error\":\"too many requests: at most 3 a minute for 127.0.0.1"), limited.body());
            assertTrue(Integer.parseInt(limited.headers().firstValue("Retry-After").orElseThrow()) >= 1);
            assertEquals(200, s.get("/").statusCode(), "health probes are not counted");

            String a = file.add("a", Set.of(Scope.READ), Instant.now());
            String b = file.add("b", Set.of(Scope.READ), Instant.now());
            for (int i = 0; i < 3; i++) assertEquals(200, call(s, "GET", "/api/version", null, a).statusCode());
            HttpResponse<String> r = call(s, "GET", "/api/version", null, a);
            assertEquals(429, r.statusCode());
            assertTrue(r.body().contains("for key a,"), r.body());
            assertEquals(200, call(s, "GET", "/api/version", null, b).statusCode(), "another key from the same address");
        }
    }

    @Test
    void theDailyQueueLimitCountsPerKey() {
        MutableClock clock = new MutableClock(ZonedDateTime.of(2026, 12, 4, 12, 0, 0, 0, ZoneId.of("UTC")));
        ServerConfig c = config("daily").withEnv(Map.of("JOLLAMA_RATE_LIMIT", "2", "JOLLAMA_QUEUE_WINDOW", "22:00-06:00",
                "JOLLAMA_DISK_THRESHOLD", "100"));
        try (TestServer s = new TestServer(c, clock)) {
            KeyFile file = KeyFile.of(c);
            String p1 = file.add("p1", Set.of(Scope.PULL, Scope.READ), Instant.now());
            String p2 = file.add("p2", Set.of(Scope.PULL), Instant.now());
            String pull = "{\"model\":\"127.0.0.1:1/library/m%d:latest\",\"queue\":true,\"stream\":false}";
            assertEquals(202, call(s, "POST", "/api/pull", pull.formatted(1), p1).statusCode());
            assertEquals(202, call(s, "POST", "/api/pull", pull.formatted(2), p1).statusCode());
            HttpResponse<String> over = call(s, "POST", "/api/pull", pull.formatted(3), p1);
            assertEquals(429, over.statusCode(), over.body());
            HttpResponse<String> other = call(s, "POST", "/api/pull", pull.formatted(3), p2);
            assertEquals(202, other.statusCode(), "the same address, another key: " + other.body());
            JsonNode q = TestServer.json(call(s, "GET", "/api/queue", null, p1));
            assertEquals("key:p1", q.path("queue").get(0).path("requester_ip").asString(), q.toString());
            assertEquals("key:p2", q.path("queue").get(2).path("requester_ip").asString(), q.toString());
        }
    }
}
