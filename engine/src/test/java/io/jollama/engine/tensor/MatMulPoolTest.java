package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ComputePool}: contiguous chunks, platform daemon threads, errors, nesting, and concurrent callers. */
class MatMulPoolTest {

    record Chunk(int from, int to, Thread thread) {}

    @Test
    void splitsTheRangeIntoOneContiguousChunkPerThread() {
        for (int count : new int[]{2, 3, 37, 1000}) {
            List<Chunk> chunks = Collections.synchronizedList(new ArrayList<>());
            ComputePool.parallelFor(count, (from, to) -> chunks.add(new Chunk(from, to, Thread.currentThread())));
            List<Chunk> sorted = new ArrayList<>(chunks);
            sorted.sort((a, b) -> Integer.compare(a.from, b.from));
            assertEquals(Math.min(count, ComputePool.threads()), sorted.size(), "chunks for " + count);
            int next = 0;
            for (Chunk c : sorted) {
                assertEquals(next, c.from);
                assertTrue(c.to > c.from);
                next = c.to;
                assertFalse(c.thread.isVirtual(), "ran on a virtual thread");
                // a platform-thread caller runs the first chunk itself, the compute threads the others
                if (c.from == 0) {
                    assertSame(Thread.currentThread(), c.thread);
                } else {
                    assertTrue(c.thread.isDaemon());
                    assertTrue(c.thread.getName().startsWith("jollama-compute-"), c.thread.getName());
                }
            }
            assertEquals(count, next);
        }
        assertTrue(ComputePool.threads() >= 1);
    }

    @Test
    void aVirtualThreadCallerRunsNoChunkItself() throws Exception {
        List<Chunk> chunks = Collections.synchronizedList(new ArrayList<>());
        Thread caller = Thread.ofVirtual().start(() -> ComputePool.parallelFor(100, (from, to) -> chunks.add(new Chunk(from, to, Thread.currentThread()))));
        caller.join();
        assertEquals(Math.min(100, ComputePool.threads()), chunks.size());
        for (Chunk c : chunks) {
            assertFalse(c.thread.isVirtual(), "ran on a virtual thread");
            assertTrue(c.thread.getName().startsWith("jollama-compute-"), c.thread.getName());
        }
    }

    @Test
    void zeroIsANoOpAndOneRunsInline() {
        ComputePool.parallelFor(0, (from, to) -> { throw new AssertionError("ran"); });
        Thread[] ran = new Thread[1];
        ComputePool.parallelFor(1, (from, to) -> ran[0] = Thread.currentThread());
        assertSame(Thread.currentThread(), ran[0]);
    }

    @Test
    void anExceptionInAChunkReachesTheCallerAndThePoolKeepsWorking() {
        var e = assertThrows(IllegalStateException.class, () -> ComputePool.parallelFor(10, (from, to) -> {
            if (from == 0) throw new IllegalStateException("boom");
        }));
        assertEquals("boom", e.getMessage());
        int[] sum = new int[1];
        ComputePool.parallelFor(10, (from, to) -> { synchronized (sum) { sum[0] += to - from; } });
        assertEquals(10, sum[0]);
    }

    @Test
    void aNestedCallRunsInlineInsteadOfDeadlocking() {
        int[] inner = new int[1];
        ComputePool.parallelFor(4, (from, to) -> ComputePool.parallelFor(5, (a, b) -> { synchronized (inner) { inner[0] += b - a; } }));
        assertEquals(5 * Math.min(4, ComputePool.threads()), inner[0]);
    }

    @Test
    void concurrentCallersFromVirtualThreadsGetTheirOwnResults() throws Exception {
        Tensor w = MatMulTest.randomTensor(GgmlType.Q4_K, 300, 512, 9);
        float[][] xs = new float[8][];
        float[][] expected = new float[8][300];
        for (int i = 0; i < 8; i++) {
            xs[i] = MatMulTest.randomActivations(512, 50 + i);
            MatMul.matvec(w, xs[i], expected[i]);
        }
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<float[]>> results = new ArrayList<>();
            for (int rep = 0; rep < 5; rep++) {
                for (int i = 0; i < 8; i++) {
                    int k = i;
                    results.add(ex.submit(() -> {
                        float[] out = new float[300];
                        MatMul.matvec(w, xs[k], out);
                        return out;
                    }));
                }
            }
            for (int j = 0; j < results.size(); j++) assertArrayEquals(expected[j % 8], results.get(j).get());
        }
    }
}
