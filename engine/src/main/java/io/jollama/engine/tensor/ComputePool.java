package io.jollama.engine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The compute threads: a fixed set of platform daemon threads, one contiguous range of work each.
 * Never the common pool and never virtual threads: kernels run for milliseconds on a core, and a
 * virtual-thread carrier or the common pool would be shared with unrelated work.
 * <p>
 * Idle workers spin briefly (a decode step issues hundreds of matvecs back to back, so a park/unpark
 * round trip per call would be a visible cost), then park. A platform-thread caller (the engine's own runner
 * thread) runs the first chunk itself and spins for the others, so a decode step's hundreds of products cost no
 * park/unpark round trip; a virtual-thread caller does not, since its carrier must not be held for milliseconds of
 * compute. One {@link #parallelFor} runs at a time; concurrent callers queue on a lock, and a call made from a pool
 * thread runs inline.
 */
public final class ComputePool {

    /** A piece of work over the index range [from, to). */
    public interface RangeTask {
        void run(int from, int to);
    }

    private static final int THREADS = configuredThreads();
    /**
     * How long an idle worker spins before parking: long enough to catch the next matvec of a decode step, short
     * enough not to steal the core from the caller's own work between calls (on a 2-core machine every spinning
     * thread competes with it).
     */
    private static final long WORKER_SPIN_NANOS = 20_000;
    /** The caller waits for whole chunks, so it parks almost at once and leaves the cores to the workers. */
    private static final long CALLER_SPIN_NANOS = 2_000;
    /** A caller that ran its own chunk: the others finish at about the same time, so it waits by spinning. */
    private static final long JOINED_SPIN_NANOS = 200_000;

    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final Worker[] WORKERS = new Worker[THREADS];
    private static final AtomicInteger PENDING = new AtomicInteger();
    private static volatile Thread waiter;
    private static volatile Throwable failure;

    static {
        for (int i = 0; i < THREADS; i++) {
            WORKERS[i] = new Worker(i);
            WORKERS[i].thread.start();
        }
    }

    private ComputePool() {}

    private static int configuredThreads() {
        String p = System.getProperty("jollama.threads");
        if (p == null || p.isBlank()) return Math.max(1, Runtime.getRuntime().availableProcessors());
        try {
            int n = Integer.parseInt(p.trim());
            if (n >= 1 && n <= 1024) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the error
        }
        throw new IllegalArgumentException("-Djollama.threads must be a whole number from 1 to 1024, got '" + p + "'");
    }

    /** The number of compute threads. */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code task} over [0, count), split into one contiguous chunk per thread (fewer if count is smaller),
     * and returns when every chunk is done. An exception thrown by a chunk is rethrown here.
     */
    public static void parallelFor(int count, RangeTask task) {
        if (count <= 0) return;
        // a chunk that calls parallelFor again (on a worker, or on the caller running its own chunk) runs it inline
        if (count == 1 || Thread.currentThread() instanceof WorkerThread || LOCK.isHeldByCurrentThread()) {
            task.run(0, count);
            return;
        }
        int parts = Math.min(THREADS, count);
        boolean joins = !Thread.currentThread().isVirtual();
        LOCK.lock();
        try {
            failure = null;
            waiter = Thread.currentThread();
            int first = joins ? 1 : 0;
            PENDING.set(parts - first);
            for (int i = first; i < parts; i++) {
                int from = (int) ((long) count * i / parts);
                int to = (int) ((long) count * (i + 1) / parts);
                WORKERS[i].assign(task, from, to);
            }
            if (joins) {
                try {
                    task.run(0, (int) ((long) count / parts));
                } catch (Throwable t) {
                    failure = t;
                }
            }
            long start = System.nanoTime();
            long spin = joins ? JOINED_SPIN_NANOS : CALLER_SPIN_NANOS;
            while (PENDING.get() != 0) {
                if (System.nanoTime() - start < spin) Thread.onSpinWait();
                else LockSupport.park(ComputePool.class);
            }
            waiter = null;
            Throwable t = failure;
            failure = null;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        } finally {
            LOCK.unlock();
        }
    }

    private static final class WorkerThread extends Thread {
        WorkerThread(Runnable r, String name) {
            super(null, r, name);
        }
    }

    private static final class Worker implements Runnable {
        final Thread thread;
        private volatile long seq;   // bumped for each new assignment
        private RangeTask task;      // published by the volatile write of seq
        private int from, to;

        Worker(int index) {
            thread = new WorkerThread(this, "jollama-compute-" + index);
            thread.setDaemon(true);
        }

        void assign(RangeTask task, int from, int to) {
            this.task = task;
            this.from = from;
            this.to = to;
            seq = seq + 1;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long start = System.nanoTime();
                while (seq == seen) {
                    if (System.nanoTime() - start < WORKER_SPIN_NANOS) Thread.onSpinWait();
                    else LockSupport.park(this);
                }
                seen = seq;
                try {
                    task.run(from, to);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    task = null;
                    if (PENDING.decrementAndGet() == 0) LockSupport.unpark(waiter);
                }
            }
        }
    }
}
