package io.jollama.engine.lora;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.gguf.GgufTensorInfo;
import io.jollama.engine.tensor.Dequant;
import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.Quantize;
import io.jollama.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * GGUF LoRA adapters (llama.cpp's {@code general.type = adapter}, {@code adapter.lora.alpha}, tensors
 * {@code <weight>.lora_a} [n_in, r] and {@code <weight>.lora_b} [r, n_out]) merged into a model's weights at load:
 * W' = W + scale·B·A with llama.cpp's {@code --lora} scale, alpha / r (1 when alpha is 0). Each adapted matrix is
 * dequantized row by row, the low-rank product added, and the row quantized back to the matrix's own type in place,
 * so the model keeps its type and its kernels' speed. The base must be in writable memory (read, not mapped).
 */
public final class LoraMerge {

    private LoraMerge() {}

    /** One adapted weight: its name in the base and the adapter's two factors. */
    public record Pair(String weight, GgufTensorInfo a, GgufTensorInfo b) {}

    /**
     * The adapter's weight pairs, checked against the base as llama.cpp checks them (architecture, names, shapes).
     *
     * @throws GgufFormatException naming the problem
     */
    public static List<Pair> pairs(GgufFile base, GgufFile adapter) throws GgufFormatException {
        if (!adapter.getString("general.type", "").equals("adapter")) {
            throw new GgufFormatException("the file is not a LoRA adapter (general.type is not \"adapter\")");
        }
        String type = adapter.getString("adapter.type", "lora");
        if (!type.equals("lora")) throw new GgufFormatException("adapter type '" + type + "' is not supported; only LoRA adapters are");
        String arch = base.getString("general.architecture", ""), adapterArch = adapter.getString("general.architecture", arch);
        if (!arch.equals(adapterArch)) {
            throw new GgufFormatException("the adapter is for the " + adapterArch + " architecture, the model is " + arch);
        }
        List<Pair> out = new ArrayList<>();
        for (GgufTensorInfo a : adapter.tensors()) {
            if (!a.name().endsWith(".lora_a")) {
                if (!a.name().endsWith(".lora_b")) throw new GgufFormatException("adapter tensor " + a.name() + " is neither a lora_a nor a lora_b");
                continue;
            }
            String weight = a.name().substring(0, a.name().length() - ".lora_a".length());
            GgufTensorInfo b = adapter.tensor(weight + ".lora_b");
            if (b == null) throw new GgufFormatException("adapter tensor " + a.name() + " has no " + weight + ".lora_b");
            GgufTensorInfo w = base.tensor(weight);
            if (w == null) throw new GgufFormatException("the adapter changes " + weight + ", which the model does not have");
            if (a.shape().length != 2 || b.shape().length != 2 || w.shape().length != 2) {
                throw new GgufFormatException("adapter tensors of " + weight + " are not matrices");
            }
            if (a.shape()[1] != b.shape()[0]) {
                throw new GgufFormatException("adapter tensor " + a.name() + " is not transposed: lora_a " + shape(a) + ", lora_b " + shape(b));
            }
            if (w.shape()[0] != a.shape()[0] || w.shape()[1] != b.shape()[1]) {
                throw new GgufFormatException("the adapter does not fit the model: " + weight + " is " + shape(w) + ", the adapter's lora_a "
                        + shape(a) + " and lora_b " + shape(b));
            }
            if (!Dequant.isFloat(a.type()) || !Dequant.isFloat(b.type())) {
                throw new GgufFormatException("adapter tensors of " + weight + " are " + a.type() + "/" + b.type() + "; only F32, F16 and BF16 adapters are supported");
            }
            if (!Quantize.canQuantizeTo(w.type())) throw new GgufFormatException(weight + " has type " + w.type() + ", which an adapter cannot be merged into");
            out.add(new Pair(weight, a, b));
        }
        for (GgufTensorInfo t : adapter.tensors()) {
            if (t.name().endsWith(".lora_b") && adapter.tensor(t.name().substring(0, t.name().length() - 1) + "a") == null) {
                throw new GgufFormatException("adapter tensor " + t.name() + " has no lora_a");
            }
        }
        if (out.isEmpty()) throw new GgufFormatException("the adapter has no LoRA tensors");
        return out;
    }

    private static String shape(GgufTensorInfo t) {
        return java.util.Arrays.toString(t.shape());
    }

    /** llama.cpp's scale for {@code --lora}: alpha / rank, or 1 when the adapter has no alpha. */
    public static float scale(GgufFile adapter, Pair p) {
        float alpha = adapter.getFloat("adapter.lora.alpha", 0f);
        float rank = p.b().shape()[0];
        return alpha != 0 ? alpha / rank : 1f;
    }

    /** Merges every adapter into the base's weights, in place. */
    public static void apply(GgufFile base, List<GgufFile> adapters) throws GgufFormatException {
        for (GgufFile adapter : adapters) {
            for (Pair p : pairs(base, adapter)) merge(base, adapter, p, scale(adapter, p));
        }
    }

    private record Buffers(float[] row, double[] acc, byte[] bytes) {}

    private static void merge(GgufFile base, GgufFile adapter, Pair p, float scale) {
        GgufTensorInfo wi = base.tensor(p.weight());
        MemorySegment data = base.tensorData(wi);
        if (data.isReadOnly()) throw new IllegalStateException(base.path() + " is mapped read-only; adapters need the weights read into memory");
        Tensor w = new Tensor(wi.name(), wi.type(), wi.shape(), data);
        float[] a = Dequant.all(Tensor.of(adapter, p.a()));
        float[] b = Dequant.all(Tensor.of(adapter, p.b()));
        int nIn = w.cols(), nOut = w.rows(), rank = (int) p.b().shape()[0];
        // rows are independent: merged in parallel, each worker with its own buffers
        java.util.stream.IntStream.range(0, nOut).parallel().forEach(new java.util.function.IntConsumer() {
            final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(() -> new Buffers(new float[nIn], new double[nIn], new byte[(int) w.rowBytes()]));

            @Override
            public void accept(int o) {
                Buffers buf = buffers.get();
                float[] row = buf.row();
                double[] acc = buf.acc();
                byte[] bytes = buf.bytes();
                Dequant.row(w, o, row, 0);
                java.util.Arrays.fill(acc, 0);
                for (int k = 0; k < rank; k++) {
                    double bk = b[o * rank + k];
                    if (bk == 0) continue;
                    int off = k * nIn;
                    for (int i = 0; i < nIn; i++) acc[i] += bk * a[off + i];
                }
                for (int i = 0; i < nIn; i++) row[i] = (float) (row[i] + scale * acc[i]);
                Quantize.quantize(w.type(), row, 0, nIn, bytes, 0);
                MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, o * w.rowBytes(), bytes.length);
            }
        });
    }
}
