package io.jollama.server.sched;

import io.jollama.engine.runner.Runner;
import io.jollama.engine.runner.Sequence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Loads models on first use and keeps them for their keep-alive, as Ollama's scheduler does (spec §7.3):
 * <ul>
 *   <li>a loaded model serves up to {@code numParallel} requests at once, each on its own sequence (KV cache);
 *       more wait for a slot;</li>
 *   <li>requests that must wait (for a slot, a load, or an eviction) count against {@code maxQueue}; past it the
 *       request gets 503;</li>
 *   <li>models load one at a time; at {@code maxLoadedModels} the least recently used idle model is evicted;</li>
 *   <li>when its last request ends a model is unloaded after its keep-alive (now if 0, never if negative);
 *       a request's keep_alive becomes the model's (sticky), an absent one keeps the current value;</li>
 *   <li>a model that fails to load is reported to the request and leaves nothing behind.</li>
 * </ul>
 */
public final class Scheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    /** Loads a runner; tests may substitute a slower or failing one. */
    @FunctionalInterface
    public interface Loader {
        Runner load(LoadRequest r, SchedulerSettings s) throws IOException;
    }

    /** Runs a task after a delay: the keep-alive timers (tests run them by hand instead of waiting). */
    @FunctionalInterface
    public interface Timers {
        Future<?> schedule(Runnable task, Duration delay);
    }

    /** A loaded model, as /api/ps shows it. */
    /** @param holder the name of the API key of the request that last took the model (null when keys are off) */
    public record Status(String name, String digest, long size, String gguf, Instant expiresAt, int contextLength, int inUse,
                         String holder) {}

    private final SchedulerSettings settings;
    private final Loader loader;
    private final InstantSource clock;
    private final Timers timers;
    private final Object lock = new Object();
    private final Map<String, Loaded> loaded = new LinkedHashMap<>();
    private final Set<String> loading = new HashSet<>();
    private boolean loadInProgress;
    private int waiting;
    private boolean closed;
    private final java.util.concurrent.ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "jollama-runner");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService timerThread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jollama-keepalive");
        t.setDaemon(true);
        return t;
    });

    public Scheduler(SchedulerSettings settings) {
        this(settings, (r, s) -> {
            Runner runner = Runner.load(r.shards(), r.numCtx(), r.numBatch(), r.mmap(), s.kvCacheType(), r.adapters());
            try {
                if (!r.projectors().isEmpty()) {
                    try {
                        runner.attachVision(r.projectors().getFirst(), r.mmap());
                    } catch (IOException | RuntimeException e) {
                        // the text model still serves text; an image request is answered with this reason
                        System.Logger log = System.getLogger(Scheduler.class.getName());
                        log.log(System.Logger.Level.WARNING, "vision projector of " + r.name() + " not loaded: " + e.getMessage());
                    }
                }
                runner.warmUp();
            } catch (RuntimeException e) {
                runner.close();
                throw e;
            }
            return runner;
        });
    }

    public Scheduler(SchedulerSettings settings, Loader loader) {
        this.settings = settings;
        this.loader = loader;
        this.clock = InstantSource.system();
        this.timers = (task, delay) -> timerThread.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** A scheduler whose keep-alive runs on {@code clock} and {@code timers} (for tests). */
    public Scheduler(SchedulerSettings settings, Loader loader, InstantSource clock, Timers timers) {
        this.settings = settings;
        this.loader = loader;
        this.clock = clock;
        this.timers = timers;
    }

    public SchedulerSettings settings() {
        return settings;
    }

    private final class Loaded {
        final LoadRequest request;
        final Runner runner;
        final ArrayDeque<Sequence> freeSequences = new ArrayDeque<>();
        final List<Sequence> allSequences = new ArrayList<>();
        Duration keepAlive;
        int inUse;
        long lastUsed = System.nanoTime();
        Instant expiresAt;
        Future<?> timer;
        boolean unloadWhenIdle;
        String holder;

        Loaded(LoadRequest request, Runner runner, Duration keepAlive) {
            this.request = request;
            this.runner = runner;
            this.keepAlive = keepAlive;
        }
    }

    /** A slot on a loaded model, held for one request; {@link #close()} gives it back. */
    public final class Lease implements AutoCloseable {
        private final Loaded model;
        private final Sequence sequence;
        private final long loadNanos;
        private boolean closed;

        private Lease(Loaded model, Sequence sequence, long loadNanos) {
            this.model = model;
            this.sequence = sequence;
            this.loadNanos = loadNanos;
        }

        public Runner runner() { return model.runner; }
        public Sequence sequence() { return sequence; }
        /** Nanoseconds this request spent obtaining the runner (waiting and loading). */
        public long loadNanos() { return loadNanos; }

        /**
         * Runs model work on one of the scheduler's platform threads and waits for it. HTTP handlers run on virtual
         * threads; the compute pool hands work back and forth with its caller hundreds of times per token, and a
         * virtual thread pays a rescheduling delay on every hand-back (measured: 20 ms per token instead of 1).
         */
        public <T> T run(java.util.concurrent.Callable<T> work) {
            java.util.concurrent.Future<T> f = workers.submit(work);
            try {
                return f.get();
            } catch (InterruptedException e) {
                f.cancel(true);
                Thread.currentThread().interrupt();
                throw new SchedulerException(SchedulerException.Reason.CANCELLED, "request canceled", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) throw re;
                if (e.getCause() instanceof Error err) throw err;
                throw new SchedulerException(SchedulerException.Reason.FAILED, String.valueOf(e.getCause()), e.getCause());
            }
        }

        @Override
        public void close() {
            synchronized (lock) {
                if (closed) return;
                closed = true;
                release(model, sequence);
            }
        }
    }

    /**
     * Gets a slot on the model, loading it if needed. {@code keepAlive} null keeps the model's current keep-alive.
     * Blocks while the model loads or all its slots are busy; {@code cancelled} is polled while waiting.
     *
     * @throws SchedulerException QUEUE_FULL when too many requests are waiting, LOAD_FAILED when the model fails to
     *                            load, CANCELLED when the request was cancelled while waiting
     */
    public Lease acquire(LoadRequest request, Duration keepAlive, BooleanSupplier cancelled) {
        return acquire(request, keepAlive, cancelled, null);
    }

    /** As {@link #acquire(LoadRequest, Duration, BooleanSupplier)}, for the API key named {@code holder} (/api/ps shows it). */
    public Lease acquire(LoadRequest request, Duration keepAlive, BooleanSupplier cancelled, String holder) {
        long start = System.nanoTime();
        boolean counted = false;
        try {
            while (true) {
                Loaded ready;
                synchronized (lock) {
                    if (closed) throw new SchedulerException(SchedulerException.Reason.SHUTTING_DOWN, "server shutting down", null);
                    Loaded l = loaded.get(request.key());
                    if (l != null && !l.request.sameRunner(request) && l.inUse == 0) {
                        unload(l);
                        l = null;
                    }
                    if (l != null && l.request.sameRunner(request) && l.inUse < settings.numParallel() && !l.unloadWhenIdle) {
                        return take(l, keepAlive, System.nanoTime() - start, holder);
                    }
                    boolean mustLoad = l == null && !loading.contains(request.key()) && !loadInProgress;
                    if (mustLoad && loaded.size() >= settings.maxLoadedModels()) {
                        Loaded victim = loaded.values().stream().filter(x -> x.inUse == 0)
                                .min(Comparator.comparingLong((Loaded x) -> x.lastUsed)).orElse(null);
                        if (victim != null) {
                            log.info("evicting {} to make room for {}", victim.request.name(), request.name());
                            unload(victim);
                        } else {
                            mustLoad = false; // wait for a model to become idle
                        }
                    }
                    if (mustLoad) {
                        loading.add(request.key());
                        loadInProgress = true;
                    } else {
                        if (!counted) {
                            if (waiting >= settings.maxQueue()) {
                                throw new SchedulerException(SchedulerException.Reason.QUEUE_FULL, "server busy, please try again.  maximum pending requests exceeded", null);
                            }
                            waiting++;
                            counted = true;
                        }
                        if (cancelled.getAsBoolean()) throw new SchedulerException(SchedulerException.Reason.CANCELLED, "request canceled", null);
                        try {
                            lock.wait(100);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new SchedulerException(SchedulerException.Reason.CANCELLED, "request canceled", e);
                        }
                        continue;
                    }
                }
                // load outside the lock: other models keep serving meanwhile
                Runner runner;
                try {
                    log.info("loading {} (num_ctx {}, {})", request.name(), request.numCtx(), request.mmap() ? "mapped" : "in memory");
                    runner = loader.load(request, settings);
                } catch (Throwable e) {
                    synchronized (lock) {
                        loading.remove(request.key());
                        loadInProgress = false;
                        lock.notifyAll();
                    }
                    log.warn("loading {} failed: {}", request.name(), e.toString());
                    String msg = e.getMessage() == null ? e.toString() : e.getMessage();
                    if (e instanceof OutOfMemoryError) msg = "model requires more memory than is available: " + msg;
                    throw new SchedulerException(SchedulerException.Reason.LOAD_FAILED, "unable to load model " + request.name() + ": " + msg, e);
                }
                synchronized (lock) {
                    loading.remove(request.key());
                    loadInProgress = false;
                    Loaded l = new Loaded(request, runner, keepAlive != null ? keepAlive : settings.keepAlive());
                    loaded.put(request.key(), l);
                    lock.notifyAll();
                    ready = l;
                    return take(ready, keepAlive, System.nanoTime() - start, holder);
                }
            }
        } finally {
            if (counted) {
                synchronized (lock) {
                    waiting--;
                }
            }
        }
    }

    private Lease take(Loaded l, Duration keepAlive, long waitedNanos, String holder) {
        if (keepAlive != null) l.keepAlive = keepAlive;
        if (holder != null && !holder.equals(l.holder)) {
            log.info("{} taken by key {}", l.request.name(), holder);
            l.holder = holder;
        }
        if (l.timer != null) {
            l.timer.cancel(false);
            l.timer = null;
        }
        l.inUse++;
        l.lastUsed = System.nanoTime();
        Sequence s = l.freeSequences.poll();
        if (s == null) {
            s = l.runner.newSequence();
            l.allSequences.add(s);
        }
        return new Lease(l, s, waitedNanos);
    }

    private void release(Loaded l, Sequence s) {
        l.inUse--;
        l.lastUsed = System.nanoTime();
        l.freeSequences.push(s);
        if (l.inUse == 0) {
            if (l.unloadWhenIdle || l.keepAlive.isZero()) {
                unload(l);
            } else if (KeepAlive.isForever(l.keepAlive)) {
                l.expiresAt = null;
            } else {
                l.expiresAt = clock.instant().plus(l.keepAlive);
                l.timer = timers.schedule(() -> expire(l), l.keepAlive);
            }
        }
        lock.notifyAll();
    }

    private void expire(Loaded l) {
        synchronized (lock) {
            if (l.inUse == 0 && loaded.get(l.request.key()) == l) {
                log.info("keep-alive of {} expired", l.request.name());
                unload(l);
                lock.notifyAll();
            }
        }
    }

    /** Removes a model and frees its memory; only for a model nobody is using. */
    private void unload(Loaded l) {
        loaded.remove(l.request.key());
        if (l.timer != null) l.timer.cancel(false);
        for (Sequence s : l.allSequences) s.close();
        l.runner.close();
        log.info("unloaded {}", l.request.name());
    }

    /**
     * Unloads the model of this file now if it is idle, else as soon as its requests finish
     * ({@code keep_alive: 0} with an empty prompt). Returns whether it was loaded.
     */
    public boolean unload(java.nio.file.Path gguf) {
        return unload(gguf, java.util.List.of());
    }

    /** Unloads the runner of this model file with these adapters. */
    public boolean unload(java.nio.file.Path gguf, java.util.List<java.nio.file.Path> adapters) {
        synchronized (lock) {
            Loaded l = loaded.get(LoadRequest.key(gguf, adapters));
            if (l == null) return false;
            if (l.inUse == 0) unload(l);
            else l.unloadWhenIdle = true;
            lock.notifyAll();
            return true;
        }
    }

    /** Requests waiting for a slot, a load or an eviction (they count against {@code maxQueue}). */
    public int waiting() {
        synchronized (lock) {
            return waiting;
        }
    }

    /** Loaded models, latest expiry first (as /api/ps sorts them). */
    public List<Status> status() {
        synchronized (lock) {
            List<Status> out = new ArrayList<>();
            Instant now = clock.instant();
            for (Loaded l : loaded.values()) {
                Instant exp = KeepAlive.isForever(l.keepAlive) ? now.plus(Duration.ofDays(365L * 292))
                        : l.expiresAt != null && l.inUse == 0 ? l.expiresAt : now.plus(l.keepAlive);
                out.add(new Status(l.request.name(), l.request.digest(), l.request.size(), l.request.key(), exp, l.runner.numCtx(), l.inUse,
                        l.holder));
            }
            out.sort(Comparator.comparing(Status::expiresAt).reversed());
            return out;
        }
    }

    /** True once {@link #close} began: running generations stop, new requests are refused. */
    public boolean closing() {
        return closing;
    }

    private volatile boolean closing; // closed, readable without the lock (checked before every token)

    /** Waits (at most {@code timeout}) until no request holds a slot; true if none does. */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (loaded.values().stream().anyMatch(l -> l.inUse > 0)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    @Override
    public void close() {
        closing = true;
        synchronized (lock) {
            closed = true;
            for (Loaded l : new ArrayList<>(loaded.values())) {
                if (l.inUse == 0) unload(l);
                else l.unloadWhenIdle = true;
            }
            lock.notifyAll();
        }
        timerThread.shutdownNow();
        workers.shutdown();
    }
}
