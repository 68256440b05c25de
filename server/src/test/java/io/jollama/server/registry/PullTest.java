package io.jollama.server.registry;

import io.jollama.server.Progress;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PullTest {

    static final BlobDownloader.Options SMALL_PARTS =
            new BlobDownloader.Options(16 * 1024, 16 * 1024, 16, 3, Duration.ofMillis(5), Duration.ofSeconds(5));

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
        storage = new DirectoryStorage(dir);
        registry = new Registry(storage, RequestSigner.NONE, Registry.Options.defaults().withDownload(SMALL_PARTS));
        weights = new byte[200_000];
        new Random(42).nextBytes(weights);
        config = "{\"model_format\":\"gguf\",\"model_family\":\"test\"}\n".getBytes();
        manifest = reg.publish("library/tiny", "latest", config, weights);
        name = RegistryName.of(reg.host(), "library", "tiny", "latest");
    }

    @AfterEach
    void tearDown() {
        reg.close();
    }

    List<Progress> pull(RegistryName n) {
        List<Progress> out = Collections.synchronizedList(new ArrayList<>());
        registry.pull(n, true, out::add);
        return out;
    }

    static List<String> statuses(List<Progress> ps) {
        List<String> s = new ArrayList<>();
        for (Progress p : ps) if (s.isEmpty() || !s.getLast().equals(p.status())) s.add(p.status());
        return s;
    }

    @Test
    void pullsThroughBearerChallengeAndCdnRedirectInRangedParts() throws Exception {
        reg.requireAuth = true;
        List<Progress> ps = pull(name);

        String wHex = TestRegistry.digest(weights).substring(7, 19);
        String cHex = TestRegistry.digest(config).substring(7, 19);
        assertEquals(List.of("pulling manifest", "pulling " + wHex, "pulling " + cHex, "verifying sha256 digest",
                "writing manifest", "success"), statuses(ps));
        Progress lastWeights = ps.stream().filter(p -> p.status().equals("pulling " + wHex)).toList().getLast();
        assertEquals(new Progress("pulling " + wHex, TestRegistry.digest(weights), weights.length, weights.length),
                lastWeights);

        assertArrayEquals(manifest, storage.readManifest(name).orElseThrow(), "manifest stored byte for byte");
        assertArrayEquals(weights, Files.readAllBytes(storage.blobPath(TestRegistry.digest(weights))));
        assertArrayEquals(config, Files.readAllBytes(storage.blobPath(TestRegistry.digest(config))));
        assertEquals(Set.of(Digests.fileName(TestRegistry.digest(weights)), Digests.fileName(TestRegistry.digest(config))),
                storage.blobFiles(), "no partial files left behind");

        assertEquals(RegistryClient.MANIFEST_V2, reg.lastAccept);
        assertTrue(reg.tokenRequests.get() >= 1, "token endpoint used");
        assertTrue(reg.lastUserAgent.startsWith("ollama/"), reg.lastUserAgent);
        // 200 000 bytes in 16 KiB parts: 13 ranged requests, none overlapping
        assertTrue(reg.rangeHeaders.contains("bytes=0-16383"), reg.rangeHeaders.toString());
        assertTrue(reg.rangeHeaders.contains("bytes=196608-199999"), reg.rangeHeaders.toString());
        assertEquals(weights.length + config.length, reg.bytesServed.get());
    }

    @Test
    void tokenRequestIsSignedWithTheOllamaKey() throws Exception {
        reg.requireAuth = true;
        OllamaKey key = OllamaKey.loadOrCreate(dir.resolve("id_ed25519"));
        registry = new Registry(storage, key, Registry.Options.defaults().withDownload(SMALL_PARTS));
        pull(name);
        assertTrue(reg.lastTokenAuthorization.startsWith(key.publicKeyBase64() + ":"), reg.lastTokenAuthorization);
        assertTrue(reg.tokenSignatureValid, "signature verifies over GET,<token url>,<hash>");
    }

    @Test
    void secondPullSkipsPresentLayers() {
        pull(name);
        reg.resetCounters();
        List<Progress> ps = pull(name);
        assertEquals(0, reg.bytesServed.get());
        String wHex = TestRegistry.digest(weights).substring(7, 19);
        assertEquals(List.of(new Progress("pulling " + wHex, TestRegistry.digest(weights), weights.length, weights.length)),
                ps.stream().filter(p -> p.status().equals("pulling " + wHex)).toList());
    }

    @Test
    void unknownModelIsNotFound() throws Exception {
        List<Progress> ps = new ArrayList<>();
        RegistryException e = assertThrows(RegistryException.class,
                () -> registry.pull(RegistryName.of(reg.host(), "library", "nope", "latest"), true, ps::add));
        assertEquals(404, e.status());
        assertEquals("pull model manifest: file does not exist", e.getMessage());
        assertEquals(List.of(Progress.status("pulling manifest")), ps);
        assertEquals(Set.of(), storage.blobFiles());
    }

    @Test
    void droppedConnectionKeepsPartialDataAndTheNextPullResumes() throws Exception {
        reg.failAfterBytes = 90_000; // the registry "goes down" after serving 90 kB
        RegistryException e = assertThrows(RegistryException.class, () -> pull(name));
        assertFalse(e.getMessage().isBlank());
        assertFalse(Files.exists(storage.blobPath(TestRegistry.digest(weights))), "no unverified blob visible");
        assertTrue(storage.readManifest(name).isEmpty(), "no manifest written");
        String partial = Digests.fileName(TestRegistry.digest(weights)) + "-partial";
        assertTrue(storage.blobFiles().contains(partial), storage.blobFiles().toString());
        assertTrue(storage.blobFiles().contains(partial + "-0"), storage.blobFiles().toString());
        long firstRun = reg.bytesServed.get();

        reg.failAfterBytes = -1;
        reg.resetCounters();
        // a fresh instance, as after a server restart: all it knows is on disk
        registry = new Registry(storage, RequestSigner.NONE, Registry.Options.defaults().withDownload(SMALL_PARTS));
        pull(name);
        long secondRun = reg.bytesServed.get();
        assertTrue(secondRun < weights.length, "resumed: fetched " + secondRun + " of " + weights.length);
        assertTrue(firstRun + secondRun <= weights.length + config.length + 16 * 1024,
                "first " + firstRun + " + second " + secondRun);
        assertArrayEquals(weights, Files.readAllBytes(storage.blobPath(TestRegistry.digest(weights))));
        assertArrayEquals(manifest, storage.readManifest(name).orElseThrow());
        assertFalse(storage.blobFiles().contains(partial));
    }

    @Test
    void cancelledPullResumesFromItsPartialFile() throws Exception {
        reg.slowMillisPer8k = 100; // about 0.8 s per 64 KiB part: the cancel lands long before the end
        registry = new Registry(storage, RequestSigner.NONE, Registry.Options.defaults().withDownload(
                new BlobDownloader.Options(64 * 1024, 64 * 1024, 16, 3, Duration.ofMillis(5), Duration.ofSeconds(5))));
        // the consumer throws once enough arrived, as a closed client connection does
        RuntimeException gone = new RuntimeException("client went away");
        assertThrows(RuntimeException.class, () -> registry.pull(name, true, p -> {
            if (p.completed() > 60_000 && p.completed() < p.total()) throw gone;
        }));
        String partial = Digests.fileName(TestRegistry.digest(weights)) + "-partial";
        // the download stops shortly after its last waiter left
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long served;
        do {
            served = reg.bytesServed.get();
            Thread.sleep(200);
        } while (served != reg.bytesServed.get() && System.nanoTime() < deadline);
        assertTrue(served < weights.length, "stopped early: " + served);
        assertTrue(storage.blobFiles().contains(partial), storage.blobFiles().toString());

        reg.slowMillisPer8k = 0;
        reg.resetCounters();
        pull(name);
        assertTrue(reg.bytesServed.get() < weights.length, "resumed: " + reg.bytesServed.get());
        assertArrayEquals(weights, Files.readAllBytes(storage.blobPath(TestRegistry.digest(weights))));
    }

    @Test
    void stalledPartIsRestartedWithoutUsingUpAttempts() throws Exception {
        reg.stallsLeft.set(4); // more stalls than attempts (3): they must not count
        registry = new Registry(storage, RequestSigner.NONE, Registry.Options.defaults().withDownload(
                new BlobDownloader.Options(64 * 1024, 64 * 1024, 16, 3, Duration.ofMillis(5), Duration.ofMillis(400))));
        long t0 = System.nanoTime();
        pull(name);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "did not wait for the silent server");
        assertArrayEquals(weights, Files.readAllBytes(storage.blobPath(TestRegistry.digest(weights))));
    }

    @Test
    void expiredCdnUrlIsReplacedByAFreshOne() throws Exception {
        reg.expireUrlsAtBytes = 50_000;
        pull(name);
        assertEquals(1, reg.urlGeneration.get());
        assertEquals(2, reg.requests.stream().filter(r -> r.startsWith("GET /v2/library/tiny/blobs/sha256:"
                + TestRegistry.digest(weights).substring(7))).count(), "asked the registry again once");
        assertArrayEquals(weights, Files.readAllBytes(storage.blobPath(TestRegistry.digest(weights))));
    }

    @Test
    void unreadablePartStateStartsTheBlobOver() throws Exception {
        reg.failAfterBytes = 90_000;
        assertThrows(RegistryException.class, () -> pull(name));
        String partial = Digests.fileName(TestRegistry.digest(weights)) + "-partial";
        Files.writeString(storage.blobsDir().resolve(partial + "-0"), "{\"N\":0,\"Off"); // torn write
        reg.failAfterBytes = -1;
        reg.resetCounters();
        pull(name);
        assertEquals(weights.length + config.length, reg.bytesServed.get(), "downloaded again from the start");
        assertArrayEquals(weights, Files.readAllBytes(storage.blobPath(TestRegistry.digest(weights))));
        assertFalse(storage.blobFiles().stream().anyMatch(f -> f.contains("partial")), storage.blobFiles().toString());
    }

    @Test
    void manifestRedirectIsFollowed() throws Exception {
        reg.redirectManifests = true;
        pull(name);
        assertArrayEquals(manifest, storage.readManifest(name).orElseThrow());
    }

    @Test
    void corruptBlobIsRejectedAndNothingBecomesVisible() throws Exception {
        reg.corrupt = true;
        RegistryException e = assertThrows(RegistryException.class, () -> pull(name));
        assertTrue(e.getMessage().startsWith("digest mismatch, file must be downloaded again: want "
                + TestRegistry.digest(weights) + ", got sha256:"), e.getMessage());
        assertEquals(Set.of(), storage.blobFiles(), "bad data removed");
        assertTrue(storage.readManifest(name).isEmpty());

        reg.corrupt = false;
        pull(name); // and a clean second attempt works
        assertArrayEquals(weights, Files.readAllBytes(storage.blobPath(TestRegistry.digest(weights))));
    }

    @Test
    void concurrentPullsShareOneDownload() throws Exception {
        reg.slowMillisPer8k = 5;
        CompletableFuture<List<Progress>> a = CompletableFuture.supplyAsync(() -> pull(name));
        CompletableFuture<List<Progress>> b = CompletableFuture.supplyAsync(() -> pull(name));
        List<Progress> pa = a.get(60, TimeUnit.SECONDS);
        List<Progress> pb = b.get(60, TimeUnit.SECONDS);
        assertEquals("success", pa.getLast().status());
        assertEquals("success", pb.getLast().status());
        assertEquals(weights.length + config.length, reg.bytesServed.get(), "each byte fetched once");
        assertArrayEquals(weights, Files.readAllBytes(storage.blobPath(TestRegistry.digest(weights))));
    }

    @Test
    void notEnoughDiskSpaceFailsBeforeWritingAnything() throws Exception {
        registry = new Registry(storage, RequestSigner.NONE,
                Registry.Options.defaults().withDownload(SMALL_PARTS).withFreeSpace(p -> 1000));
        RegistryException e = assertThrows(RegistryException.class, () -> pull(name));
        assertTrue(e.getMessage().startsWith("not enough disk space to pull this model: it needs 200.0 KB but only 1.0 KB"),
                e.getMessage());
        assertEquals(Set.of(), storage.blobFiles());
        assertTrue(storage.readManifest(name).isEmpty());
        assertEquals(0, reg.bytesServed.get());
    }

    @Test
    void registryServingBytesItselfWorksToo() throws Exception {
        reg.redirectBlobs = false;
        reg.requireAuth = true;
        pull(name);
        assertArrayEquals(weights, Files.readAllBytes(storage.blobPath(TestRegistry.digest(weights))));
    }

    @Test
    void pullOverAnExistingTagRemovesUnusedLayers() throws Exception {
        pull(name);
        byte[] newWeights = "new weights".getBytes();
        reg.publish("library/tiny", "latest", config, newWeights);
        List<Progress> ps = pull(name);
        assertTrue(statuses(ps).contains("removing unused layers"), statuses(ps).toString());
        assertFalse(Files.exists(storage.blobPath(TestRegistry.digest(weights))));
        assertTrue(Files.exists(storage.blobPath(TestRegistry.digest(newWeights))));
    }

    @Test
    void plainHttpNeedsInsecure() {
        RegistryName http = new RegistryName("http", reg.host(), "library", "tiny", "latest");
        RegistryException e = assertThrows(RegistryException.class, () -> registry.pull(http, false, p -> {}));
        assertEquals("insecure protocol http", e.getMessage());
    }

    @Test
    void unreachableRegistryIsAClearError() {
        RegistryName n = RegistryName.of("127.0.0.1:1", "library", "tiny", "latest");
        RegistryException e = assertThrows(RegistryException.class, () -> registry.pull(n, true, p -> {}));
        assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
        assertNotNull(e.getMessage());
    }
}
