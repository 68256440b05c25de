package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufWriter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Converts an F32/F16/BF16 GGUF into another {@link FileType}, like {@code llama-quantize IN OUT TYPE} without
 * importance matrix: same metadata (with {@code general.file_type} and {@code general.quantization_version}
 * updated), same tensors in the same order, each converted to the type the file type's rules choose. Tensors that
 * are not quantized (norms, biases, other 1-D tensors, integer tensors) are copied unchanged. Any quantized
 * tensor in the source makes it refuse, as Ollama does.
 */
public final class GgufQuantizer {

    /** The message Ollama gives when asked to quantize a model that is already quantized. */
    public static final String ONLY_FLOAT_SOURCES = "quantization is only supported for F16, BF16 and F32 models";

    /** ggml's GGML_QNT_VERSION, written as general.quantization_version. */
    private static final int QUANTIZATION_VERSION = 2;

    /** Rows per unit of parallel work: enough to amortise the task, small enough to balance. */
    private static final int ROWS_PER_CHUNK = 64;

    /** After each tensor: how many tensors are done, and output bytes done of the total. */
    public record TensorsDone(int tensorsDone, int tensorsTotal, long bytesDone, long bytesTotal) {}

    private GgufQuantizer() {}

    /**
     * Writes {@code out} (atomically: temporary file, then rename) as {@code target} from the float model {@code in}.
     *
     * @throws IllegalArgumentException if {@code in} holds quantized tensors ({@link #ONLY_FLOAT_SOURCES})
     * @throws IOException if a file cannot be read or written, or {@code in} is not a valid GGUF
     */
    public static void quantize(Path in, Path out, FileType target, Consumer<TensorsDone> progress) throws IOException {
        Objects.requireNonNull(target, "target file type");
        Consumer<TensorsDone> report = progress != null ? progress : p -> {};
        try (GgufFile src = GgufFile.open(in)) {
            for (GgufTensorInfo t : src.tensors()) {
                if (t.type().isQuantized()) throw new IllegalArgumentException(ONLY_FLOAT_SOURCES);
            }
            FileType.ModelInfo model = FileType.ModelInfo.of(src);
            GgufWriter w = new GgufWriter();
            w.putAll(src.metadata());
            w.put("general.quantization_version", GgufValue.ofU32(QUANTIZATION_VERSION));
            w.put("general.file_type", GgufValue.ofU32(target.id));

            int n = src.tensors().size();
            GgmlType[] types = new GgmlType[n];
            long total = 0;
            for (int i = 0; i < n; i++) {
                GgufTensorInfo t = src.tensors().get(i);
                boolean convert = FileType.quantizable(t.name(), t.shape()) && Dequant.isFloat(t.type()); // integer tensors are copied
                types[i] = convert ? target.typeFor(t.name(), t.shape(), model) : t.type();
                total += types[i].byteSize(t.elementCount());
            }
            report.accept(new TensorsDone(0, n, 0, total));

            Conversion conv = new Conversion(n, total, report);
            try {
                for (int i = 0; i < n; i++) {
                    GgufTensorInfo t = src.tensors().get(i);
                    GgmlType to = types[i];
                    w.addTensor(t.name(), to, t.shape(), () -> conv.convert(src, t, to));
                }
                w.write(out);
            } finally {
                conv.close();
            }
        }
    }

    /**
     * Converts one tensor at a time as the writer asks for it; the previous tensor's memory is released when the
     * next one is requested (the writer has written it by then).
     */
    private static final class Conversion implements AutoCloseable {
        private final int tensorsTotal;
        private final long bytesTotal;
        private final Consumer<TensorsDone> report;
        private Arena arena;
        private int done;
        private long bytesDone;

        Conversion(int tensorsTotal, long bytesTotal, Consumer<TensorsDone> report) {
            this.tensorsTotal = tensorsTotal;
            this.bytesTotal = bytesTotal;
            this.report = report;
        }

        MemorySegment convert(GgufFile src, GgufTensorInfo t, GgmlType to) {
            close();
            MemorySegment in = src.tensorData(t);
            MemorySegment result;
            if (to == t.type()) {
                result = in;
            } else {
                arena = Arena.ofShared();
                result = arena.allocate(to.byteSize(t.elementCount()), 64);
                convertRows(t.type(), in, to, result, Math.toIntExact(t.shape()[0]), Math.toIntExact(t.rows()));
            }
            bytesDone += result.byteSize();
            report.accept(new TensorsDone(++done, tensorsTotal, bytesDone, bytesTotal));
            return result;
        }

        @Override
        public void close() {
            if (arena != null) {
                arena.close();
                arena = null;
            }
        }
    }

    /** Converts {@code rows} rows of {@code cols} values from {@code from} to {@code to}, chunks of rows in parallel. */
    static void convertRows(GgmlType from, MemorySegment in, GgmlType to, MemorySegment out, int cols, int rows) {
        long inRow = from.rowSize(cols);
        int outRow = Math.toIntExact(to.rowSize(cols));
        int chunks = (rows + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            float[] values = new float[cols];
            byte[] bytes = new byte[outRow];
            int end = Math.min(rows, (c + 1) * ROWS_PER_CHUNK);
            for (int r = c * ROWS_PER_CHUNK; r < end; r++) {
                Dequant.dequantize(from, in, r * inRow, values, 0, cols);
                Quantize.quantize(to, values, 0, cols, bytes, 0);
                MemorySegment.copy(bytes, 0, out, ValueLayout.JAVA_BYTE, (long) r * outRow, outRow);
            }
        });
    }
}
