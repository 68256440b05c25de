package io.jollama.engine.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The reorganised F16 attention (rows widened once per layer, head-major work items, split rounding loops) gives the
 * same bits as the plain one-position-at-a-time form of ggml's flash-attention kernel, written out here scalar.
 */
class AttentionF16Test {

    private static float r16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    /** The straightforward form: f16 q, online softmax, f16 accumulator rounded after every scale and add. */
    private static void reference(ModelConfig c, KvCache cache, int layer, float[] q, float[] out, int n, int pos) {
        int heads = c.heads(), hd = c.headDim(), hdv = c.headDimV(), group = heads / c.kvHeads();
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] qh = new float[hd], k = new float[hd], v = new float[hdv], acc = new float[hdv];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / group, len = pos + i + 1, qOff = i * c.qDim() + h * hd;
                for (int d = 0; d < hd; d++) qh[d] = r16(q[qOff + d]);
                java.util.Arrays.fill(acc, 0f);
                float m = Float.NEGATIVE_INFINITY, sum = 0f;
                for (int t = 0; t < len; t++) {
                    cache.load(cache.keys[layer], (long) t * cache.kvDim + (long) kvh * hd, k, 0, hd);
                    float s = Ops.dot(qh, k, hd) * scale;
                    float ms = 1f, vs = 1f;
                    if (s > m) {
                        float old = m;
                        m = s;
                        ms = (float) Math.exp(old - m);
                        for (int d = 0; d < hdv; d++) acc[d] = r16(acc[d] * ms);
                    } else {
                        vs = (float) Math.exp(s - m);
                    }
                    cache.load(cache.values[layer], (long) t * cache.vDim + (long) kvh * hdv, v, 0, hdv);
                    for (int d = 0; d < hdv; d++) acc[d] = r16(acc[d] + v[d] * vs);
                    sum = sum * ms + vs;
                }
                float inv = sum == 0f ? 0f : 1f / sum;
                for (int d = 0; d < hdv; d++) out[i * heads * hdv + h * hdv + d] = acc[d] * inv;
            }
        }
    }

    @Test
    void sameBitsAsThePlainKernel() {
        // 8 query heads over 2 KV heads of 64, as TinyLlama's grouping; a prefill of 37 tokens after 20 cached ones
        ModelConfig c = new ModelConfig("llama", 512, 2, 8, 2, 64, 64, 1024, 100, 128, 1e-5f, 10000f, 64, false, 1f);
        int pos = 20, n = 37, layer = 1;
        Random r = new Random(7);
        try (KvCache cache = new KvCache(c, 64, KvCache.Type.F16)) {
            float[] row = new float[c.kvDim()];
            for (int p = 0; p < pos + n; p++) {
                for (int j = 0; j < row.length; j++) row[j] = (float) r.nextGaussian() * 2;
                cache.storeKey(layer, p, row, 0);
                for (int j = 0; j < row.length; j++) row[j] = (float) r.nextGaussian();
                cache.storeValue(layer, p, row, 0);
            }
            float[] q = new float[n * c.qDim()];
            for (int j = 0; j < q.length; j++) q[j] = (float) r.nextGaussian() * 3;
            float[] expected = new float[n * c.heads() * c.headDimV()];
            reference(c, cache, layer, q, expected, n, pos);
            float[] actual = new float[expected.length];
            KvCache.Widened kv = cache.widen(layer, pos + n);
            KvCache.Widened[] kvs = new KvCache.Widened[n];
            int[] lens = new int[n];
            for (int i = 0; i < n; i++) {
                kvs[i] = kv;
                lens[i] = pos + i + 1;
            }
            float scale = (float) (1.0 / Math.sqrt(c.headDim()));
            // in two uneven chunks, as two compute threads would split the work items
            Attention.attendF16(c, kvs, lens, q, actual, n, 0, 101, scale, 0);
            Attention.attendF16(c, kvs, lens, q, actual, n, 101, n * c.heads(), scale, 0);
            for (int j = 0; j < expected.length; j++) {
                assertEquals(Float.floatToRawIntBits(expected[j]), Float.floatToRawIntBits(actual[j]), "output " + j);
            }
        }
    }
}
