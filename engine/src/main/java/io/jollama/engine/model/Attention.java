package io.jollama.engine.model;

import io.jollama.engine.tensor.ComputePool;
import io.jollama.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static io.jollama.engine.model.ForwardPass.Buffer;

/**
 * Self-attention of one layer with grouped-query heads, and its variants: causal over a cache (decoders) or over
 * the whole sequence without a cache (encoders: BERT), biases on q, k, v (Qwen2, BERT) and the output (BERT),
 * per-head norms of q and k before RoPE (Qwen3, Gemma 3), a sliding window (Gemma 3's local layers), and q scaled
 * by 1/√head_dim before the scores instead of scaling the scores (phi3, Gemma 3: the same math with llama.cpp's
 * rounding), RoPE or none (absolute positions added to the embeddings). Optional parts are null. In causal
 * attention the keys and values of the batch go into each token's cache at its position.
 *
 * @param layer  the layer index, which selects the cache rows of this layer
 * @param window the sliding window (a query at position p sees keys p-window+1 .. p), 0 for full causal attention
 */
public record Attention(int layer, ModelConfig config, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                        float[] bq, float[] bk, float[] bv, float[] bo, Norm qNorm, Norm kNorm, Rope rope,
                        int window, boolean scaleQueryFirst, boolean causal) {

    public Attention withWindow(int window) {
        return new Attention(layer, config, wq, wk, wv, wo, bq, bk, bv, bo, qNorm, kNorm, rope, window, scaleQueryFirst, causal);
    }

    public Attention scalingQueryFirst() {
        return new Attention(layer, config, wq, wk, wv, wo, bq, bk, bv, bo, qNorm, kNorm, rope, window, true, causal);
    }

    /** Bidirectional attention within each sequence of an encoder's batch, with an output bias (or null). */
    public Attention bidirectional(float[] outputBias) {
        return new Attention(layer, config, wq, wk, wv, wo, bq, bk, bv, outputBias, qNorm, kNorm, rope, window, scaleQueryFirst, false);
    }

    /** Attends the pass's tokens ({@code x}: their normed states) and writes the output projection into {@code out}. */
    void forward(ForwardPass p, float[] x, float[] out) {
        ModelConfig c = config;
        Batch b = p.batch;
        float[] q = p.buffer(Buffer.Q, c.qDim());
        float[] k = p.buffer(Buffer.K, c.kvDim());
        float[] v = p.buffer(Buffer.V, c.vDim());
        p.projectTogether(x, wq, q, wk, k, wv, v);
        // biases, q/k norms and RoPE per token, then the keys and values into the cache
        p.forEachToken(i -> {
            int pos = b.positions()[i];
            addBias(q, i * c.qDim(), bq);
            addBias(k, i * c.kvDim(), bk);
            addBias(v, i * c.vDim(), bv);
            for (int h = 0; h < c.heads(); h++) {
                int off = i * c.qDim() + h * c.headDim();
                if (qNorm != null) qNorm.apply(q, off, q, off);
                if (rope != null) rope.apply(q, off, pos);
            }
            for (int h = 0; h < c.kvHeads(); h++) {
                int off = i * c.kvDim() + h * c.headDim();
                if (kNorm != null) kNorm.apply(k, off, k, off);
                if (rope != null) rope.apply(k, off, pos);
            }
            if (causal) {
                b.caches()[i].storeKey(layer, pos, k, i * c.kvDim());
                b.caches()[i].storeValue(layer, pos, v, i * c.vDim());
            }
        });
        float[] att = p.buffer(Buffer.ATTENTION, c.heads() * c.headDimV());
        if (causal) attend(b, q, att);
        else attendWithin(b, q, k, v, att);
        p.project(wo, att, out);
        if (bo != null) p.forEachToken(i -> addBias(out, i * bo.length, bo));
    }

    /**
     * Bidirectional attention: each token attends to every token of its own sequence in the batch. The keys and
     * values are rounded to f16, as llama.cpp's flash attention does without a cache.
     */
    private void attendWithin(Batch b, float[] q, float[] k, float[] v, float[] out) {
        ModelConfig c = config;
        int n = b.size();
        KvCache.Widened[] kvs = new KvCache.Widened[n];
        int[] lens = new int[n];
        for (int s = 0; s < n; ) {
            int len = b.sequenceLength(s); // walked once per sequence, not once per token
            Arrays.fill(lens, s, s + len, len);
            s += len;
        }
        for (int s = 0; s < n; s += lens[s]) {
            int len = lens[s];
            float[] keys = new float[len * c.kvDim()], values = new float[len * c.vDim()];
            for (int j = 0; j < keys.length; j++) keys[j] = Float.float16ToFloat(Float.floatToFloat16(k[s * c.kvDim() + j]));
            // values head by head ([kv head][position][d]): the weighted sum reads each head's rows contiguously
            // (rows a whole vDim apart map to the same few L1 sets and evict each other)
            int hdv = c.headDimV();
            for (int t = 0; t < len; t++) {
                for (int h = 0; h < c.kvHeads(); h++) {
                    for (int d = 0; d < hdv; d++) {
                        values[(h * len + t) * hdv + d] = Float.float16ToFloat(Float.floatToFloat16(v[(s + t) * c.vDim() + h * hdv + d]));
                    }
                }
            }
            // longer inputs (a vision tower's hundreds of patches) score 16 keys at a time from transposed keys
            float[] keysT = null;
            int stride = 0;
            if (len >= 32 && Ops.TRANSPOSED_SCORES) {
                stride = (len + 15) & ~15;
                keysT = new float[stride * c.kvDim()];
                for (int t = 0; t < len; t++) for (int j = 0; j < c.kvDim(); j++) keysT[j * stride + t] = keys[t * c.kvDim() + j];
            }
            KvCache.Widened w = new KvCache.Widened(keys, values, keysT, stride);
            for (int i = s; i < s + len; i++) kvs[i] = w;
        }
        float scale = queryScale(q, n);
        ComputePool.parallelFor((n + 7) / 8 * c.heads(), (from, to) -> attendAll(c, kvs, lens, q, out, n, from, to, scale));
    }

    /**
     * Attention of each token over all {@code lens[i]} keys and values of {@code kvs[i]} (f16-rounded, as are the
     * queries, like ggml's flash attention; the values stored head by head), with an ordinary softmax and f32 sums:
     * without a cache the inputs are long (a vision tower's hundreds of patches) and emulating the kernel's f16
     * accumulator cost half the time. Work items are (head, 8 consecutive tokens): the 8 queries are scored together
     * against transposed keys when they share their keys.
     */
    private static void attendAll(ModelConfig c, KvCache.Widened[] kvs, int[] lens, float[] q, float[] out, int n, int from, int to, float scale) {
        int heads = c.heads(), hd = c.headDim(), hdv = c.headDimV(), group = heads / c.kvHeads();
        int kvDim = c.kvDim(), blocks = (n + 7) / 8;
        float[] qh = new float[8 * hd];
        float[] scores = new float[0], p = new float[0];
        for (int item = from; item < to; item++) {
            int h = item / blocks, first = (item % blocks) * 8, last = Math.min(n, first + 8), kvh = h / group;
            boolean shared = kvs[first].keysT() != null;
            for (int i = first + 1; i < last && shared; i++) shared = kvs[i] == kvs[first];
            int width = Math.max(lens[first], kvs[first].stride());
            if (scores.length < 8 * width) scores = new float[8 * width];
            java.util.Arrays.fill(qh, 0f);
            for (int i = first; i < last; i++) {
                int qOff = i * c.qDim() + h * hd;
                for (int d = 0; d < hd; d++) qh[(i - first) * hd + d] = Float.float16ToFloat(Float.floatToFloat16(q[qOff + d]));
            }
            if (shared) Ops.scores8Transposed(qh, hd, kvs[first].keysT(), kvs[first].stride(), kvh * hd, lens[first], scale, scores);
            for (int i = first; i < last; i++) {
                KvCache.Widened kv = kvs[i];
                int len = lens[i], row = (i - first) * (shared ? kv.stride() : width);
                if (!shared) {
                    if (scores.length < row + Math.max(len, kv.stride())) scores = java.util.Arrays.copyOf(scores, row + Math.max(len, kv.stride()));
                    for (int t = 0; t < len; t++) scores[row + t] = Ops.dot(qh, (i - first) * hd, kv.keys(), t * kvDim + kvh * hd, hd) * scale;
                }
                float max = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < len; t++) max = Math.max(max, scores[row + t]);
                float sum = 0f;
                if (p.length < len) p = new float[len];
                for (int t = 0; t < len; t++) {
                    float e = (float) Math.exp(scores[row + t] - max);
                    p[t] = e;
                    sum += e;
                }
                int oOff = i * heads * hdv + h * hdv;
                Ops.weightedRows(p, len, kv.values(), kvh * len * hdv, hdv, hdv, out, oOff);
                float inv = 1f / sum;
                for (int d = 0; d < hdv; d++) out[oOff + d] *= inv;
            }
        }
    }

    /** Re-rotates the keys of rows [from, from+count) of this layer by {@code delta} positions. */
    void shiftKeys(KvCache cache, int from, int count, int delta) {
        float[] row = new float[config.kvDim()];
        for (int pos = from; pos < from + count; pos++) {
            cache.loadKeyRow(layer, pos, row);
            for (int h = 0; h < config.kvHeads(); h++) if (rope != null) rope.apply(row, h * config.headDim(), delta);
            cache.storeKeyRow(layer, pos, row);
        }
    }

    private static void addBias(float[] x, int off, float[] bias) {
        if (bias == null) return;
        for (int j = 0; j < bias.length; j++) x[off + j] += bias[j];
    }

    /**
     * Attention of the n tokens over their caches, in parallel over (head, token). Work items run head-major, so
     * that each thread's contiguous share holds early and late tokens alike (causal attention costs grow with the
     * position). For the F16 cache the rows in use are widened to floats once per layer, not once per query head.
     */
    private void attend(Batch b, float[] q, float[] out) {
        int n = b.size();
        int heads = config.heads();
        float attnScale = queryScale(q, n);
        int[] len = new int[n];
        for (int i = 0; i < n; i++) len[i] = b.positions()[i] + 1;
        int[] starts = null;
        if (b.bidirectional()) {
            // every token sees the whole batch (of one cache): rows up to the batch's last position, and with a
            // sliding window the keys from its own position - window + 1 on, later ones included (llama.cpp's mask)
            int last = 0;
            for (int i = 0; i < n; i++) last = Math.max(last, len[i]);
            if (window > 0) {
                starts = new int[n];
                for (int i = 0; i < n; i++) starts[i] = Math.max(0, len[i] - window);
            }
            Arrays.fill(len, last);
        }
        final int[] firstRows = starts;
        KvCache[] caches = b.caches();
        if (caches[0].type == KvCache.Type.F32) {
            ComputePool.parallelFor(n * heads, (from, to) -> attendF32(caches, q, out, n, len, firstRows, from, to, attnScale));
        } else {
            // each cache's rows in use are widened once per layer (one widen per sequence of the batch)
            KvCache.Widened[] kv = new KvCache.Widened[n];
            for (int i = 0; i < n; i++) {
                if (kv[i] != null) continue;
                int rows = 0;
                for (int j = i; j < n; j++) if (caches[j] == caches[i]) rows = Math.max(rows, len[j]);
                // a batch scores its keys 16 positions at a time, from transposed keys
                KvCache.Widened w = n > 1 && Ops.TRANSPOSED_SCORES ? caches[i].widenTransposed(layer, rows) : caches[i].widen(layer, rows);
                for (int j = i; j < n; j++) if (caches[j] == caches[i]) kv[j] = w;
            }
            ComputePool.parallelFor(n * heads, (from, to) -> attendF16(config, kv, len, firstRows, q, out, n, from, to, attnScale, window));
        }
    }

    /** The scale of the scores: 1/√head_dim, or 1 after q was multiplied by it ({@code scaleQueryFirst}). */
    private float queryScale(float[] q, int n) {
        float scale = (float) (1.0 / Math.sqrt(config.headDim()));
        if (!scaleQueryFirst) return scale;
        for (int i = 0; i < n * config.qDim(); i++) q[i] *= scale;
        return 1f;
    }

    /** ggml's plain path: scores in f32, a full softmax (sum in double), then the weighted sum of values. */
    private void attendF32(KvCache[] caches, float[] q, float[] out, int n, int[] lens, int[] starts, int from, int to, float scale) {
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
            int start = starts != null ? starts[i] : window > 0 ? Math.max(0, len - window) : 0;
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
     * ggml's CPU flash-attention kernel over an F16 cache, for work items [from, to) of (head, token): token i
     * attends to the first {@code lens[i]} rows of {@code kvs[i]} (the last {@code window} of them with a sliding
     * window). q is rounded to f16, the softmax is online (running max M and sum S), and the value accumulator is
     * kept in f16 (rounded after every scale and every add), divided by S at the end. Copying its roundings is what
     * keeps our log-probs within a few thousandths of llama.cpp's default settings. The rounding loops are written
     * as separate float→half and half→float passes, which C2 vectorizes.
     */
    static void attendF16(ModelConfig c, KvCache.Widened[] kvs, int[] lens, float[] q, float[] out, int n, int from, int to, float scale, int window) {
        attendF16(c, kvs, lens, null, q, out, n, from, to, scale, window);
    }

    /** As above; token i's first row is {@code starts[i]} when given (a bidirectional batch with a window). */
    static void attendF16(ModelConfig c, KvCache.Widened[] kvs, int[] lens, int[] starts, float[] q, float[] out, int n, int from, int to, float scale, int window) {
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
            int start = starts != null ? starts[i] : window > 0 ? Math.max(0, len - window) : 0;
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
}
