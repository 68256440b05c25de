package io.jollama.cli;

import io.jollama.client.Api.ChatRequest;
import io.jollama.client.Api.ChatResponse;
import io.jollama.client.Api.CreateRequest;
import io.jollama.client.Api.GenerateRequest;
import io.jollama.client.Api.GenerateResponse;
import io.jollama.client.Api.Message;
import io.jollama.client.Api.ProgressResponse;
import io.jollama.client.Api.ShowRequest;
import io.jollama.client.OllamaClient;
import io.jollama.client.OllamaException;
import io.jollama.client.ResponseStream;
import io.jollama.client.ServerUnreachableException;
import io.jollama.engine.TestData;
import io.jollama.server.JollamaServer;
import io.jollama.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The typed client used as a library against a live server: the calls a Java program makes. */
class ClientLibraryTest {

    @TempDir
    static Path tmp;
    static JollamaServer server;
    static OllamaClient client;

    @BeforeAll
    static void start() throws IOException {
        server = JollamaServer.start(ServerConfig.local(0, tmp.resolve("models")));
        client = new OllamaClient(URI.create("http://127.0.0.1:" + server.port()));
        Path gguf = TestData.path("models/stories260K-f32.gguf");
        String digest = OllamaClient.digest(gguf);
        assertFalse(client.blobExists(digest));
        client.createBlob(digest, gguf);
        assertTrue(client.blobExists(digest));
        List<String> statuses = new ArrayList<>();
        ProgressResponse last = client.create(new CreateRequest("lib", null, Map.of("stories.gguf", digest), null, null,
                null, null, Map.of("temperature", 0, "num_predict", 64), null, null, null, null, null, null),
                p -> statuses.add(p.status()));
        assertEquals("success", last.status());
        assertTrue(statuses.contains("parsing GGUF"), statuses.toString());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static String reference() {
        return CliCommandsTest.reference();
    }

    @Test
    void listShowAndVersion() {
        assertEquals(io.jollama.engine.Version.OLLAMA_API_VERSION, client.version());
        var models = client.list().models();
        assertEquals("lib:latest", models.getFirst().name());
        assertEquals(64, models.getFirst().digest().length());
        var show = client.show(ShowRequest.of("lib"));
        assertEquals("llama", show.modelInfo().get("general.architecture"));
        assertEquals("F32", show.details().quantizationLevel());
        assertTrue(show.capabilities().contains("completion"));
    }

    @Test
    void generateStreamsChunksAndReturnsTheMetrics() {
        StringBuilder text = new StringBuilder();
        GenerateResponse last = client.generate(GenerateRequest.of("lib", "Once upon a time"), r -> text.append(r.response()));
        assertEquals(reference(), text.toString());
        assertTrue(last.done());
        assertEquals("length", last.doneReason());
        assertEquals(64, last.metrics().evalCount());
        assertTrue(last.metrics().totalDuration() > 0);
    }

    @Test
    void chatAndEarlyClose() {
        StringBuilder text = new StringBuilder();
        ChatResponse last = client.chat(ChatRequest.of("lib", List.of(new Message("user", "Once upon a time"))),
                r -> text.append(r.message().content()));
        assertEquals(reference(), text.toString());
        assertTrue(last.done());

        // a stream can be abandoned after a few chunks (what Ctrl-C in the CLI does)
        try (ResponseStream<ChatResponse> s = client.chatStream(ChatRequest.of("lib", List.of(new Message("user", "Once upon a time"))))) {
            assertNotNull(s.next());
            assertNotNull(s.next());
            s.close();
            assertNull(s.next());
        }
        // and the server still answers afterwards
        assertEquals("lib:latest", client.list().models().getFirst().name());
    }

    @Test
    void errorsCarryTheServersStatusAndMessage() {
        OllamaException show = assertThrows(OllamaException.class, () -> client.show(ShowRequest.of("nope")));
        assertEquals(404, show.status());
        assertEquals("model 'nope:latest' not found", show.getMessage());
        OllamaException gen = assertThrows(OllamaException.class, () -> client.generate(GenerateRequest.of("nope", "x"), r -> {}));
        assertEquals(404, gen.status());
        assertEquals("model 'nope' not found", gen.getMessage());
        OllamaException copy = assertThrows(OllamaException.class, () -> client.copy("lib", "bad name!"));
        assertEquals(400, copy.status());
    }

    @Test
    void noServerIsItsOwnException() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        OllamaClient down = new OllamaClient(URI.create("http://127.0.0.1:" + port));
        ServerUnreachableException e = assertThrows(ServerUnreachableException.class, down::heartbeat);
        assertEquals("http://127.0.0.1:" + port, e.address());
    }

    @Test
    void hostParsingFollowsOllama() {
        assertEquals("http://127.0.0.1:11434", OllamaClient.hostUri("").toString());
        assertEquals("http://127.0.0.1:11434", OllamaClient.hostUri("0.0.0.0").toString());
        assertEquals("http://1.2.3.4:1234", OllamaClient.hostUri(" \"1.2.3.4:1234\" ").toString());
        assertEquals("http://[::1]:11434", OllamaClient.hostUri("[::]").toString());
        assertEquals("http://[::1]:1337", OllamaClient.hostUri("[::1]:1337").toString());
        assertEquals("http://1.2.3.4:80", OllamaClient.hostUri("http://1.2.3.4").toString());
        assertEquals("https://example.com:443/ollama", OllamaClient.hostUri("https://example.com/ollama").toString());
        assertEquals("http://example.com:11434", OllamaClient.hostUri("example.com:66000").toString());
    }
}
