package io.jollama.server.store;

import io.jollama.server.Json;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Several clients create, copy and delete models sharing blobs at the same time. Whatever the interleaving: no request
 * fails with a server error, every manifest left is readable and every blob it references exists, and no blob is left
 * that no manifest references.
 */
class StoreConcurrencyTest {

    @TempDir
    Path dir;

    @Test
    void concurrentCreateCopyDeleteNeverLosesAReferencedBlob() throws Exception {
        try (TestServer s = new TestServer(dir.resolve("models"))) {
            byte[][] ggufs = {TestServer.tinyGguf("alpha"), TestServer.tinyGguf("beta")};
            String[] systems = {"", "Be brief.", "Be kind.", "Be <bold>."};
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            int clients = 4, rounds = 100;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                final long seed = 1234 + c;
                futures.add(pool.submit(() -> {
                    Random rnd = new Random(seed);
                    for (int i = 0; i < rounds; i++) {
                        String m = "m" + rnd.nextInt(4);
                        HttpResponse<String> r;
                        switch (rnd.nextInt(3)) {
                            case 0 -> {
                                byte[] g = ggufs[rnd.nextInt(ggufs.length)];
                                String d = s.upload(g);
                                r = s.post("/api/create", "{\"model\":\"" + m + "\",\"files\":{\"m.gguf\":\"" + d + "\"},\"system\":"
                                        + Json.write(systems[rnd.nextInt(systems.length)]) + ",\"stream\":false}");
                                // a concurrent delete may remove the uploaded blob before the create pins it: a clean 400
                                boolean ok = r.statusCode() == 200 || (r.statusCode() == 400 && r.body().contains("not found"));
                                if (!ok) failures.add("create " + m + ": " + r.statusCode() + " " + r.body());
                            }
                            case 1 -> {
                                r = s.post("/api/copy", "{\"source\":\"" + m + "\",\"destination\":\"c" + rnd.nextInt(4) + "\"}");
                                if (r.statusCode() != 200 && r.statusCode() != 404) failures.add("copy: " + r.statusCode() + " " + r.body());
                            }
                            default -> {
                                String victim = (rnd.nextBoolean() ? "m" : "c") + rnd.nextInt(4);
                                r = s.delete("/api/delete", "{\"model\":\"" + victim + "\"}");
                                if (r.statusCode() != 200 && r.statusCode() != 404) failures.add("delete: " + r.statusCode() + " " + r.body());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
            pool.shutdown();
            assertEquals(List.of(), new ArrayList<>(failures));

            Set<String> referenced = new HashSet<>();
            List<Path> manifests;
            try (Stream<Path> st = Files.walk(s.models.resolve("manifests"))) {
                manifests = st.filter(Files::isRegularFile).toList();
            }
            for (Path p : manifests) {
                assertFalse(p.getFileName().toString().startsWith("."), "no temporary manifest left: " + p);
                Manifest m = Manifest.parse(Files.readAllBytes(p));
                for (String d : m.digests()) {
                    assertTrue(Files.exists(s.models.resolve("blobs/" + Digest.fileName(d))), p + " references missing " + d);
                    referenced.add(Digest.fileName(d));
                }
            }
            Set<String> present = new HashSet<>();
            try (Stream<Path> st = Files.list(s.models.resolve("blobs"))) {
                st.forEach(p -> present.add(p.getFileName().toString()));
            }
            // uploaded model files may legitimately stay unreferenced (uploaded, then their create lost a race)
            present.removeIf(b -> !referenced.contains(b) && isUploadedGguf(s.models.resolve("blobs/" + b)));
            assertEquals(referenced, present, "no unreferenced blobs besides uploads, no temporary files");

            JsonNode tags = TestServer.json(s.get("/api/tags"));
            assertEquals(manifests.size(), tags.get("models").size());
            for (JsonNode m : tags.get("models")) {
                assertEquals(200, s.post("/api/show", "{\"model\":\"" + m.get("name").asString() + "\"}").statusCode());
            }
        }
    }

    private static boolean isUploadedGguf(Path p) {
        try {
            byte[] b = Files.readAllBytes(p);
            return b.length >= 4 && b[0] == 'G' && b[1] == 'G' && b[2] == 'U' && b[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }
}
