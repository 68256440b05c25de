package io.jollama.cli;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufWriter;
import io.jollama.engine.tensor.FileType;
import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.Quantize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * {@code jollama make-bench-model}: a GGUF with random weights and the exact tensor shapes, metadata and tokenizer of
 * a real model (TinyLlama 1.1B or Qwen2.5 0.5B), so that Jollama and llama-bench can be timed on the same file
 * without downloading one. Weights are N(0,1)·g/√inputs (norm weights 1 + N(0, 0.1)), generated row by row from a
 * seed and quantized tensor by tensor with llama-quantize's per-tensor type rules; only one tensor is in memory at a time.
 */
@Command(name = "make-bench-model", mixinStandardHelpOptions = true,
        description = "Write a random-weight GGUF shaped like TinyLlama 1.1B, Qwen2.5 0.5B, Llama 3.2 3B or bge-small, for benchmarks.")
public final class MakeBenchModelCommand implements Callable<Integer> {

    /** The real models' hyper-parameters, and the gains that keep a random model's activations in range. */
    enum Shape {
        TINYLLAMA("tinyllama", "llama", "TinyLlama 1.1B (random weights)", 2048, 22, 32, 4, 5632, 10000f, 1e-5f, 2048,
                false, false, "ggml-vocab-llama-spm.gguf", 3f, 1f),
        QWEN25_05B("qwen2.5-0.5b", "qwen2", "Qwen2.5 0.5B (random weights)", 896, 24, 14, 2, 4864, 1000000f, 1e-6f, 32768,
                true, true, "ggml-vocab-qwen2.gguf", 32f, 0.25f),
        LLAMA32_3B("llama3.2-3b", "llama", "Llama 3.2 3B (random weights)", 3072, 28, 24, 8, 8192, 500000f, 1e-5f, 131072,
                false, true, "ggml-vocab-llama-bpe.gguf", 3f, 0.25f),
        /** An embedding model: BERT encoder, CLS pooling, absolute positions (bge-small-en-v1.5, all-MiniLM-L12). */
        BGE_SMALL("bge-small", "bert", "bge-small-en-v1.5 (random weights)", 384, 12, 12, 12, 1536, 0f, 1e-12f, 512,
                true, true, "ggml-vocab-bert-bge.gguf", 1f, 1f);

        final String id, arch, title;
        final int dim, layers, heads, kvHeads, ffn, context;
        final float ropeBase, eps;
        final boolean biases, tiedOutput;
        final String vocabFile;
        /** g of attn_output and ffn_down (and of output.weight when separate), and the factor of output_norm. */
        final float residualGain, outputNormFactor;

        Shape(String id, String arch, String title, int dim, int layers, int heads, int kvHeads, int ffn, float ropeBase,
              float eps, int context, boolean biases, boolean tiedOutput, String vocabFile, float residualGain, float outputNormFactor) {
            this.id = id; this.arch = arch; this.title = title; this.dim = dim; this.layers = layers; this.heads = heads;
            this.kvHeads = kvHeads; this.ffn = ffn; this.ropeBase = ropeBase; this.eps = eps; this.context = context;
            this.biases = biases; this.tiedOutput = tiedOutput; this.vocabFile = vocabFile;
            this.residualGain = residualGain; this.outputNormFactor = outputNormFactor;
        }

        static Shape parse(String s) {
            for (Shape sh : values()) if (sh.id.equalsIgnoreCase(s.trim())) return sh;
            throw new IllegalArgumentException("unknown shape '" + s + "' (supported: tinyllama, qwen2.5-0.5b, llama3.2-3b, bge-small)");
        }
    }

    @Option(names = "--shape", required = true, description = "tinyllama, qwen2.5-0.5b, llama3.2-3b or bge-small (a BERT embedding model)")
    String shapeName;

    @Option(names = "--type", required = true, description = "file type: q4_k_m, q8_0, f16, or any type llama-quantize knows (q4_0, q6_k, ...)")
    String typeName;

    @Option(names = {"-o", "--output"}, required = true, description = "the GGUF file to write")
    Path output;

    @Option(names = "--vocab", description = "GGUF holding the tokenizer (default: <testdata>/vocab/ggml-vocab-llama-spm.gguf "
            + "or ggml-vocab-qwen2.gguf, with <testdata> from JOLLAMA_TESTDATA or -Djollama.testdata)")
    Path vocab;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--layers", description = "override the layer count (for small test models)")
    Integer layers;

    @Option(names = "--dim", description = "override the embedding width, a multiple of the 64-wide heads (for small test models)")
    Integer dim;

    @Option(names = "--ffn", description = "override the feed-forward width (for small test models)")
    Integer ffn;

    @Override
    public Integer call() throws Exception {
        Shape shape;
        FileType type;
        try {
            shape = Shape.parse(shapeName);
            type = FileType.parse(typeName);
        } catch (IllegalArgumentException e) {
            System.err.println("Error: " + e.getMessage());
            return 1;
        }
        int headDim = shape.dim / shape.heads;
        int d = dim != null ? dim : shape.dim;
        int nLayers = layers != null ? layers : shape.layers;
        int nFfn = ffn != null ? ffn : shape.ffn;
        if (d < headDim || d % headDim != 0) return fail("--dim must be a positive multiple of the head size " + headDim);
        if (nLayers < 1) return fail("--layers must be at least 1");
        if (nFfn < 32 || nFfn % 32 != 0) return fail("--ffn must be a positive multiple of 32");
        int heads = d / headDim;
        int kvHeads = Math.max(1, heads / (shape.heads / shape.kvHeads));
        if (heads % kvHeads != 0) return fail("--dim " + d + " gives " + heads + " heads, which cannot be grouped over " + kvHeads + " key/value heads");
        Path vocabPath = vocab != null ? vocab : defaultVocab(shape);
        if (vocabPath == null) return fail("no --vocab given and neither JOLLAMA_TESTDATA nor -Djollama.testdata is set");
        if (!Files.isRegularFile(vocabPath)) return fail(vocabPath + ": no such file");

        GgufWriter w = new GgufWriter();
        int vocabSize;
        try (GgufFile v = GgufFile.open(vocabPath, false)) {
            String[] tokens = v.getStrings("tokenizer.ggml.tokens");
            if (tokens == null || !shape.arch.equals(v.getString("general.architecture", ""))) {
                return fail(vocabPath + ": not a " + shape.arch + " vocabulary file (tokenizer.ggml.tokens missing or other architecture)");
            }
            vocabSize = tokens.length;
            String a = shape.arch + ".";
            w.put("general.architecture", shape.arch)
                    .put("general.name", shape.title)
                    .putU32("general.file_type", type.id);
            if (type.baseType.isQuantized()) w.putU32("general.quantization_version", 2);
            if (shape.arch.equals("bert")) {
                w.putU32(a + "context_length", shape.context)
                        .putU32(a + "embedding_length", d)
                        .putU32(a + "block_count", nLayers)
                        .putU32(a + "feed_forward_length", nFfn)
                        .putU32(a + "attention.head_count", heads)
                        .putF32(a + "attention.layer_norm_epsilon", shape.eps)
                        .putBool(a + "attention.causal", false)
                        .putU32(a + "pooling_type", 2);
            } else w.putU32(a + "vocab_size", vocabSize)
                    .putU32(a + "context_length", shape.context)
                    .putU32(a + "embedding_length", d)
                    .putU32(a + "block_count", nLayers)
                    .putU32(a + "feed_forward_length", nFfn)
                    .putU32(a + "attention.head_count", heads)
                    .putU32(a + "attention.head_count_kv", kvHeads)
                    .putU32(a + "rope.dimension_count", headDim)
                    .putF32(a + "rope.freq_base", shape.ropeBase)
                    .putF32(a + "attention.layer_norm_rms_epsilon", shape.eps);
            for (var e : v.metadata().entrySet()) if (e.getKey().startsWith("tokenizer.")) w.put(e.getKey(), e.getValue());
        }

        var info = new FileType.ModelInfo(shape.arch, nLayers, 0, heads, kvHeads, nLayers, !shape.tiedOutput);
        int kvDim = kvHeads * headDim;
        Tensors t = new Tensors(w, type, info, seed);
        if (shape.arch.equals("bert")) {
            t.bertTensors(d, nLayers, nFfn, vocabSize, shape.context);
            return write(w, t, shape, type, nLayers, d);
        }
        t.matrix("token_embd.weight", d, vocabSize, (float) Math.sqrt(d)); // std 1
        for (int l = 0; l < nLayers; l++) {
            String p = "blk." + l + ".";
            t.norm(p + "attn_norm.weight", d, 1f);
            t.matrix(p + "attn_q.weight", d, d, 1f);
            t.matrix(p + "attn_k.weight", d, kvDim, 1f);
            t.matrix(p + "attn_v.weight", d, kvDim, 1f);
            if (shape.biases) {
                t.bias(p + "attn_q.bias", d);
                t.bias(p + "attn_k.bias", kvDim);
                t.bias(p + "attn_v.bias", kvDim);
            }
            t.matrix(p + "attn_output.weight", d, d, shape.residualGain);
            t.norm(p + "ffn_norm.weight", d, 1f);
            t.matrix(p + "ffn_gate.weight", d, nFfn, 1f);
            t.matrix(p + "ffn_up.weight", d, nFfn, 1f);
            t.matrix(p + "ffn_down.weight", nFfn, d, shape.residualGain);
        }
        t.norm("output_norm.weight", d, shape.outputNormFactor);
        if (!shape.tiedOutput) t.matrix("output.weight", d, vocabSize, shape.residualGain);
        return write(w, t, shape, type, nLayers, d);
    }

    private Integer write(GgufWriter w, Tensors t, Shape shape, FileType type, int nLayers, int d) throws IOException {
        long t0 = System.nanoTime();
        try {
            w.write(output);
        } catch (IOException | IllegalArgumentException e) {
            return fail("cannot write " + output + ": " + e.getMessage());
        }
        System.out.printf(Locale.ROOT, "wrote %s: %s %s, %d layers, dim %d, %d tensors, %.1f MiB in %.1f s%n", output, shape.id,
                type.displayName, nLayers, d, t.count, Files.size(output) / 1048576.0, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private static Path defaultVocab(Shape shape) {
        String dir = System.getenv("JOLLAMA_TESTDATA");
        if (dir == null || dir.isBlank()) dir = System.getProperty("jollama.testdata");
        if (dir == null || dir.isBlank()) return null;
        return Path.of(dir, "vocab", shape.vocabFile);
    }

    private static int fail(String message) {
        System.err.println("Error: " + message);
        return 1;
    }

    /** Adds tensors whose bytes are generated (and quantized) only when the writer reaches them. */
    private static final class Tensors {
        private final GgufWriter w;
        private final FileType type;
        private final FileType.ModelInfo info;
        private final long seed;
        int count;

        Tensors(GgufWriter w, FileType type, FileType.ModelInfo info, long seed) {
            this.w = w;
            this.type = type;
            this.info = info;
            this.seed = seed;
        }

        /** A matrix of {@code rows} outputs by {@code cols} inputs, N(0,1)·g/√cols, in the type the file type gives it. */
        void matrix(String name, int cols, int rows, float gain) {
            long[] shape = {cols, rows};
            GgmlType t = type.typeFor(name, shape, info);
            float scale = (float) (gain / Math.sqrt(cols));
            long tensorSeed = seed * 1_000_003L + count++;
            w.addTensor(name, t, shape, () -> {
                long rowBytes = t.byteSize(cols);
                byte[] bytes = new byte[Math.toIntExact(rowBytes * rows)];
                // every row from its own generator: deterministic whatever the thread schedule
                IntStream.range(0, rows).parallel().forEach(r -> {
                    SplittableRandom rnd = new SplittableRandom(tensorSeed * 0x9E3779B97F4A7C15L + r);
                    float[] row = new float[cols];
                    for (int i = 0; i < cols; i++) row[i] = (float) rnd.nextGaussian() * scale;
                    Quantize.quantize(t, row, 0, cols, bytes, Math.toIntExact(r * rowBytes));
                });
                return MemorySegment.ofArray(bytes);
            });
        }

        /** BERT's tensors as llama.cpp names them: embeddings with their LayerNorm, post-norm blocks with biases. */
        void bertTensors(int d, int nLayers, int nFfn, int vocabSize, int context) {
            matrix("token_embd.weight", d, vocabSize, (float) Math.sqrt(d));
            matrix("position_embd.weight", d, context, (float) Math.sqrt(d) * 0.1f);
            matrix("token_types.weight", d, 2, (float) Math.sqrt(d) * 0.1f);
            norm("token_embd_norm.weight", d, 1f);
            bias("token_embd_norm.bias", d);
            for (int l = 0; l < nLayers; l++) {
                String p = "blk." + l + ".";
                for (String m : new String[]{"attn_q", "attn_k", "attn_v", "attn_output"}) {
                    matrix(p + m + ".weight", d, d, 1f);
                    bias(p + m + ".bias", d);
                }
                norm(p + "attn_output_norm.weight", d, 1f);
                bias(p + "attn_output_norm.bias", d);
                matrix(p + "ffn_up.weight", d, nFfn, 1f);
                bias(p + "ffn_up.bias", nFfn);
                matrix(p + "ffn_down.weight", nFfn, d, 1f);
                bias(p + "ffn_down.bias", d);
                norm(p + "layer_output_norm.weight", d, 1f);
                bias(p + "layer_output_norm.bias", d);
            }
        }

        /** A norm weight: (1 + N(0, 0.1)) · factor, in F32. */
        void norm(String name, int n, float factor) {
            vector(name, n, 0.1f, 1f, factor);
        }

        /** A bias: N(0, 0.1), in F32. */
        void bias(String name, int n) {
            vector(name, n, 0.1f, 0f, 1f);
        }

        private void vector(String name, int n, float std, float mean, float factor) {
            SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + count++);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (mean + (float) rnd.nextGaussian() * std) * factor;
            w.addTensor(name, GgmlType.F32, new long[]{n}, MemorySegment.ofArray(v));
        }
    }
}
