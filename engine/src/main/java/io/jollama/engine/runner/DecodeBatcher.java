package io.jollama.engine.runner;

import io.jollama.engine.model.KvCache;
import io.jollama.engine.model.Model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Batched decoding: the sequences of one model that are generating at the same time hand their next token to this
 * batcher, which runs them as one forward pass ({@link Model#forwardEach}), so the weights are read
 * once per step for all of them. Each sequence's logits are exactly what a pass of its token alone gives.
 * <p>
 * A step waits until every sequence in its decode loop has handed in its token, or at most {@link #GATHER_NANOS}
 * (a sequence may be busy writing to a slow client): the others never wait long for it.
 */
final class DecodeBatcher {
    /** How long a step waits for the decoding sequences that have not handed in their token yet. */
    static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final Model model;
    private final Executor engine;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final List<Step> pending = new ArrayList<>();
    private int decoding;
    private boolean scheduled;
    private long steps, tokens;

    DecodeBatcher(Model model, Executor engine) {
        this.model = model;
        this.engine = engine;
    }

    /** A sequence starts its decode loop: steps wait for its token too. */
    void enter() {
        lock.lock();
        try {
            decoding++;
        } finally {
            lock.unlock();
        }
    }

    /** A sequence left its decode loop. */
    void leave() {
        lock.lock();
        try {
            decoding--;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Steps run and tokens decoded so far (tokens / steps is the mean batch size). */
    long[] stats() {
        lock.lock();
        try {
            return new long[]{steps, tokens};
        } finally {
            lock.unlock();
        }
    }

    /** Puts {@code token} at position {@code pos} of {@code cache} and returns its logits, batched with the other sequences' tokens. */
    float[] step(KvCache cache, int token, int pos) {
        Step s = new Step(cache, token, pos);
        lock.lock();
        try {
            pending.add(s);
            if (!scheduled) {
                scheduled = true;
                engine.execute(this::runStep);
            }
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        return s.await();
    }

    /** On the engine thread. */
    private void runStep() {
        List<Step> batch;
        lock.lock();
        try {
            long wait = GATHER_NANOS;
            while (pending.size() < decoding && wait > 0) {
                try {
                    wait = arrived.awaitNanos(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            batch = new ArrayList<>(pending);
            pending.clear();
            scheduled = false;
            steps++;
            tokens += batch.size();
        } finally {
            lock.unlock();
        }
        int n = batch.size();
        KvCache[] caches = new KvCache[n];
        int[] toks = new int[n], pos = new int[n];
        for (int i = 0; i < n; i++) {
            caches[i] = batch.get(i).cache;
            toks[i] = batch.get(i).token;
            pos[i] = batch.get(i).pos;
        }
        try {
            float[] logits = model.forwardEach(caches, toks, pos);
            int vocab = logits.length / n;
            if (n == 1) batch.get(0).done(logits, null);   // one sequence decoding: its logits as they are, no copy
            else for (int i = 0; i < n; i++) batch.get(i).done(java.util.Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab), null);
        } catch (Throwable t) {
            for (Step s : batch) s.done(null, t);
        }
    }

    private static final class Step {
        final KvCache cache;
        final int token, pos;
        private float[] logits;
        private Throwable error;
        private boolean finished;

        Step(KvCache cache, int token, int pos) {
            this.cache = cache;
            this.token = token;
            this.pos = pos;
        }

        synchronized void done(float[] logits, Throwable error) {
            this.logits = logits;
            this.error = error;
            finished = true;
            notifyAll();
        }

        /** Waits for the step even if interrupted (the engine is using this sequence's cache until then). */
        synchronized float[] await() {
            boolean interrupted = false;
            while (!finished) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            if (error instanceof RuntimeException re) throw re;
            if (error instanceof Error e) throw e;
            if (error != null) throw new IllegalStateException(error);
            return logits;
        }
    }
}
