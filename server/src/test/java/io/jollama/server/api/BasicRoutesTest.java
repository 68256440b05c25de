package io.jollama.server.api;

import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Liveness, version, 404/405, request decoding errors, CORS and the Host guard, over real HTTP. */
class BasicRoutesTest {

    @TempDir
    static Path dir;
    static TestServer s;

    @BeforeAll
    static void start() {
        s = new TestServer(ServerConfig.local(0, dir.resolve("models")).withOrigins("http://example.com,chrome-extension://*"));
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    @Test
    void rootAndVersion() {
        HttpResponse<String> r = s.get("/");
        assertEquals(200, r.statusCode());
        assertEquals("Ollama is running", r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertEquals(200, s.head("/").statusCode());

        r = s.get("/api/version");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertEquals("0.33.0", TestServer.json(r).get("version").asString(), r.body()); // the Ollama API implemented
        assertEquals(200, s.head("/api/version").statusCode());
        assertEquals(200, s.head("/api/tags").statusCode());
    }

    @Test
    void emptyStoreListsNoModels() {
        HttpResponse<String> r = s.get("/api/tags");
        assertEquals(200, r.statusCode());
        assertEquals("{\"models\":[]}", r.body());
    }

    @Test
    void unknownPathAndWrongMethod() {
        HttpResponse<String> r = s.get("/api/nothing");
        assertEquals(404, r.statusCode());
        assertEquals("404 page not found", r.body());
        r = s.get("/api/create");
        assertEquals(405, r.statusCode());
        assertEquals("405 method not allowed", r.body());
        assertEquals(405, s.get("/api/show").statusCode());
        assertEquals(405, s.post("/api/tags", "{}").statusCode());
        assertEquals(405, s.send(HttpRequest.newBuilder(s.uri("/api/delete")).POST(HttpRequest.BodyPublishers.ofString("{}"))).statusCode());
    }

    @Test
    void requestDecoding() {
        assertError(s.post("/api/show", ""), 400, "missing request body");
        assertError(s.delete("/api/delete", ""), 400, "missing request body");
        assertError(s.post("/api/show", "null"), 400, "model is required");
        assertError(s.post("/api/show", "{}"), 400, "model is required");
        assertError(s.post("/api/show", "{\"model\":"), 400, "unexpected EOF");
        assertError(s.post("/api/show", "nope"), 400, "invalid character 'n' looking for beginning of value");
        assertError(s.post("/api/show", "{\"model\":7}"), 400, "json: cannot unmarshal number into Go struct field .model of type string");
        // case-insensitive field names, unknown fields ignored, the older "name"
        assertError(s.post("/api/show", "{\"MODEL\":\"foo\",\"whatever\":[1,2]}"), 404, "model 'foo:latest' not found");
        assertError(s.post("/api/show", "{\"name\":\"ns/foo:7b\"}"), 404, "model 'ns/foo:7b' not found");
        assertError(s.post("/api/show", "{\"model\":\"bad@name\"}"), 400, "invalid model name");
        assertError(s.delete("/api/delete", "{}"), 400, "model is required");
        assertError(s.delete("/api/delete", "{\"name\":\"non_existent_model\"}"), 404, "model 'non_existent_model' not found");
        assertError(s.post("/api/copy", "{\"source\":\"a@b\",\"destination\":\"c\"}"), 400, "source \"a@b\" is invalid");
        assertError(s.post("/api/copy", "{\"source\":\"a\",\"destination\":\"c:\"}"), 400, "destination \"c:\" is invalid");
        assertError(s.post("/api/copy", "{\"source\":\"nope\",\"destination\":\"c\"}"), 404, "model \"nope\" not found");
    }

    static void assertError(HttpResponse<String> r, int status, String message) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        assertEquals(message, TestServer.json(r).get("error").asString());
    }

    @Test
    void cors() {
        HttpResponse<String> r = s.send(HttpRequest.newBuilder(s.uri("/api/tags")).header("Origin", "http://evil.com").GET());
        assertEquals(403, r.statusCode());
        assertEquals("", r.body());

        r = s.send(HttpRequest.newBuilder(s.uri("/api/tags")).header("Origin", "http://localhost:3000").GET());
        assertEquals(200, r.statusCode());
        assertEquals("http://localhost:3000", r.headers().firstValue("Access-Control-Allow-Origin").orElse(""));

        r = s.send(HttpRequest.newBuilder(s.uri("/api/tags")).header("Origin", "http://example.com").GET());
        assertEquals(200, r.statusCode(), "OLLAMA_ORIGINS entry");
        r = s.send(HttpRequest.newBuilder(s.uri("/api/tags")).header("Origin", "chrome-extension://abcdef").GET());
        assertEquals(200, r.statusCode(), "OLLAMA_ORIGINS wildcard");
        r = s.send(HttpRequest.newBuilder(s.uri("/api/tags")).header("Origin", "moz-extension://abcdef").GET());
        assertEquals(403, r.statusCode(), "extensions only when listed");
        r = s.send(HttpRequest.newBuilder(s.uri("/api/tags")).header("Origin", "vscode-webview://x").GET());
        assertEquals(200, r.statusCode());

        r = s.send(HttpRequest.newBuilder(s.uri("/api/chat")).header("Origin", "http://127.0.0.1:8080")
                .header("Access-Control-Request-Method", "POST").method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertEquals(204, r.statusCode());
        assertTrue(r.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Authorization"));
        assertEquals("http://127.0.0.1:8080", r.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    }

    /** The JDK client will not send a foreign Host header, so these go over a plain socket. */
    static int statusWithHost(String host, String method) throws IOException {
        try (Socket sock = new Socket("127.0.0.1", s.server.port())) {
            OutputStream out = sock.getOutputStream();
            out.write((method + " /api/tags HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = sock.getInputStream();
            String status = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    @Test
    void hostGuardOnLoopback() throws IOException {
        assertEquals(403, statusWithHost("evil.com", "GET"));
        assertEquals(403, statusWithHost("evil.com:11434", "GET"));
        assertEquals(200, statusWithHost("localhost:11434", "GET"));
        assertEquals(200, statusWithHost("localhost", "GET"));
        assertEquals(200, statusWithHost("printer.local", "GET"));
        assertEquals(200, statusWithHost("app.localhost", "GET"));
        assertEquals(200, statusWithHost("db.internal", "GET"));
        assertEquals(200, statusWithHost("127.0.0.1:11434", "GET"));
        assertEquals(200, statusWithHost("192.168.1.20", "GET"));
        assertEquals(200, statusWithHost("10.0.0.1", "GET"));
        assertEquals(200, statusWithHost("[::1]:11434", "GET"));
        assertEquals(403, statusWithHost("8.8.8.8", "GET"));
        assertEquals(204, statusWithHost("localhost", "OPTIONS"));
    }
}
