package io.jollama.cli;

import io.jollama.engine.tensor.ComputePool;
import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.MatMul;
import io.jollama.engine.tensor.Repack;
import io.jollama.engine.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code jollama bench-kernels}: matrix × vector speed of every weight type over a matrix larger than the caches,
 * in GB/s of weights streamed, with one thread and with all compute threads, next to the machine's plain
 * streaming-read bandwidth measured over the same buffer.
 */
@Command(name = "bench-kernels", mixinStandardHelpOptions = true,
        description = "Measure the matrix×vector kernels (GB/s of weights) against the memory read bandwidth.")
public final class BenchKernelsCommand implements Callable<Integer> {

    private static final List<GgmlType> ALL = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);
    private static final int COLS = 4096;

    @Option(names = "--type", split = ",", paramLabel = "TYPE", description = "weight types to measure (default: all: ${DEFAULT-VALUE})")
    List<String> types;

    @Option(names = "--mb", defaultValue = "1024", description = "MiB of weights per type (default ${DEFAULT-VALUE}; at most 2048)")
    int mb;

    @Option(names = "--threads", description = "compute threads for the all-threads figures (default: -Djollama.threads or all cores)")
    Integer threads;

    @Option(names = "--unpacked", description = "measure the kernels on the file layout, without load-time repacking")
    boolean unpacked;

    @Option(names = "--batch", defaultValue = "1",
            description = "activation vectors multiplied at once (default ${DEFAULT-VALUE}: matrix × vector; more: matrix × batch, as a prompt; at most 64)")
    int batch;

    @Option(names = "--seconds", defaultValue = "3", description = "seconds measured per figure, after the warm-up (default ${DEFAULT-VALUE})")
    double seconds;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        if (mb < 1 || mb > 2048) return fail("--mb must be from 1 to 2048, got " + mb);
        if (batch < 1 || batch > 64) return fail("--batch must be from 1 to 64, got " + batch);
        if (!(seconds > 0 && seconds <= 600)) return fail("--seconds must be more than 0 and at most 600, got " + seconds);
        if (threads != null) {
            if (threads < 1 || threads > 1024) return fail("--threads must be from 1 to 1024, got " + threads);
            System.setProperty("jollama.threads", Integer.toString(threads));   // read when ComputePool first loads
        }
        List<GgmlType> selected = new ArrayList<>();
        for (String name : types == null ? ALL.stream().map(Enum::name).toList() : types) {
            GgmlType t;
            try {
                t = GgmlType.valueOf(name.trim().toUpperCase());
            } catch (IllegalArgumentException e) {
                return fail("unknown weight type '" + name + "' (known: " + ALL + ")");
            }
            if (!ALL.contains(t)) return fail("no kernel for weight type " + t + " (known: " + ALL + ")");
            selected.add(t);
        }
        int n = ComputePool.threads();
        out.printf("bench-kernels: %d MiB of weights per type, rows of %d values, %.1f s per figure, %d compute thread(s), %s kernels%s%n",
                mb, COLS, seconds, n, MatMul.SCALAR ? "scalar" : "Vector API",
                batch == 1 ? "" : ", batches of " + batch + " vectors (GB/s: weight bytes per batch product)");

        double[] bw1 = null, bwN = null;
        out.printf("%-5s %12s %12s %12s %12s %10s %10s %14s%n", "type", "GB/s 1 thr", "GB/s " + n + " thr", "Mrows/s 1", "Mrows/s " + n, "% bw 1", "% bw " + n, "GB/CPU-s 1 thr");
        for (GgmlType type : selected) {
            long rowBytes = type.rowSize(COLS);
            int rows = (int) Math.max(1, ((long) mb << 20) / rowBytes);
            if (!unpacked && Repack.packable(type, COLS, Repack.GROUP)) rows = Math.max(Repack.GROUP, rows / Repack.GROUP * Repack.GROUP);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment data = arena.allocate(rows * rowBytes, 64);
                fillRandom(type, data, rowBytes, rows);
                if (bw1 == null) {
                    // The machine's streaming read bandwidth, over the first buffer (same size as every weight matrix).
                    long few = Math.min(data.byteSize(), 4L << 20);
                    bw1 = measure(() -> streamSum(data, 0, data.byteSize()), data.byteSize(), () -> streamSum(data, 0, few));
                    long chunk = data.byteSize() / 64, fewChunk = few / 64;
                    bwN = measure(() -> ComputePool.parallelFor(64, (from, to) -> streamSum(data, from * chunk, to * chunk)), 64 * chunk,
                            () -> ComputePool.parallelFor(64, (from, to) -> streamSum(data, from * fewChunk, to * fewChunk)));
                    out.printf("%-5s %12.2f %12.2f %12s %12s %10s %10s %14.2f   (plain vectorized sum over %d MiB)%n",
                            "read", bw1[0], bwN[0], "", "", "100", "100", bw1[1], data.byteSize() >> 20);
                }
                Tensor w = new Tensor("bench." + type, type, new long[]{COLS, rows}, data);
                if (!unpacked) w = Repack.pack(w, arena);
                float[] x = new float[COLS * batch];
                SplittableRandom rnd = new SplittableRandom(7);
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                float[] y = new float[rows * batch];
                int fewRows = (int) Math.min(rows, (4L << 20) / rowBytes + 1);
                if (w.packed()) fewRows = Math.min(rows, (fewRows + Repack.GROUP - 1) / Repack.GROUP * Repack.GROUP);
                Tensor small = new Tensor(w.name(), type, new long[]{COLS, fewRows}, data.asSlice(0, fewRows * rowBytes), w.packed());
                final Tensor w0 = w;
                final int rows0 = rows, few0 = fewRows;
                double[] one, all;
                if (batch == 1) {
                    one = measure(() -> MatMul.matvecRange(w0, x, y, 0, rows0), rows0 * rowBytes, () -> MatMul.matvecRange(small, x, y, 0, few0));
                    all = measure(() -> MatMul.matvec(w0, x, y), rows0 * rowBytes, () -> MatMul.matvec(small, x, y));
                } else {
                    one = measure(() -> MatMul.matmulRange(w0, x, batch, y, 0, rows0), rows0 * rowBytes,
                            () -> MatMul.matmulRange(small, x, batch, y, 0, few0));
                    all = measure(() -> MatMul.matmul(w0, x, batch, y), rows0 * rowBytes, () -> MatMul.matmul(small, x, batch, y));
                }
                double rowsPerByte = 1.0 / rowBytes;
                out.printf("%-5s %12.2f %12.2f %12.2f %12.2f %10.0f %10.0f %14.2f%n", type, one[0], all[0],
                        one[0] * 1e3 * rowsPerByte, all[0] * 1e3 * rowsPerByte,
                        100 * one[0] / bw1[0], 100 * all[0] / bwN[0], one[1]);
                if (!Float.isFinite(y[rows / 2])) out.println("  (warning: non-finite output " + y[rows / 2] + ")");
            }
            // lets the heap shrink back before the next GiB is allocated (the warm-up garbage grows it)
            System.gc();
        }
        return 0;
    }

    private static int fail(String msg) {
        System.err.println("Error: " + msg);
        return 1;
    }

    /**
     * Warms up (see below), then runs the action for {@code seconds}. Returns {GB/s of wall time,
     * GB per CPU-second of the calling thread}: on a shared machine the second figure shows what the kernel does
     * when it gets a core, the first what it got.
     */
    private double[] measure(Runnable action, long bytesPerRun, Runnable onFewMiB) {
        // Warm up on a few MiB first: until C2 has compiled the vector code it allocates on the heap, and over
        // a whole GiB that garbage would grow the heap by gigabytes. C2 compiles in the background, hence 1 s.
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        for (int i = 0; i < 200 || System.nanoTime() < warmEnd; i++) onFewMiB.run();
        action.run();
        action.run();
        long budget = (long) (seconds * 1e9);
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuStart = mx.getCurrentThreadCpuTime();
        long start = System.nanoTime(), now;
        long runs = 0;
        do {
            action.run();
            runs++;
            now = System.nanoTime();
        } while (now - start < budget);
        long cpu = mx.getCurrentThreadCpuTime() - cpuStart;
        return new double[]{(double) bytesPerRun * runs / (now - start), (double) bytesPerRun * runs / cpu};
    }

    private static volatile long sink;

    /** A plain vectorized sum of the bytes [from, to) read as 64-bit lanes: the streaming read ceiling. */
    private static void streamSum(MemorySegment s, long from, long to) {
        sink += StreamSum.sum(s, from, to);
    }

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Random weights: random quant bits, and small finite values for every float and f16 scale field. */
    private static void fillRandom(GgmlType type, MemorySegment data, long rowBytes, int rows) {
        SplittableRandom rnd = new SplittableRandom(42);
        long size = data.byteSize();
        switch (type) {
            case F32 -> {
                for (long i = 0; i + 4 <= size; i += 4) data.set(LE_FLOAT, i, (float) (rnd.nextDouble() - 0.5));
                return;
            }
            case F16 -> {
                for (long i = 0; i + 2 <= size; i += 2) data.set(LE_SHORT, i, Float.floatToFloat16((float) (rnd.nextDouble() - 0.5)));
                return;
            }
            case BF16 -> {
                for (long i = 0; i + 2 <= size; i += 2) data.set(LE_SHORT, i, (short) (Float.floatToRawIntBits((float) (rnd.nextDouble() - 0.5)) >>> 16));
                return;
            }
            default -> { }
        }
        long i = 0;
        for (; i + 8 <= size; i += 8) data.set(LE_LONG, i, rnd.nextLong());
        for (; i < size; i++) data.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        int[] scaleOffsets = switch (type) {
            case Q4_0, Q5_0, Q8_0 -> new int[]{0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[]{0, 2};
            case Q2_K -> new int[]{80, 82};
            case Q3_K -> new int[]{108};
            case Q6_K -> new int[]{208};
            default -> throw new IllegalArgumentException(type.toString());
        };
        long blocks = size / type.typeSize;
        for (long b = 0; b < blocks; b++) {
            for (int off : scaleOffsets) data.set(LE_SHORT, b * type.typeSize + off, Float.floatToFloat16((float) (0.001 + 0.01 * rnd.nextDouble())));
        }
    }
}
