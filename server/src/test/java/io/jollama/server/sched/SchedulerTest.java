package io.jollama.server.sched;

import io.jollama.engine.TestData;
import io.jollama.engine.runner.Runner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The scheduler on its own: a loader that counts, can hold or fail a load, and loads the tiny stories260K model; a
 * fixed clock and keep-alive timers the test runs by hand. Three names of one file are three models (the scheduler
 * keys runners by path).
 */
class SchedulerTest {

    @TempDir
    Path dir;

    final Instant now = Instant.parse("2026-01-01T00:00:00Z");
    final ManualTimers timers = new ManualTimers();
    final FakeLoader loader = new FakeLoader();
    final ExecutorService clients = Executors.newCachedThreadPool();
    Scheduler scheduler;
    Path a, b, c;

    @BeforeEach
    void models() throws IOException {
        Path stories = TestData.dir().resolve("models/stories260K-f32.gguf").toAbsolutePath();
        a = Files.createSymbolicLink(dir.resolve("a.gguf"), stories);
        b = Files.createSymbolicLink(dir.resolve("b.gguf"), stories);
        c = Files.createSymbolicLink(dir.resolve("c.gguf"), stories);
    }

    @AfterEach
    void close() {
        if (scheduler != null) scheduler.close();
        clients.shutdownNow();
    }

    Scheduler start(int maxLoaded, int parallel, int queue) {
        SchedulerSettings s = SchedulerSettings.defaults().withLimits(maxLoaded, parallel, queue);
        scheduler = new Scheduler(s, loader, InstantSource.fixed(now), timers);
        return scheduler;
    }

    static LoadRequest model(Path gguf) {
        return new LoadRequest(gguf.getFileName().toString(), "sha256:0", gguf, 1, 64, 16, false);
    }

    Scheduler.Lease acquire(Path gguf) {
        return scheduler.acquire(model(gguf), null, () -> false);
    }

    CompletableFuture<Scheduler.Lease> acquireLater(Path gguf, Duration keepAlive, BooleanSupplier cancelled) {
        return CompletableFuture.supplyAsync(() -> scheduler.acquire(model(gguf), keepAlive, cancelled), clients);
    }

    List<String> loadedNames() {
        return scheduler.status().stream().map(Scheduler.Status::name).sorted().toList();
    }

    @Test
    void aModelLoadsOnceAndServesParallelRequestsFromOneRunner() {
        start(3, 2, 10);
        try (Scheduler.Lease first = acquire(a); Scheduler.Lease second = acquire(a)) {
            assertSame(first.runner(), second.runner());
            assertNotSame(first.sequence(), second.sequence(), "each request has its own sequence");
            assertEquals(1, loader.loads.size());
            assertEquals(2, scheduler.status().getFirst().inUse());
        }
        assertEquals(0, scheduler.status().getFirst().inUse());
    }

    @Test
    void requestsWaitForASlotAndAFullQueueIsRefused() throws Exception {
        start(3, 1, 1);
        Scheduler.Lease busy = acquire(a);
        CompletableFuture<Scheduler.Lease> queued = acquireLater(a, null, () -> false);
        waitFor(() -> scheduler.waiting() == 1);

        SchedulerException full = assertThrows(SchedulerException.class, () -> acquire(a));
        assertEquals(SchedulerException.Reason.QUEUE_FULL, full.reason());
        assertEquals("server busy, please try again.  maximum pending requests exceeded", full.getMessage());
        assertFalse(queued.isDone());

        busy.close();
        try (Scheduler.Lease next = queued.get(10, TimeUnit.SECONDS)) {
            assertSame(busy.runner(), next.runner(), "the waiting request gets the freed slot of the same runner");
        }
        assertEquals(0, scheduler.waiting());
        assertEquals(1, loader.loads.size());
    }

    @Test
    void aCancelledWaitLeavesTheQueue() throws Exception {
        start(3, 1, 1);
        try (Scheduler.Lease busy = acquire(a)) {
            AtomicBoolean gone = new AtomicBoolean();
            CompletableFuture<Scheduler.Lease> queued = acquireLater(a, null, gone::get);
            waitFor(() -> scheduler.waiting() == 1);
            gone.set(true);
            ExecutionException e = assertThrows(ExecutionException.class, () -> queued.get(10, TimeUnit.SECONDS));
            SchedulerException cancelled = assertInstanceOf(SchedulerException.class, e.getCause());
            assertEquals(SchedulerException.Reason.CANCELLED, cancelled.reason());
            assertEquals(0, scheduler.waiting());
            // the place in the queue is free again
            CompletableFuture<Scheduler.Lease> next = acquireLater(a, null, () -> false);
            waitFor(() -> scheduler.waiting() == 1);
            busy.close();
            next.get(10, TimeUnit.SECONDS).close();
        }
    }

    @Test
    void requestsForAModelBeingLoadedWaitForThatOneLoad() throws Exception {
        start(3, 2, 10);
        loader.gate = new CountDownLatch(1);
        CompletableFuture<Scheduler.Lease> first = acquireLater(a, null, () -> false);
        waitFor(() -> loader.started.size() == 1);
        CompletableFuture<Scheduler.Lease> second = acquireLater(a, null, () -> false);
        waitFor(() -> scheduler.waiting() == 1);
        loader.gate.countDown();
        try (Scheduler.Lease x = first.get(10, TimeUnit.SECONDS); Scheduler.Lease y = second.get(10, TimeUnit.SECONDS)) {
            assertSame(x.runner(), y.runner());
        }
        assertEquals(1, loader.loads.size());
    }

    @Test
    void theLeastRecentlyUsedIdleModelIsEvictedAndABusyOneIsNot() throws Exception {
        start(2, 1, 10);
        acquire(a).close();
        acquire(b).close();
        acquire(a).close(); // a is now the most recently used
        acquire(c).close();
        assertEquals(List.of("a.gguf", "c.gguf"), loadedNames());

        // with both loaded models busy, a third waits until one is released
        Scheduler.Lease busyA = acquire(a);
        Scheduler.Lease busyC = acquire(c);
        CompletableFuture<Scheduler.Lease> forB = acquireLater(b, null, () -> false);
        waitFor(() -> scheduler.waiting() == 1);
        assertEquals(List.of("a.gguf", "c.gguf"), loadedNames());
        busyC.close();
        forB.get(10, TimeUnit.SECONDS).close();
        assertEquals(List.of("a.gguf", "b.gguf"), loadedNames());
        busyA.close();
        assertEquals(List.of("a.gguf", "b.gguf", "c.gguf", "b.gguf"), loader.names());
    }

    @Test
    void anIdleModelIsUnloadedWhenItsKeepAliveRunsOut() {
        start(3, 1, 10);
        try (Scheduler.Lease l = acquire(a)) {
            assertTrue(timers.pending().isEmpty(), "no timer while the model is in use");
        }
        assertEquals(List.of(Duration.ofMinutes(5)), timers.delays(), "the server's default keep-alive");
        assertEquals(now.plus(Duration.ofMinutes(5)), scheduler.status().getFirst().expiresAt());

        // a new request before expiry cancels the timer
        acquire(a).close();
        assertEquals(1, timers.pending().size());
        timers.runPending();
        assertEquals(List.of(), loadedNames());
        assertEquals(2, timers.tasks.size());
    }

    @Test
    void aRequestsKeepAliveSticksToTheModel() {
        start(3, 1, 10);
        scheduler.acquire(model(a), Duration.ofHours(1), () -> false).close();
        acquire(a).close(); // no keep_alive: the model keeps its hour
        assertEquals(Duration.ofHours(1), timers.pending().getFirst().delay);

        scheduler.acquire(model(a), KeepAlive.FOREVER, () -> false).close();
        assertTrue(timers.pending().isEmpty(), "forever: no timer");
        assertEquals(List.of("a.gguf"), loadedNames());

        scheduler.acquire(model(a), Duration.ZERO, () -> false).close();
        assertEquals(List.of(), loadedNames(), "keep_alive 0: unloaded as soon as the request ends");
    }

    @Test
    void unloadWaitsForTheRequestsOfABusyModel() {
        start(3, 1, 10);
        Scheduler.Lease busy = acquire(a);
        assertTrue(scheduler.unload(a));
        assertEquals(List.of("a.gguf"), loadedNames());
        busy.close();
        assertEquals(List.of(), loadedNames());
        assertFalse(scheduler.unload(a));
    }

    @Test
    void aModelThatFailsToLoadLeavesNothingBehind() {
        start(3, 1, 10);
        loader.failure = new IOException("not a GGUF file");
        SchedulerException e = assertThrows(SchedulerException.class, () -> acquire(a));
        assertEquals(SchedulerException.Reason.LOAD_FAILED, e.reason());
        assertEquals("unable to load model a.gguf: not a GGUF file", e.getMessage());
        assertEquals(List.of(), loadedNames());
        assertEquals(0, scheduler.waiting());
        acquire(a).close();
        assertEquals(List.of("a.gguf"), loadedNames());
    }

    @Test
    void otherLoadOptionsReloadTheRunnerOnceItIsIdle() {
        start(3, 1, 10);
        Runner first;
        try (Scheduler.Lease l = acquire(a)) {
            first = l.runner();
        }
        LoadRequest longer = new LoadRequest("a.gguf", "sha256:0", a, 1, 128, 16, false);
        try (Scheduler.Lease l = scheduler.acquire(longer, null, () -> false)) {
            assertNotSame(first, l.runner());
            assertEquals(128, l.runner().numCtx());
        }
        assertEquals(1, scheduler.status().size());
    }

    static void waitFor(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("condition not reached");
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Loads the real tiny model; records the loads; can hold a load until {@code gate} opens, or fail it. */
    static final class FakeLoader implements Scheduler.Loader {
        final List<LoadRequest> started = Collections.synchronizedList(new ArrayList<>());
        final List<LoadRequest> loads = Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch gate;
        volatile IOException failure;

        @Override
        public Runner load(LoadRequest r, SchedulerSettings s) throws IOException {
            started.add(r);
            if (gate != null) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            IOException f = failure;
            if (f != null) {
                failure = null;
                throw f;
            }
            loads.add(r);
            return Runner.load(r.gguf(), r.numCtx(), r.numBatch(), r.mmap(), s.kvCacheType());
        }

        List<String> names() {
            synchronized (loads) {
                return loads.stream().map(LoadRequest::name).toList();
            }
        }
    }

    /** Keep-alive timers that fire only when the test runs them. */
    static final class ManualTimers implements Scheduler.Timers {
        record Task(FutureTask<Void> future, Duration delay) {}

        final List<Task> tasks = Collections.synchronizedList(new ArrayList<>());

        @Override
        public Future<?> schedule(Runnable task, Duration delay) {
            FutureTask<Void> f = new FutureTask<>(task, null);
            tasks.add(new Task(f, delay));
            return f;
        }

        List<Task> pending() {
            synchronized (tasks) {
                return tasks.stream().filter(t -> !t.future.isDone()).toList();
            }
        }

        List<Duration> delays() {
            return pending().stream().map(Task::delay).toList();
        }

        void runPending() {
            for (Task t : pending()) t.future.run();
        }
    }
}
