package io.jollama.server.registry;

import io.jollama.server.ServerConfig;
import io.jollama.server.ServerProcess;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A server killed with SIGKILL in the middle of a queued download: the entry survives in the database, nothing of the
 * model is visible, and the next server resumes the partial download and completes it.
 */
class QueueCrashTest {

    @TempDir
    Path dir;

    @Test
    void killedMidDownloadResumesAfterRestart() throws Exception {
        byte[] weights = Files.readAllBytes(TestServer.storiesF32());
        Path models = dir.resolve("models"), db = dir.resolve("jollama.db");
        Map<String, String> env = Map.of("OLLAMA_HOST", "127.0.0.1:0", "OLLAMA_MODELS", models.toString(),
                "JOLLAMA_DB", db.toString(), "JOLLAMA_PULL_QUEUE", "true", "HOME", dir.toString(), "JOLLAMA_DISK_THRESHOLD", "100",
                "JOLLAMA_CATALOG_REFRESH", "0");
        try (TestRegistry reg = new TestRegistry()) {
            reg.publish("library/tiny", "latest", "{\"model_format\":\"gguf\",\"model_family\":\"llama\"}\n".getBytes(), weights);
            String name = reg.host() + "/library/tiny:latest";
            reg.slowMillisPer8k = 10;

            Path log = dir.resolve("server.log");
            Process p = ServerProcess.start(env, log);
            try {
                int port = ServerProcess.awaitPort(p, log);
                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/pull"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + name + "\",\"insecure\":true,\"stream\":false}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, r.statusCode(), r.body());
                long end = System.nanoTime() + 30_000_000_000L;
                while (reg.bytesServed.get() < 800_000) { // the downloader saves its part state every 500 ms
                    if (System.nanoTime() > end) fail("no download in the child: " + Files.readString(log));
                    Thread.sleep(10);
                }
            } finally {
                p.destroyForcibly(); // SIGKILL: no shutdown hook, no pause
                p.waitFor();
            }
            long servedBeforeCrash = reg.bytesServed.get();
            assertTrue(servedBeforeCrash < weights.length, "killed before the end");

            try (var c = DriverManager.getConnection("jdbc:sqlite:" + db);
                 var rs = c.createStatement().executeQuery("SELECT status, model FROM queue")) {
                assertTrue(rs.next());
                assertEquals("downloading", rs.getString(1), "the crash left the entry downloading");
                assertEquals(name, rs.getString(2));
            }
            assertFalse(Files.exists(models.resolve("manifests")) && Files.walk(models.resolve("manifests")).anyMatch(Files::isRegularFile),
                    "no manifest of a half model");
            try (var ls = Files.list(models.resolve("blobs"))) {
                assertTrue(ls.allMatch(f -> f.getFileName().toString().contains("partial")), "only partial files");
            }

            reg.slowMillisPer8k = 0;
            reg.resetCounters();
            try (TestServer again = new TestServer(ServerConfig.local(0, models).withEnv(Map.of("JOLLAMA_DB", db.toString(),
                    "JOLLAMA_PULL_QUEUE", "true", "JOLLAMA_DISK_THRESHOLD", "100")))) {
                JsonNode q = null;
                long end = System.nanoTime() + 30_000_000_000L;
                while (System.nanoTime() < end) {
                    q = TestServer.json(again.get("/api/queue"));
                    if (q.path("counts").path("completed").asInt() == 1) break;
                    Thread.sleep(20);
                }
                assertEquals(1, q.path("counts").path("completed").asInt(), q.toString());
                assertEquals(0, q.path("counts").path("pending").asInt() + q.path("counts").path("downloading").asInt());
                assertTrue(reg.bytesServed.get() < weights.length - 100_000,
                        "resumed: " + reg.bytesServed.get() + " bytes after the restart for " + weights.length);
                assertTrue(again.get("/api/tags").body().contains("\"name\":\"" + name + "\""));
            }
        }
    }
}
