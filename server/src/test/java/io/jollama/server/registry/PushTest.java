package io.jollama.server.registry;

import io.jollama.server.Progress;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PushTest {

    @TempDir
    Path dir;
    TestRegistry reg;
    DirectoryStorage storage;
    Registry registry;
    byte[] weights;
    byte[] config;
    byte[] manifest;
    RegistryName name;

    @BeforeEach
    void setUp() throws Exception {
        reg = new TestRegistry();
        reg.requireAuth = true;
        reg.pushableNamespaces = Set.of("alice");
        storage = new DirectoryStorage(dir.resolve("local"));
        registry = new Registry(storage, RequestSigner.NONE,
                Registry.Options.defaults().withDownload(PullTest.SMALL_PARTS).withUploadPartSize(50_000));
        weights = new byte[120_000];
        new Random(7).nextBytes(weights);
        config = "{\"model_format\":\"gguf\"}\n".getBytes();
        name = RegistryName.of(reg.host(), "alice", "tiny", "v1");
        manifest = storage.addModel(name, config, weights);
    }

    @AfterEach
    void tearDown() {
        reg.close();
    }

    List<Progress> push(RegistryName n) {
        List<Progress> out = new ArrayList<>();
        registry.push(n, true, out::add);
        return out;
    }

    @Test
    void pushesBlobsInChunkedUploadSessionsThenTheManifest() {
        List<Progress> ps = push(name);
        String w = TestRegistry.digest(weights);
        String c = TestRegistry.digest(config);
        assertEquals(List.of("retrieving manifest", "pushing " + w.substring(7, 19), "pushing " + c.substring(7, 19),
                "pushing manifest", "success"), PullTest.statuses(ps));
        assertEquals(new Progress("pushing " + w.substring(7, 19), w, weights.length, weights.length),
                ps.stream().filter(p -> w.equals(p.digest())).toList().getLast());

        List<Long> completed = ps.stream().filter(p -> w.equals(p.digest())).map(Progress::completed).toList();
        assertTrue(completed.contains(50_000L) && completed.contains(100_000L), completed.toString());
        for (int i = 1; i < completed.size(); i++) assertTrue(completed.get(i) >= completed.get(i - 1), completed.toString());

        assertArrayEquals(weights, reg.blobs.get(w));
        assertArrayEquals(config, reg.blobs.get(c));
        // 120 000 bytes in 50 000-byte PATCHes, Content-Range without "bytes "
        assertTrue(reg.contentRanges.containsAll(List.of("0-49999", "50000-99999", "100000-119999")),
                reg.contentRanges.toString());
        assertTrue(reg.etags.getFirst().matches("[0-9a-f]{32}-3"), reg.etags.toString());
        // the manifest goes up re-serialised compactly, without the trailing newline
        byte[] pushed = reg.manifests.get("alice/tiny:v1");
        assertArrayEquals(java.util.Arrays.copyOf(manifest, manifest.length - 1), pushed);
    }

    @Test
    void pushedModelPullsBackIdentically() throws Exception {
        push(name);
        DirectoryStorage other = new DirectoryStorage(dir.resolve("other"));
        new Registry(other, RequestSigner.NONE, Registry.Options.defaults().withDownload(PullTest.SMALL_PARTS))
                .pull(name, true, p -> {});
        assertArrayEquals(weights, java.nio.file.Files.readAllBytes(other.blobPath(TestRegistry.digest(weights))));
    }

    @Test
    void blobsTheRegistryHasAreNotUploadedAgain() {
        push(name);
        reg.resetCounters();
        push(name);
        assertTrue(reg.requests.stream().noneMatch(r -> r.startsWith("PATCH") || r.startsWith("POST")),
                reg.requests.toString());
    }

    @Test
    void redirectedUploadPartsArePutToStorageWithoutTheToken() {
        reg.redirectUploads = true;
        push(name);
        assertArrayEquals(weights, reg.blobs.get(TestRegistry.digest(weights)));
        assertTrue(reg.requests.stream().anyMatch(r -> r.startsWith("PUT /upload-data/")), reg.requests.toString());
    }

    @Test
    void namespaceWithoutPushRightIsRefused() throws Exception {
        RegistryName library = RegistryName.of(reg.host(), "library", "tiny", "v1");
        storage.addModel(library, config, weights);
        RegistryException e = assertThrows(RegistryException.class, () -> push(library));
        assertEquals("unauthorized: access denied", e.getMessage());
        assertEquals(401, e.status());
        assertFalse(reg.manifests.containsKey("library/tiny:v1"));
    }

    @Test
    void missingLocalModelSaysSo() {
        List<Progress> ps = new ArrayList<>();
        RegistryName missing = RegistryName.of(reg.host(), "alice", "nothing", "latest");
        RegistryException e = assertThrows(RegistryException.class, () -> registry.push(missing, true, ps::add));
        assertEquals(List.of("retrieving manifest", "couldn't retrieve manifest"), PullTest.statuses(ps));
        assertEquals(404, e.status());
    }
}
