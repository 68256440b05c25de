package io.jollama.bench;

import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.MatMul;
import io.jollama.engine.tensor.Quantize;
import io.jollama.engine.tensor.Repack;
import io.jollama.engine.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The matrix kernels on a packed TinyLlama-sized feed-forward matrix (5632 × 2048, random weights quantized by the
 * engine's own quantizer): one vector (decode) and a prompt batch (prefill, float panels). Weights are bytes read
 * from memory per call, so time per call gives GB/s (decode) and multiply-adds per second (prefill).
 * <pre>
 *   ./build && java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar -p type=Q4_K,Q8_0
 *   java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar KernelBench.prefill -p pack=false -p type=Q5_K
 * </pre>
 * {@code pack=false} measures the file-layout kernels ({@code *Kernel}), which is what every type without a packed
 * layout runs: a batch passes over each weight block four vectors at a time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBench {

    @Param({"Q4_K", "Q6_K", "Q8_0", "Q4_0", "Q5_0"})
    public String type;

    /** Tokens of the prefill batch. */
    @Param({"64"})
    public int batch;

    /** False: the file-layout kernels (no load-time repacking; batches go through the kernels four vectors at a time). */
    @Param({"true"})
    public boolean pack;

    static final int ROWS = 5632, COLS = 2048;

    private Arena arena;
    private Tensor w;
    private float[] x, xs, out, outs;

    @Setup(Level.Trial)
    public void setUp() {
        GgmlType t = GgmlType.valueOf(type);
        SplittableRandom rnd = new SplittableRandom(42);
        float[] values = new float[ROWS * COLS];
        for (int i = 0; i < values.length; i++) values[i] = (float) rnd.nextGaussian();
        byte[] bytes = Quantize.quantize(t, values);
        arena = Arena.ofShared();
        MemorySegment data = arena.allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, data, 0, bytes.length);
        Tensor plain = new Tensor("bench", t, new long[]{COLS, ROWS}, data);
        w = pack ? Repack.pack(plain, arena) : plain;
        x = new float[COLS];
        xs = new float[COLS * batch];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) rnd.nextGaussian();
        System.arraycopy(xs, 0, x, 0, COLS);
        out = new float[ROWS];
        outs = new float[ROWS * batch];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** One token: the packed matrix × vector kernel on all compute threads. */
    @Benchmark
    public float[] decode() {
        MatMul.matvec(w, x, out);
        return out;
    }

    /** A prompt batch: float panels and the 8-token × 32-row FMA tile. */
    @Benchmark
    public float[] prefill() {
        MatMul.matmul(w, xs, batch, outs);
        return outs;
    }
}
