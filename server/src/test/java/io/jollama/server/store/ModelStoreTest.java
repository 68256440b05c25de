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
        var e = assertThrows(Blobs.DigestMismatchException.class,
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
        try (ModelStore.Pin lease = store.pin(List.of(shared))) {
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
    void aBlobSparedBecauseItWasPinnedIsCollectedWhenThePinIsReleased() {
        // the create/delete race: a create pins its layers and commits its manifest; a delete of that very model runs
        // before the create releases its lease, so its GC must spare the pinned layers; once the lease is released
        // nothing references them any more and they must not be left behind
        ModelStore store = new ModelStore(root);
        Manifest m = manifestOf(store, "only here");
        String system = m.layers().getFirst().digest();
        try (ModelStore.Pin lease = store.pin(m.digests())) {
            store.commitManifest(ModelName.parse("a"), m, true);
            assertTrue(store.delete(ModelName.parse("a")));
            assertTrue(store.hasBlob(system), "still pinned");
        }
        assertFalse(store.hasBlob(system), "unreferenced once the pin is gone");
        assertFalse(store.hasBlob(m.config().digest()));
    }

    @Test
    void releasingAPinNeverRemovesABlobThatIsStillReferencedOrPinned() {
        ModelStore store = new ModelStore(root);
        Manifest m = manifestOf(store, "shared");
        String shared = m.layers().getFirst().digest();
        store.commitManifest(ModelName.parse("a"), m, true);
        ModelStore.Pin outer = store.pin(List.of(shared));
        try (ModelStore.Pin lease = store.pin(m.digests())) {
            assertTrue(store.delete(ModelName.parse("a")));
            store.commitManifest(ModelName.parse("b"), m, true); // referenced again before the pins go
        }
        outer.close();
        assertTrue(store.hasBlob(shared), "referenced by b");
        ModelStore.Pin again = store.pin(List.of(shared));
        assertTrue(store.delete(ModelName.parse("b")));
        ModelStore.Pin other = store.pin(List.of(shared));
        again.close();
        assertTrue(store.hasBlob(shared), "another lease still pins it");
        other.close();
        other.close(); // closing twice releases once
        assertFalse(store.hasBlob(shared));
    }

    @Test
    void aPinDoesNotMakeAnUnreferencedUploadDisappear() throws Exception {
        // an uploaded blob no manifest ever referenced is left alone when a create that pinned it gives up (as Ollama
        // keeps uploads until the start-up prune); only blobs a manifest change left unreferenced are collected
        ModelStore store = new ModelStore(root);
        String upload = store.writeBlob(new ByteArrayInputStream(b("GGUF upload")), null);
        store.pin(List.of(upload)).close();
        assertTrue(store.hasBlob(upload));
    }

    @Test
    void aLeaseFindsAModelAndPinsItsBlobsInOneStep() throws Exception {
        ModelStore store = new ModelStore(root);
        Manifest m = manifestOf(store, "base");
        store.commitManifest(ModelName.parse("base"), m, true);
        try (ModelStore.Pin lease = store.pin(List.of())) {
            assertTrue(lease.pinModel(ModelName.parse("missing")).isEmpty());
            StoredModel base = lease.pinModel(ModelName.parse("BASE")).orElseThrow();
            assertEquals(m, base.manifest());
            assertTrue(store.delete(ModelName.parse("base")));
            for (String d : m.digests()) assertTrue(store.hasBlob(d), "pinned by the lease: " + d);

            Path tmp = Files.createTempFile(store.blobsDir(), "tmp-", ".part");
            Files.write(tmp, b("quantized"));
            String adopted = lease.adoptBlob(tmp);
            assertEquals(Digest.of(b("quantized")), adopted);
            assertFalse(Files.exists(tmp));
            Manifest q = Manifest.of(m.config(), List.of(new Layer(MediaTypes.MODEL, adopted, 9)));
            store.commitManifest(ModelName.parse("q"), q, true);
            assertTrue(store.delete(ModelName.parse("q")));
            assertTrue(store.hasBlob(adopted), "pinned from the moment it appeared");
        }
        try (var files = Files.list(store.blobsDir())) {
            assertEquals(List.of(), files.toList(), "all collected once the lease is released");
        }
        ModelStore.Pin closed = store.pin(List.of());
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.add(Digest.of(b("x"))));
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
        List<Manifests.Entry> entries = store.list();
        assertEquals(2, entries.size());
        Manifests.Entry broken = entries.stream().filter(e -> e.model() == null).findFirst().orElseThrow();
        assertEquals("bad:latest", broken.name().displayShortest());
        assertTrue(broken.error().contains("corrupt manifest"), broken.error());
        assertThrows(StoreException.class, () -> store.find(ModelName.parse("bad")));
    }
}
