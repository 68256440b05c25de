package io.jollama.engine.tensor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Placeholder pool (replaced by the kernels work): one contiguous chunk per platform thread. */
public final class ComputePool {
    public interface RangeTask { void run(int from, int to); }

    private static final int THREADS = Integer.getInteger("jollama.threads", Runtime.getRuntime().availableProcessors());
    private static final ExecutorService POOL = Executors.newFixedThreadPool(THREADS, r -> {
        Thread t = new Thread(r, "jollama-compute");
        t.setDaemon(true);
        return t;
    });

    private ComputePool() {}

    public static int threads() { return THREADS; }

    public static void parallelFor(int count, RangeTask task) {
        int n = Math.min(THREADS, count);
        if (n <= 1) { task.run(0, count); return; }
        Future<?>[] fs = new Future<?>[n - 1];
        for (int i = 1; i < n; i++) {
            int from = (int) ((long) count * i / n), to = (int) ((long) count * (i + 1) / n);
            fs[i - 1] = POOL.submit(() -> task.run(from, to));
        }
        task.run(0, (int) ((long) count / n));
        try {
            for (Future<?> f : fs) f.get();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
