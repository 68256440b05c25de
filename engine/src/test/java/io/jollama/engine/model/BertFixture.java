package io.jollama.engine.model;

import io.jollama.engine.TestData;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufWriter;
import io.jollama.engine.gguf.GgmlType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes small random-weight encoder models ({@code bert} with CLS pooling, {@code nomic-bert} with mean pooling)
 * with the WordPiece vocabulary of the shared {@code ggml-vocab-bert-bge.gguf}, the same bytes on every run (a
 * seeded generator). llama.cpp's embeddings of these very files are in {@code bert-reference.json}; to take them
 * again: {@code java ... BertFixture DIR}, then {@code llama-embedding -m DIR/bert.gguf -p TEXT --embd-normalize -1}.
 */
public final class BertFixture {
    static final int DIM = 64, HEADS = 4, LAYERS = 2, FFN = 128, CTX = 128;

    private BertFixture() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        write(dir.resolve("bert.gguf"), "bert");
        write(dir.resolve("nomic-bert.gguf"), "nomic-bert");
    }

    public static void write(Path target, String arch) throws IOException {
        boolean nomic = arch.equals("nomic-bert");
        SplittableRandom rnd = new SplittableRandom(nomic ? 7 : 3);
        GgufWriter w = new GgufWriter();
        try (GgufFile vocab = GgufFile.open(TestData.path("vocab/ggml-vocab-bert-bge.gguf"))) {
            vocab.metadata().forEach((k, v) -> { if (k.startsWith("tokenizer.")) w.put(k, v); });
        }
        int vocabSize = 30522;
        w.put("general.architecture", arch);
        w.put("general.name", "random " + arch);
        w.putU32(arch + ".context_length", CTX);
        w.putU32(arch + ".embedding_length", DIM);
        w.putU32(arch + ".feed_forward_length", FFN);
        w.putU32(arch + ".block_count", LAYERS);
        w.putU32(arch + ".attention.head_count", HEADS);
        w.putF32(arch + ".attention.layer_norm_epsilon", 1e-12f);
        w.putBool(arch + ".attention.causal", false);
        w.putU32(arch + ".pooling_type", nomic ? 1 : 2);
        if (nomic) w.putF32(arch + ".rope.freq_base", 1000f);
        matrix(w, rnd, "token_embd.weight", DIM, vocabSize, 0.5f);
        matrix(w, rnd, "token_types.weight", DIM, 2, 0.1f);
        if (!nomic) matrix(w, rnd, "position_embd.weight", DIM, CTX, 0.1f);
        norm(w, rnd, "token_embd_norm");
        for (int l = 0; l < LAYERS; l++) {
            String p = "blk." + l + ".";
            float s = (float) (1 / Math.sqrt(DIM));
            if (nomic) {
                matrix(w, rnd, p + "attn_qkv.weight", DIM, 3 * DIM, s);
            } else {
                for (String t : new String[]{"attn_q", "attn_k", "attn_v"}) {
                    matrix(w, rnd, p + t + ".weight", DIM, DIM, s);
                    vector(w, rnd, p + t + ".bias", DIM, 0f, 0.1f);
                }
            }
            matrix(w, rnd, p + "attn_output.weight", DIM, DIM, s);
            if (!nomic) vector(w, rnd, p + "attn_output.bias", DIM, 0f, 0.1f);
            norm(w, rnd, p + "attn_output_norm");
            matrix(w, rnd, p + "ffn_up.weight", DIM, FFN, s);
            if (nomic) {
                matrix(w, rnd, p + "ffn_gate.weight", DIM, FFN, s);
            } else {
                vector(w, rnd, p + "ffn_up.bias", FFN, 0f, 0.1f);
            }
            matrix(w, rnd, p + "ffn_down.weight", FFN, DIM, (float) (1 / Math.sqrt(FFN)));
            if (!nomic) vector(w, rnd, p + "ffn_down.bias", DIM, 0f, 0.1f);
            norm(w, rnd, p + "layer_output_norm");
        }
        w.write(target);
    }

    private static void norm(GgufWriter w, SplittableRandom rnd, String name) {
        vector(w, rnd, name + ".weight", DIM, 1f, 0.2f);
        vector(w, rnd, name + ".bias", DIM, 0f, 0.1f);
    }

    private static void matrix(GgufWriter w, SplittableRandom rnd, String name, int cols, int rows, float scale) {
        w.addTensor(name, GgmlType.F32, new long[]{cols, rows}, floats(rnd, cols * rows, 0f, scale));
    }

    private static void vector(GgufWriter w, SplittableRandom rnd, String name, int n, float center, float scale) {
        w.addTensor(name, GgmlType.F32, new long[]{n}, floats(rnd, n, center, scale));
    }

    private static byte[] floats(SplittableRandom rnd, int n, float center, float scale) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) b.putFloat(center + scale * (float) (2 * rnd.nextDouble() - 1));
        return b.array();
    }
}
