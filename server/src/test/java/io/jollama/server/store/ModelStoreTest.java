package io.jollama.server.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The store's API as the registry and create use it: blobs, manifests, case resolution, GC with pins. */
class ModelStoreTest {

    @TempDir
    Path root;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Manifest manifestOf(ModelStore store, String... contents) {
        Layer config = store.writeBlob(MediaTypes.CONFIG, b("{}\n"));
        List<Layer> layers = java.util.Arrays.stream(contents).map(c -> store.writeBlob(MediaTypes.SYSTEM, b(c))).toList();
        return Manifest.of(config, layers);
    }

    @Test
    void blobsAreVerifiedBeforeTheyAppear() throws Exception {
        ModelStore store = new ModelStore(root);
        String d = store.writeBlob(new ByteArrayInputStream(b("data")), Digest.of(b("data")));
        assertEquals(Digest.of(b("data")), d);
        assertArrayEquals(b("data"), Files.readAllBytes(store.blobPath(d)));
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(store.blobPath(d))));
        var e = assertThrows(ModelStore.DigestMismatchException.class,
                () -> store.writeBlob(new ByteArrayInputStream(b("other")), Digest.of(b("data2"))));
        assertTrue(e.getMessage().startsWith("digest mismatch, expected \"" + Digest.of(b("data2")) + "\", got \"sha256:"));
        try (var files = Files.list(store.blobsDir())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void commitRefusesAManifestWithAMissingBlob() {
        ModelStore store = new ModelStore(root);
        Manifest m = Manifest.of(store.writeBlob(MediaTypes.CONFIG, b("{}\n")),
                List.of(new Layer(MediaTypes.MODEL, "sha256:" + "a".repeat(64), 1)));
        assertThrows(StoreException.class, () -> store.commitManifest(ModelName.parse("x"), m, true));
        assertTrue(store.find(ModelName.parse("x")).isEmpty());
    }

    @Test
    void pinnedBlobsSurviveGarbageCollection() {
        ModelStore store = new ModelStore(root);
        Manifest m = manifestOf(store, "shared");
        store.commitManifest(ModelName.parse("a"), m, true);
        String shared = m.layers().getFirst().digest();
        try (ModelStore.Lease lease = store.pin(List.of(shared))) {
            assertTrue(store.delete(ModelName.parse("a")));
            assertTrue(store.hasBlob(shared), "pinned by a create in progress");
            assertFalse(store.hasBlob(m.config().digest()), "unpinned and unreferenced");
        }
        // without a pin the same delete collects it
        store.commitManifest(ModelName.parse("b"), manifestOf(store, "shared"), true);
        assertTrue(store.delete(ModelName.parse("b")));
        assertFalse(store.hasBlob(shared));
    }

    @Test
    void replacingATagPrunesItsOldLayersUnlessAskedNotTo() {
        ModelStore store = new ModelStore(root);
        Manifest first = manifestOf(store, "one");
        store.commitManifest(ModelName.parse("t"), first, true);
        store.commitManifest(ModelName.parse("t"), manifestOf(store, "two"), true);
        assertFalse(store.hasBlob(first.layers().getFirst().digest()));
        Manifest third = manifestOf(store, "three");
        store.commitManifest(ModelName.parse("t"), third, true);
        store.commitManifest(ModelName.parse("t"), manifestOf(store, "four"), false);
        assertTrue(store.hasBlob(third.layers().getFirst().digest()), "OLLAMA_NOPRUNE keeps them");
    }

    @Test
    void copyOverAnotherModelPrunesWhatItLeavesUnreferenced() {
        ModelStore store = new ModelStore(root);
        Manifest a = manifestOf(store, "a"), b = manifestOf(store, "b");
        store.commitManifest(ModelName.parse("a"), a, true);
        store.commitManifest(ModelName.parse("b"), b, true);
        assertTrue(store.copy(ModelName.parse("a"), ModelName.parse("b"), true));
        assertFalse(store.hasBlob(b.layers().getFirst().digest()));
        assertTrue(store.hasBlob(a.layers().getFirst().digest()));
        assertFalse(store.copy(ModelName.parse("missing"), ModelName.parse("b"), true));
    }

    @Test
    void namesResolveIgnoringCaseToTheStoredSpelling() {
        ModelStore store = new ModelStore(root);
        store.commitManifest(ModelName.parse("Example/Model:Tag"), manifestOf(store, "x"), true);
        ModelName r = store.resolve(ModelName.parse("example/MODEL:tag"));
        assertEquals("registry.ollama.ai/Example/Model:Tag", r.toString());
        assertEquals(r, store.find(ModelName.parse("EXAMPLE/model:TAG")).orElseThrow().name());
        assertTrue(store.copy(ModelName.parse("example/model:tag"), ModelName.parse("EXAMPLE/MODEL:TAG"), true));
        assertEquals(1, store.list().size());
        assertTrue(Files.isRegularFile(store.manifestPath(ModelName.parse("example/model:tag"))));
    }

    @Test
    void listingReportsBrokenManifestsWithoutFailing() throws Exception {
        ModelStore store = new ModelStore(root);
        store.commitManifest(ModelName.parse("good"), manifestOf(store, "g"), true);
        Path bad = store.manifestsDir().resolve("registry.ollama.ai/library/bad/latest");
        Files.createDirectories(bad.getParent());
        Files.writeString(bad, "{\"schemaVersion\":");
        Path hidden = store.manifestsDir().resolve("registry.ollama.ai/library/.tmp/latest");
        Files.createDirectories(hidden.getParent());
        Files.writeString(hidden, "{}");
        List<ModelStore.Entry> entries = store.list();
        assertEquals(2, entries.size());
        ModelStore.Entry broken = entries.stream().filter(e -> e.model() == null).findFirst().orElseThrow();
        assertEquals("bad:latest", broken.name().displayShortest());
        assertTrue(broken.error().contains("corrupt manifest"), broken.error());
        assertThrows(StoreException.class, () -> store.find(ModelName.parse("bad")));
    }
}
