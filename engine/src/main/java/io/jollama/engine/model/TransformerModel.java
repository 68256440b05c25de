package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.tensor.ActivationQuant;
import io.jollama.engine.tensor.ComputePool;
import io.jollama.engine.tensor.Dequant;
import io.jollama.engine.tensor.MatMul;
import io.jollama.engine.tensor.Repack;
import io.jollama.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The decoder-only transformer shared by the llama, qwen2 and qwen3 families: RMSNorm, RoPE, grouped-query
 * attention, a SwiGLU feed-forward block and a tied or separate output. The family classes say which variant
 * (rope style, attention biases, per-head q/k norms) a file uses.
 * <p>
 * {@link #forward} runs a batch of tokens through every layer: the projections go through the
 * matrix×matrix kernels for a batch and matrix×vector for a single token.
 */
public abstract class TransformerModel implements AutoCloseable {

    /** One layer's weights; optional parts are null. */
    record Layer(float[] attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                 float[] bq, float[] bk, float[] bv, float[] qNorm, float[] kNorm,
                 float[] ffnNorm, Tensor gate, Tensor up, Tensor down, float[] postAttnNorm, float[] postFfnNorm) {}

    protected final GgufFile file;
    protected final ModelConfig config;
    private final Tensor tokenEmbd;
    private final float[] outputNorm;
    private final Tensor output;
    private final Layer[] layers;
    private final float[] ropeFreqs;
    /** Per layer: the RoPE angle step (families may use another base on some layers) and the sliding window (0 = none). */
    private final float[] thetaScale;
    private final int[] window;

    protected TransformerModel(GgufFile file, ModelConfig config) throws GgufFormatException {
        this.file = file;
        this.config = config;
        Tensor embd = tensor("token_embd.weight", config.dim(), config.vocabSize());
        this.tokenEmbd = file.hasTensor("output.weight") ? embd : packed(embd);
        this.outputNorm = vector("output_norm.weight", config.dim());
        // matrices are repacked for the packed kernels (in place when the weights were read into memory); a tied
        // output shares the embedding table, whose rows are then read back through Repack.unpackRow
        this.output = file.hasTensor("output.weight") ? packed(tensor("output.weight", config.dim(), config.vocabSize())) : tokenEmbd;
        this.ropeFreqs = file.hasTensor("rope_freqs.weight") ? vector("rope_freqs.weight", config.ropeDim() / 2) : null;
        this.thetaScale = new float[config.layers()];
        this.window = new int[config.layers()];
        for (int l = 0; l < config.layers(); l++) {
            thetaScale[l] = (float) Math.pow(ropeBase(l), -2.0 / config.ropeDim());
            window[l] = slidingWindow(l);
        }
        this.layers = new Layer[config.layers()];
        int dim = config.dim();
        for (int l = 0; l < layers.length; l++) {
            String p = "blk." + l + ".";
            // phi3 keeps q, k and v in one matrix, and gate and up in another: their row ranges are used as views
            Tensor[] qkv = file.hasTensor(p + "attn_qkv.weight")
                    ? rows(tensor(p + "attn_qkv.weight", dim, config.qDim() + config.kvDim() + config.vDim()), config.qDim(), config.kvDim(), config.vDim())
                    : new Tensor[]{tensor(p + "attn_q.weight", dim, config.qDim()), tensor(p + "attn_k.weight", dim, config.kvDim()),
                            tensor(p + "attn_v.weight", dim, config.vDim())};
            Tensor[] gateUp = file.hasTensor(p + "ffn_gate.weight")
                    ? new Tensor[]{tensor(p + "ffn_gate.weight", dim, config.ffnDim()), tensor(p + "ffn_up.weight", dim, config.ffnDim())}
                    : rows(tensor(p + "ffn_up.weight", dim, 2 * config.ffnDim()), config.ffnDim(), config.ffnDim());
            layers[l] = new Layer(
                    vector(p + "attn_norm.weight", dim),
                    packed(qkv[0]), packed(qkv[1]), packed(qkv[2]),
                    packed(tensor(p + "attn_output.weight", config.heads() * config.headDimV(), dim)),
                    optionalVector(p + "attn_q.bias", config.qDim()),
                    optionalVector(p + "attn_k.bias", config.kvDim()),
                    optionalVector(p + "attn_v.bias", config.vDim()),
                    optionalVector(p + "attn_q_norm.weight", config.headDim()),
                    optionalVector(p + "attn_k_norm.weight", config.headDim()),
                    vector(p + "ffn_norm.weight", dim),
                    packed(gateUp[0]), packed(gateUp[1]),
                    packed(tensor(p + "ffn_down.weight", config.ffnDim(), dim)),
                    optionalVector(p + "post_attention_norm.weight", dim),
                    optionalVector(p + "post_ffw_norm.weight", dim));
        }
    }

    private Tensor packed(Tensor t) {
        return Repack.pack(t, file.arena());
    }

    /** Consecutive row ranges of a matrix as matrices of their own (views of the same bytes). */
    private static Tensor[] rows(Tensor t, int... counts) {
        Tensor[] out = new Tensor[counts.length];
        long offset = 0;
        for (int i = 0; i < counts.length; i++) {
            long bytes = counts[i] * t.rowBytes();
            out[i] = new Tensor(t.name() + "[" + i + "]", t.type(), new long[]{t.shape()[0], counts[i]}, t.data().asSlice(offset, bytes));
            offset += bytes;
        }
        return out;
    }

    /**
     * Whether the family multiplies q by 1/√head_dim before attention and attends with scale 1 (phi3, as llama.cpp's
     * graph does), instead of scaling the scores: the same math, with llama.cpp's rounding.
     */
    protected boolean scalesQueryFirst() {
        return false;
    }

    /** The RoPE base of a layer (called from the constructor: may use only {@code file} and {@code config}). */
    protected float ropeBase(int layer) {
        return config.ropeTheta();
    }

    /** The sliding attention window of a layer, 0 for full causal attention (called from the constructor). */
    protected int slidingWindow(int layer) {
        return 0;
    }

    /** The factor applied to token embeddings (Gemma: √dim). */
    protected float embeddingScale() {
        return 1f;
    }

    /** Whether the feed-forward block is GEGLU (gelu(gate)·up, Gemma) rather than SwiGLU. */
    protected boolean geluFeedForward() {
        return false;
    }

    public ModelConfig config() {
        return config;
    }

    public GgufFile file() {
        return file;
    }

    /** A cache of {@code capacity} positions in F16, the default of llama.cpp and Ollama. */
    public KvCache newCache(int capacity) {
        return new KvCache(config, capacity, KvCache.Type.F16);
    }

    public KvCache newCache(int capacity, KvCache.Type type) {
        return new KvCache(config, capacity, type);
    }

    /**
     * Processes {@code n} tokens at positions {@code pos .. pos+n-1} (their keys and values go into the cache)
     * and returns the logits of the last one, or of every one ({@code n × vocab}) when {@code allLogits}.
     */
    public float[] forward(KvCache cache, int[] tokens, int offset, int n, int pos, boolean allLogits) {
        return run(Batch.of(cache, tokens, offset, n, pos), allLogits ? Result.ALL_LOGITS : Result.LAST_LOGITS);
    }

    /** As {@link #forward}, but returns the final normed hidden states of all n tokens ({@code n × dim}), for embeddings. */
    public float[] hidden(KvCache cache, int[] tokens, int offset, int n, int pos) {
        return run(Batch.of(cache, tokens, offset, n, pos), Result.HIDDEN);
    }

    /**
     * One step for several sequences at once (batched decoding): token i goes at position {@code positions[i]} of
     * {@code caches[i]} and attends to that cache only. The weights are read once for all of them. Returns the
     * logits of every token ({@code n × vocab}); each row equals what {@link #forward} gives for that token alone.
     */
    public float[] forwardEach(KvCache[] caches, int[] tokens, int[] positions) {
        if (caches.length != tokens.length || positions.length != tokens.length || tokens.length == 0) {
            throw new IllegalArgumentException("one cache and one position per token, and at least one token");
        }
        return run(new Batch(tokens.clone(), caches.clone(), positions.clone(), true), Result.ALL_LOGITS);
    }

    private enum Result { LAST_LOGITS, ALL_LOGITS, HIDDEN }

    /**
     * The tokens of one forward pass: token i at position {@code pos[i]} of {@code caches[i]}. One sequence's
     * prompt batch is one cache with consecutive positions (each token also sees the batch's earlier tokens).
     */
    private record Batch(int[] tokens, KvCache[] caches, int[] pos, boolean exact) {
        static Batch of(KvCache cache, int[] tokens, int offset, int n, int pos) {
            KvCache[] caches = new KvCache[n];
            int[] p = new int[n];
            for (int i = 0; i < n; i++) {
                caches[i] = cache;
                p[i] = pos + i;
            }
            return new Batch(java.util.Arrays.copyOfRange(tokens, offset, offset + n), caches, p, false);
        }

        int size() {
            return tokens.length;
        }
    }

    private float[] run(Batch b, Result result) {
        int n = b.size();
        for (int i = 0; i < n; i++) {
            if (b.pos[i] + 1 > b.caches[i].capacity) throw new IllegalArgumentException("context overflow: " + (b.pos[i] + 1) + " > " + b.caches[i].capacity);
        }
        ModelConfig c = config;
        int dim = c.dim();
        float[] x = new float[n * dim];
        for (int i = 0; i < n; i++) {
            int t = b.tokens[i];
            if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " outside the vocabulary of " + c.vocabSize());
            Dequant.row(tokenEmbd, t, x, i * dim);
        }
        float embScale = embeddingScale();
        if (embScale != 1f) for (int i = 0; i < x.length; i++) x[i] *= embScale;
        float[] xb = new float[n * dim];
        float[] q = new float[n * c.qDim()];
        float[] k = new float[n * c.kvDim()];
        float[] v = new float[n * c.vDim()];
        float[] att = new float[n * c.heads() * c.headDimV()];
        float[] attOut = new float[n * dim];
        float[] gate = new float[n * c.ffnDim()];
        float[] up = new float[n * c.ffnDim()];
        float[] down = new float[n * dim];
        for (int l = 0; l < layers.length; l++) {
            Layer w = layers[l];
            rmsnormRows(xb, x, w.attnNorm(), n);
            if (n == 1) {
                matvecTogether(xb, w.wq(), q, w.wk(), k, w.wv(), v);
            } else {
                project(w.wq(), xb, n, q, b.exact());
                project(w.wk(), xb, n, k, b.exact());
                project(w.wv(), xb, n, v, b.exact());
            }
            final int layer = l;
            // biases, q/k norms and RoPE per token, then the keys and values into the cache
            forEachToken(n, i -> {
                int p = b.pos[i];
                KvCache cache = b.caches[i];
                addBias(q, i * c.qDim(), w.bq());
                addBias(k, i * c.kvDim(), w.bk());
                addBias(v, i * c.vDim(), w.bv());
                for (int h = 0; h < c.heads(); h++) {
                    int off = i * c.qDim() + h * c.headDim();
                    if (w.qNorm() != null) Ops.rmsnorm(q, off, q, off, w.qNorm(), c.headDim(), c.rmsEps());
                    Ops.rope(q, off, c.ropeDim(), p, thetaScale[layer], c.ropeFreqScale(), ropeFreqs, c.ropeNeox());
                }
                for (int h = 0; h < c.kvHeads(); h++) {
                    int off = i * c.kvDim() + h * c.headDim();
                    if (w.kNorm() != null) Ops.rmsnorm(k, off, k, off, w.kNorm(), c.headDim(), c.rmsEps());
                    Ops.rope(k, off, c.ropeDim(), p, thetaScale[layer], c.ropeFreqScale(), ropeFreqs, c.ropeNeox());
                }
                cache.storeKey(layer, p, k, i * c.kvDim());
                cache.storeValue(layer, p, v, i * c.vDim());
            });
            attention(b, l, q, att);
            project(w.wo(), att, n, attOut, b.exact());
            if (w.postAttnNorm() != null) rmsnormRows(attOut, attOut, w.postAttnNorm(), n);
            for (int i = 0; i < n * dim; i++) x[i] += attOut[i];

            rmsnormRows(xb, x, w.ffnNorm(), n);
            if (n == 1) {
                matvecTogether(xb, w.gate(), gate, w.up(), up, null, null);
            } else {
                project(w.gate(), xb, n, gate, b.exact());
                project(w.up(), xb, n, up, b.exact());
            }
            int ffn = c.ffnDim();
            boolean gelu = geluFeedForward();
            forEachToken(n, i -> {
                if (gelu) for (int j = i * ffn; j < (i + 1) * ffn; j++) gate[j] = Ops.geluTable(gate[j]) * up[j];
                else for (int j = i * ffn; j < (i + 1) * ffn; j++) gate[j] = Ops.silu(gate[j]) * up[j];
            });
            project(w.down(), gate, n, down, b.exact());
            if (w.postFfnNorm() != null) rmsnormRows(down, down, w.postFfnNorm(), n);
            for (int i = 0; i < n * dim; i++) x[i] += down[i];
        }
        int first = result == Result.LAST_LOGITS ? n - 1 : 0;
        int m = n - first;
        float[] normed = new float[m * dim];
        for (int i = 0; i < m; i++) Ops.rmsnorm(normed, i * dim, x, (first + i) * dim, outputNorm, dim, c.rmsEps());
        if (result == Result.HIDDEN) return normed;
        float[] logits = new float[m * c.vocabSize()];
        project(output, normed, m, logits, b.exact());
        return logits;
    }

    /** A projection of n tokens; {@code exact}: each token's result bit-equal to its own matvec (batched decoding). */
    private static void project(Tensor w, float[] in, int n, float[] out, boolean exact) {
        if (n == 1) MatMul.matvec(w, in, out);
        else if (exact) MatMul.matmulExact(w, in, n, out);
        else MatMul.matmul(w, in, n, out);
    }

    private static void addBias(float[] x, int off, float[] bias) {
        if (bias == null) return;
        for (int j = 0; j < bias.length; j++) x[off + j] += bias[j];
    }

    private void rmsnormRows(float[] out, float[] x, float[] weight, int n) {
        int dim = config.dim();
        forEachToken(n, i -> Ops.rmsnorm(out, i * dim, x, i * dim, weight, dim, config.rmsEps()));
    }

    /** Runs a per-token step for tokens [0, n): on the compute threads for a batch, inline for one token. */
    private static void forEachToken(int n, java.util.function.IntConsumer step) {
        if (n == 1) {
            step.accept(0);
            return;
        }
        ComputePool.parallelFor(n, (from, to) -> {
            for (int i = from; i < to; i++) step.accept(i);
        });
    }

    /**
     * Two or three matrix×vector products of the same input in one parallel pass over their concatenated rows
     * (one hand-off to the compute threads instead of one per matrix; every row is computed exactly as by matvec).
     */
    private static void matvecTogether(float[] x, Tensor w1, float[] o1, Tensor w2, float[] o2, Tensor w3, float[] o3) {
        int r1 = w1.rows(), r2 = w2.rows(), r3 = w3 == null ? 0 : w3.rows();
        // split on whole row groups when every matrix has them (packed matrices must be cut there)
        int unit = r1 % Repack.GROUP == 0 && r2 % Repack.GROUP == 0 && r3 % Repack.GROUP == 0 ? Repack.GROUP : 1;
        // the input converted once per vec_dot type, not once per matrix and thread
        ActivationQuant.Activations a1 = ActivationQuant.quantize(w1.type(), x, w1.cols(), 1);
        ActivationQuant.Activations a2 = ActivationQuant.dotType(w2.type()) == a1.type() ? a1 : ActivationQuant.quantize(w2.type(), x, w2.cols(), 1);
        ActivationQuant.Activations a3 = w3 == null ? null : ActivationQuant.dotType(w3.type()) == a1.type() ? a1
                : ActivationQuant.dotType(w3.type()) == a2.type() ? a2 : ActivationQuant.quantize(w3.type(), x, w3.cols(), 1);
        ComputePool.parallelFor((r1 + r2 + r3) / unit, (fromUnit, toUnit) -> {
            int from = fromUnit * unit, to = toUnit * unit;
            if (from < r1) MatMul.matvecRange(w1, a1, o1, from, Math.min(to, r1));
            if (to > r1 && from < r1 + r2) MatMul.matvecRange(w2, a2, o2, Math.max(from, r1) - r1, Math.min(to, r1 + r2) - r1);
            if (to > r1 + r2) MatMul.matvecRange(w3, a3, o3, Math.max(from, r1 + r2) - r1 - r2, to - r1 - r2);
        });
    }

    /**
     * Causal grouped-query attention of the n new tokens over the cache, in parallel over (head, token). Work items
     * run head-major, so that each thread's contiguous share holds early and late tokens alike (causal attention
     * costs grow with the position). For the F16 cache the rows in use are widened to floats once per layer, not
     * once per query head.
     */
    private void attention(Batch b, int layer, float[] q, float[] out) {
        int n = b.size();
        int heads = config.heads();
        float scale = (float) (1.0 / Math.sqrt(config.headDim()));
        if (scalesQueryFirst()) {
            for (int i = 0; i < n * config.qDim(); i++) q[i] *= scale;
            scale = 1f;
        }
        float attnScale = scale;
        int win = window[layer];
        int[] len = new int[n];
        for (int i = 0; i < n; i++) len[i] = b.pos[i] + 1;
        if (b.caches[0].type == KvCache.Type.F32) {
            ComputePool.parallelFor(n * heads, (from, to) -> attendF32(b.caches, layer, q, out, n, len, from, to, attnScale, win));
        } else {
            // each cache's rows in use are widened once per layer (one widen per sequence of the batch)
            KvCache.Widened[] kv = new KvCache.Widened[n];
            for (int i = 0; i < n; i++) {
                if (kv[i] != null) continue;
                int rows = 0;
                for (int j = i; j < n; j++) if (b.caches[j] == b.caches[i]) rows = Math.max(rows, len[j]);
                // a batch scores its keys 16 positions at a time, from transposed keys
                KvCache.Widened w = n > 1 && Ops.TRANSPOSED_SCORES ? b.caches[i].widenTransposed(layer, rows) : b.caches[i].widen(layer, rows);
                for (int j = i; j < n; j++) if (b.caches[j] == b.caches[i]) kv[j] = w;
            }
            ComputePool.parallelFor(n * heads, (from, to) -> attendF16(config, kv, len, q, out, n, from, to, attnScale, win));
        }
    }

    /** ggml's plain path: scores in f32, a full softmax (sum in double), then the weighted sum of values. */
    private void attendF32(KvCache[] caches, int layer, float[] q, float[] out, int n, int[] lens, int from, int to, float scale, int window) {
        ModelConfig c = config;
        int heads = c.heads(), hd = c.headDim(), hdv = c.headDimV(), group = heads / c.kvHeads();
        int maxLen = 0;
        for (int l : lens) maxLen = Math.max(maxLen, l);
        float[] scores = new float[maxLen];
        for (int item = from; item < to; item++) {
            int i = item % n, h = item / n, kvh = h / group;
            KvCache cache = caches[i];
            MemorySegment keys = cache.keys[layer], values = cache.values[layer];
            int len = lens[i];
            int start = window > 0 ? Math.max(0, len - window) : 0;
            int qOff = i * c.qDim() + h * hd;
            float max = Float.NEGATIVE_INFINITY;
            for (int t = start; t < len; t++) {
                float s = Ops.dot(q, qOff, keys, ((long) t * cache.kvDim + (long) kvh * hd) * Float.BYTES, hd) * scale;
                scores[t] = s;
                if (s > max) max = s;
            }
            double sum = 0;
            for (int t = start; t < len; t++) {
                float e = (float) Math.exp(scores[t] - max);
                scores[t] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            int oOff = i * heads * hdv + h * hdv;
            Arrays.fill(out, oOff, oOff + hdv, 0f);
            for (int t = start; t < len; t++) {
                Ops.axpy(out, oOff, scores[t] * inv, values, ((long) t * cache.vDim + (long) kvh * hdv) * Float.BYTES, hdv);
            }
        }
    }

    /**
     * ggml's CPU flash-attention kernel over an F16 cache: q rounded to f16, an online softmax (running max M and
     * sum S), and the value accumulator kept in f16 (rounded after every scale and every add), divided by S at the end.
     * Copying its roundings is what keeps our log-probs within a few thousandths of llama.cpp's default settings.
     * The rounding loops are written as separate float→half and half→float passes, which C2 vectorizes.
     */
    static void attendF16(ModelConfig c, KvCache.Widened kv, float[] q, float[] out, int n, int pos, int from, int to) {
        attendF16(c, kv, q, out, n, pos, from, to, (float) (1.0 / Math.sqrt(c.headDim())));
    }

    static void attendF16(ModelConfig c, KvCache.Widened kv, float[] q, float[] out, int n, int pos, int from, int to, float scale) {
        attendF16(c, kv, q, out, n, pos, from, to, scale, 0);
    }

    /** With a sliding window: a query at position p sees keys p-window+1 .. p (the masked keys ggml skips). */
    static void attendF16(ModelConfig c, KvCache.Widened kv, float[] q, float[] out, int n, int pos, int from, int to, float scale, int window) {
        KvCache.Widened[] kvs = new KvCache.Widened[n];
        int[] lens = new int[n];
        for (int i = 0; i < n; i++) {
            kvs[i] = kv;
            lens[i] = pos + i + 1;
        }
        attendF16(c, kvs, lens, q, out, n, from, to, scale, window);
    }

    /** Token i attends to the first {@code lens[i]} rows of {@code kvs[i]}. */
    static void attendF16(ModelConfig c, KvCache.Widened[] kvs, int[] lens, float[] q, float[] out, int n, int from, int to, float scale, int window) {
        int heads = c.heads(), hd = c.headDim(), hdv = c.headDimV(), group = heads / c.kvHeads();
        int kvDim = c.kvDim(), vDim = c.vDim();
        float[] qh = new float[hd];
        short[] half = new short[Math.max(hd, hdv)];
        float[] acc = new float[hdv];
        float[] scores = null;
        for (int item = from; item < to; item++) {
            int i = item % n, h = item / n, kvh = h / group;
            float[] keys = kvs[i].keys(), values = kvs[i].values();
            int len = lens[i];
            int start = window > 0 ? Math.max(0, len - window) : 0;
            int qOff = i * c.qDim() + h * hd;
            for (int d = 0; d < hd; d++) half[d] = Float.floatToFloat16(q[qOff + d]);
            for (int d = 0; d < hd; d++) qh[d] = Float.float16ToFloat(half[d]);
            float[] keysT = kvs[i].keysT();
            if (keysT != null) {
                if (scores == null || scores.length < kvs[i].stride()) scores = new float[kvs[i].stride()];
                Ops.scoresTransposed(qh, hd, keysT, kvs[i].stride(), kvh * hd, start, len, scale, scores);
            }
            Arrays.fill(acc, 0f);
            float m = Float.NEGATIVE_INFINITY, sum = 0f;
            for (int t = start, kOff = kvh * hd + start * kvDim, vOff = kvh * hdv + start * vDim; t < len; t++, kOff += kvDim, vOff += vDim) {
                float s = keysT != null ? scores[t] : Ops.dot(qh, 0, keys, kOff, hd) * scale;
                float ms = 1f, vs = 1f;
                if (s > m) {
                    float old = m;
                    m = s;
                    ms = (float) Math.exp(old - m);
                    for (int d = 0; d < hdv; d++) half[d] = Float.floatToFloat16(acc[d] * ms);
                    for (int d = 0; d < hdv; d++) acc[d] = Float.float16ToFloat(half[d]);
                } else {
                    vs = (float) Math.exp(s - m);
                }
                for (int d = 0; d < hdv; d++) half[d] = Float.floatToFloat16(acc[d] + values[vOff + d] * vs);
                for (int d = 0; d < hdv; d++) acc[d] = Float.float16ToFloat(half[d]);
                sum = sum * ms + vs;
            }
            float inv = sum == 0f ? 0f : 1f / sum;
            int oOff = i * heads * hdv + h * hdv;
            for (int d = 0; d < hdv; d++) out[oOff + d] = acc[d] * inv;
        }
    }

    /**
     * Shifts the cache after dropping {@code discard} positions starting at {@code keep}: rows after them move
     * down and their keys are re-rotated by -discard positions (RoPE is a rotation, so this is exact up to rounding).
     */
    public void shiftCache(KvCache cache, int keep, int discard, int used) {
        ModelConfig c = config;
        int moved = used - keep - discard;
        cache.moveRows(keep + discard, keep, moved);
        float[] row = new float[c.kvDim()];
        for (int l = 0; l < c.layers(); l++) {
            for (int p = keep; p < keep + moved; p++) {
                cache.loadKeyRow(l, p, row);
                for (int h = 0; h < c.kvHeads(); h++) {
                    Ops.rope(row, h * c.headDim(), c.ropeDim(), -discard, thetaScale[l], c.ropeFreqScale(), ropeFreqs, c.ropeNeox());
                }
                cache.storeKeyRow(l, p, row);
            }
        }
    }

    @Override
    public void close() {
        file.close();
    }

    // ---- loading helpers ----

    private Tensor tensor(String name, int cols, int rows) throws GgufFormatException {
        var info = file.tensor(name);
        if (info == null) throw new GgufFormatException(file.path() + ": missing tensor " + name);
        if (info.shape()[0] != cols || info.rows() != rows) {
            throw new GgufFormatException(file.path() + ": tensor " + name + " has shape " + Arrays.toString(info.shape())
                    + ", expected [" + cols + ", " + rows + "]");
        }
        if (!info.type().supported) throw new GgufFormatException(file.path() + ": tensor " + name + " has type " + info.type() + ", which Jollama cannot compute with yet");
        return Tensor.of(file, info);
    }

    private float[] vector(String name, int len) throws GgufFormatException {
        float[] v = optionalVector(name, len);
        if (v == null) throw new GgufFormatException(file.path() + ": missing tensor " + name);
        return v;
    }

    private float[] optionalVector(String name, int len) throws GgufFormatException {
        var info = file.tensor(name);
        if (info == null) return null;
        if (info.elementCount() != len) throw new GgufFormatException(file.path() + ": tensor " + name + " has " + info.elementCount() + " values, expected " + len);
        return Dequant.all(Tensor.of(file, info));
    }
}
