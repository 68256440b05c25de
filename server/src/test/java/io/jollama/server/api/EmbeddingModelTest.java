package io.jollama.server.api;

import io.jollama.engine.model.BertFixture;
import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Embedding models (encoders: bert, nomic-bert) through real HTTP: the {@code embedding} capability, generate and
 * chat refused as Ollama refuses them, and {@code /api/embed} and {@code /v1/embeddings} giving llama.cpp's
 * embeddings of the same files, L2-normalised.
 */
class EmbeddingModelTest {
    @TempDir
    static Path dir;
    static TestServer server;
    static JsonNode reference;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer(ServerConfig.local(0, dir.resolve("models")));
        reference = Json.MAPPER.readTree(EmbeddingModelTest.class.getResourceAsStream("/bert-reference.json")).get("models");
        for (String arch : new String[]{"bert", "nomic-bert"}) {
            Path file = dir.resolve(arch + ".gguf");
            BertFixture.write(file, arch);
            String d = server.upload(file);
            HttpResponse<String> r = server.post("/api/create", "{\"model\":\"" + arch + "\",\"files\":{\"m.gguf\":\"" + d + "\"},\"stream\":false}");
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static double[] normalized(JsonNode a) {
        double[] v = InferenceApiTest.vec(a);
        double n = Math.sqrt(InferenceApiTest.dot(v, v));
        for (int i = 0; i < v.length; i++) v[i] /= n;
        return v;
    }

    @Test
    void showsEmbeddingCapabilityAndRefusesGeneration() {
        JsonNode show = TestServer.json(server.post("/api/show", "{\"model\":\"bert\"}"));
        assertEquals("[\"embedding\"]", show.get("capabilities").toString());
        HttpResponse<String> g = server.post("/api/generate", "{\"model\":\"bert\",\"prompt\":\"hi\"}");
        assertEquals(400, g.statusCode());
        assertEquals("\"bert\" does not support generate", TestServer.json(g).get("error").asString());
        HttpResponse<String> c = server.post("/api/chat", "{\"model\":\"nomic-bert\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(400, c.statusCode());
        assertEquals("\"nomic-bert\" does not support chat", TestServer.json(c).get("error").asString());
    }

    @Test
    void embedMatchesLlamaCppForManyInputs() {
        for (String arch : new String[]{"bert", "nomic-bert"}) {
            JsonNode ref = reference.get(arch);
            HttpResponse<String> r = server.post("/api/embed", "{\"model\":\"" + arch + "\",\"input\":" + ref.get("prompts") + "}");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode e = TestServer.json(r);
            int tokens = 0;
            for (JsonNode t : ref.get("tokens")) tokens += t.size();
            assertEquals(tokens, e.get("prompt_eval_count").asInt(), "[CLS] and [SEP] counted");
            for (int i = 0; i < ref.get("prompts").size(); i++) {
                double[] expected = normalized(ref.get("embeddings").get(i));
                double[] actual = InferenceApiTest.vec(e.get("embeddings").get(i));
                assertEquals(1.0, InferenceApiTest.dot(actual, actual), 1e-5);
                assertTrue(InferenceApiTest.dot(expected, actual) > 0.99999, arch + " input " + i);
            }
            // /v1/embeddings: OpenAI's shape, the same vectors
            JsonNode v1 = TestServer.json(server.post("/v1/embeddings", "{\"model\":\"" + arch + "\",\"input\":" + ref.get("prompts") + "}"));
            assertEquals("list", v1.get("object").asString());
            assertEquals(ref.get("prompts").size(), v1.get("data").size());
            for (int i = 0; i < v1.get("data").size(); i++) {
                assertEquals(i, v1.get("data").get(i).get("index").asInt());
                assertArrayEquals(InferenceApiTest.vec(e.get("embeddings").get(i)), InferenceApiTest.vec(v1.get("data").get(i).get("embedding")), 1e-6);
            }
            assertEquals(e.get("prompt_eval_count").asInt(), v1.get("usage").get("prompt_tokens").asInt());
            JsonNode b64 = TestServer.json(server.post("/v1/embeddings", "{\"model\":\"" + arch + "\",\"input\":\"embeddings\",\"encoding_format\":\"base64\"}"));
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(java.util.Base64.getDecoder().decode(b64.get("data").get(0).get("embedding").asString()))
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            double[] third = InferenceApiTest.vec(e.get("embeddings").get(2));
            assertEquals(4 * third.length, bytes.remaining());
            // alone, not in a batch: the same vector up to rounding (batches of 16+ tokens multiply through float panels)
            for (double x : third) assertEquals(x, bytes.getFloat(), 1e-4);
        }
    }

    @Test
    void legacyEmbeddingsAndTruncation() {
        JsonNode legacy = TestServer.json(server.post("/api/embeddings", "{\"model\":\"bert\",\"prompt\":" + Json.write(reference.get("bert").get("prompts").get(0).asString()) + "}"));
        double[] l = InferenceApiTest.vec(legacy.get("embedding"));
        double[] expected = InferenceApiTest.vec(reference.get("bert").get("embeddings").get(0));
        for (int i = 0; i < l.length; i++) assertEquals(expected[i], l[i], 2e-3, "not normalised, as llama.cpp's raw vector");
        String longText = Json.write("word ".repeat(300));
        HttpResponse<String> refused = server.post("/api/embed", "{\"model\":\"bert\",\"truncate\":false,\"input\":" + longText + "}");
        assertEquals(400, refused.statusCode());
        HttpResponse<String> cut = server.post("/api/embed", "{\"model\":\"bert\",\"input\":" + longText + "}");
        assertEquals(200, cut.statusCode(), cut.body());
        int count = TestServer.json(cut).get("prompt_eval_count").asInt();
        assertTrue(count > 100 && count <= 128, "cut to the model's 128 positions: " + count);
    }
}
