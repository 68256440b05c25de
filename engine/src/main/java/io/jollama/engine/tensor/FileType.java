package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;

import java.util.Locale;

/**
 * llama.cpp's file types ({@code llama_ftype}, stored as {@code general.file_type}) under Ollama's names, and the
 * per-tensor type each one chooses, following llama.cpp's {@code llama_tensor_get_type} (src/llama-quant.cpp)
 * without importance matrix and without user overrides.
 * <p>
 * A "mix" such as Q4_K_M quantizes most weights to its base type and gives chosen tensors more bits: the output
 * matrix (or the token embedding when it is tied to the output) gets Q6_K, attn_v and ffn_down of the "more bits"
 * layers get Q6_K, and so on. 1-D tensors, norms and a few small special tensors are not quantized at all.
 */
public enum FileType {
    F32(0, "F32", GgmlType.F32),
    F16(1, "F16", GgmlType.F16),
    Q4_0(2, "Q4_0", GgmlType.Q4_0),
    Q4_1(3, "Q4_1", GgmlType.Q4_1),
    Q8_0(7, "Q8_0", GgmlType.Q8_0),
    Q5_0(8, "Q5_0", GgmlType.Q5_0),
    Q5_1(9, "Q5_1", GgmlType.Q5_1),
    Q2_K(10, "Q2_K", GgmlType.Q2_K),
    Q3_K_S(11, "Q3_K_S", GgmlType.Q3_K),
    Q3_K_M(12, "Q3_K_M", GgmlType.Q3_K),
    Q3_K_L(13, "Q3_K_L", GgmlType.Q3_K),
    Q4_K_S(14, "Q4_K_S", GgmlType.Q4_K),
    Q4_K_M(15, "Q4_K_M", GgmlType.Q4_K),
    Q5_K_S(16, "Q5_K_S", GgmlType.Q5_K),
    Q5_K_M(17, "Q5_K_M", GgmlType.Q5_K),
    Q6_K(18, "Q6_K", GgmlType.Q6_K),
    BF16(32, "BF16", GgmlType.BF16);

    /** llama.cpp's {@code general.file_type} number. */
    public final int id;
    /** Ollama's name (also llama-quantize's). */
    public final String displayName;
    /** The type most weights get. */
    public final GgmlType baseType;

    FileType(int id, String displayName, GgmlType baseType) {
        this.id = id;
        this.displayName = displayName;
        this.baseType = baseType;
    }

    @Override
    public String toString() {
        return displayName;
    }

    /** The file type with this {@code general.file_type} number, or null. */
    public static FileType byId(int id) {
        for (FileType f : values()) if (f.id == id) return f;
        return null;
    }

    /**
     * Parses a name case-insensitively ("q4_K_M", "Q8_0", "f16"); "Q3_K", "Q4_K" and "Q5_K" are the M mixes,
     * as in llama-quantize and Ollama.
     */
    public static FileType parse(String name) {
        String s = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
        switch (s) {
            case "Q3_K" -> { return Q3_K_M; }
            case "Q4_K" -> { return Q4_K_M; }
            case "Q5_K" -> { return Q5_K_M; }
            default -> {
                for (FileType f : values()) if (f.displayName.equals(s)) return f;
            }
        }
        StringBuilder all = new StringBuilder();
        for (FileType f : values()) all.append(all.isEmpty() ? "" : ", ").append(f.displayName);
        throw new IllegalArgumentException("unsupported quantization type " + name + " - supported types are " + all);
    }

    /**
     * What the rules need to know about the model. {@code nAttentionV} is the number of attn_v (or fused attn_qkv /
     * attn_kv_b) tensors, normally one per layer; {@code hasOutput} is false when the output is tied to the token
     * embedding (then token_embd is treated as the output matrix).
     */
    public record ModelInfo(String arch, int nLayers, int nExpert, int nHead, int nHeadKv, int nAttentionV, boolean hasOutput) {

        /** Reads the hyper-parameters from a GGUF's metadata and tensor names. */
        public static ModelInfo of(GgufFile f) {
            String arch = f.getString("general.architecture", "");
            int nLayers = f.getInt(arch + ".block_count", 0);
            int nHead = firstInt(f, arch + ".attention.head_count", 0);
            int nHeadKv = firstInt(f, arch + ".attention.head_count_kv", nHead);
            int nExpert = f.getInt(arch + ".expert_count", 0);
            int nAttnV = 0;
            for (GgufTensorInfo t : f.tensors()) if (isAttnV(category(t.name()))) nAttnV++;
            return new ModelInfo(arch, nLayers, nExpert, nHead, nHeadKv, nAttnV, f.hasTensor("output.weight"));
        }

        private static int firstInt(GgufFile f, String key, int fallback) {
            int[] arr = f.getInts(key);
            if (arr != null) return arr.length > 0 ? arr[0] : fallback;
            return f.getInt(key, fallback);
        }

        /** Query heads per KV head (llama.cpp's n_gqa()), 0 if unknown. */
        public int nGqa() {
            return nHeadKv > 0 ? nHead / nHeadKv : 0;
        }
    }

    private enum Category { TOKEN_EMBD, ATTN_Q, ATTN_V, ATTN_K, ATTN_QKV, ATTN_KV_B, ATTN_OUTPUT, FFN_UP, FFN_GATE, FFN_DOWN, OUTPUT, OTHER }

    private static Category category(String name) {
        if (name.equals("output.weight")) return Category.OUTPUT;
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) return Category.TOKEN_EMBD;
        if (name.contains("attn_qkv.weight")) return Category.ATTN_QKV;
        if (name.contains("attn_kv_b.weight")) return Category.ATTN_KV_B;
        if (name.contains("attn_v.weight")) return Category.ATTN_V;
        if (name.contains("attn_k.weight")) return Category.ATTN_K;
        if (name.contains("attn_q.weight")) return Category.ATTN_Q;
        if (name.contains("attn_output.weight")) return Category.ATTN_OUTPUT;
        if (name.contains("ffn_up")) return Category.FFN_UP;
        if (name.contains("ffn_gate")) return Category.FFN_GATE;
        if (name.contains("ffn_down")) return Category.FFN_DOWN;
        return Category.OTHER;
    }

    private static boolean isAttnV(Category c) {
        return c == Category.ATTN_V || c == Category.ATTN_QKV || c == Category.ATTN_KV_B;
    }

    /**
     * Whether llama.cpp quantizes this tensor at all: only 2-D and 3-D "...weight" tensors, never norms, expert
     * routers, positional or token-type embeddings and a few small special tensors. Others keep their type.
     */
    public static boolean quantizable(String name, long[] shape) {
        int dims = shape.length;
        while (dims > 1 && shape[dims - 1] == 1) dims--; // ggml_n_dims ignores trailing 1s
        if (dims < 2) return false;
        if (!name.endsWith("weight")) return false;
        String[] excluded = {"_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel",
                "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
                "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_v0.weight",
                "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight",
                "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight",
                "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_",
                ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd"};
        for (String e : excluded) if (name.contains(e)) return false;
        return !name.equals("position_embd.weight") && !name.equals("token_types.weight");
    }

    /** llama.cpp's use_more_bits: the first and last eighth of the layers and every third layer in between. */
    static boolean useMoreBits(int layer, int nLayers) {
        return layer < nLayers / 8 || layer >= 7 * nLayers / 8 || (layer - nLayers / 8) % 3 == 2;
    }

    /** The layer number of a "blk.N." tensor name, or -1. */
    static int layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int end = name.indexOf('.', 4);
        if (end < 0) return -1;
        try {
            return Integer.parseInt(name.substring(4, end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The type this file type gives the tensor {@code name} of {@code shape} (ggml order, shape[0] = row length).
     * Tensors that are not {@link #quantizable} get F32 (llama.cpp keeps their type; in F32/F16/BF16 sources
     * those are F32). The layer of a tensor is read from its "blk.N." name, which is what llama.cpp's counters
     * amount to for models with one attn_v / ffn_down per layer.
     */
    public GgmlType typeFor(String name, long[] shape, ModelInfo model) {
        if (!quantizable(name, shape)) return GgmlType.F32;
        if (!baseType.isQuantized()) return baseType;
        GgmlType t = mixType(name, shape, model);
        return fallback(t, shape[0]);
    }

    private GgmlType mixType(String name, long[] shape, ModelInfo m) {
        GgmlType t = baseType;
        Category cat = category(name);
        boolean falcon = m.arch().equals("falcon");
        int nLayers = Math.max(1, m.nLayers());
        int layer = Math.max(0, layerOf(name));
        if (cat == Category.OUTPUT || (!m.hasOutput() && cat == Category.TOKEN_EMBD)) {
            if (falcon || shape[0] % baseType.blockSize != 0) return GgmlType.Q8_0;
            return t != GgmlType.Q8_0 ? GgmlType.Q6_K : t;
        }
        if (cat == Category.TOKEN_EMBD) return t;
        if (isAttnV(cat)) {
            int nAttnV = m.nAttentionV() > 0 ? m.nAttentionV() : nLayers;
            switch (this) {
                case Q2_K -> t = m.nGqa() >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                case Q3_K_M -> t = layer < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> t = GgmlType.Q5_K;
                case Q4_K_M, Q5_K_M -> { if (useMoreBits(layer, nAttnV)) t = GgmlType.Q6_K; }
                case Q4_K_S -> { if (layer < 4) t = GgmlType.Q5_K; }
                default -> { }
            }
            if (is70B(m) && (t == GgmlType.Q3_K || t == GgmlType.Q4_K)) t = GgmlType.Q5_K;
            if (m.nExpert() == 8) t = GgmlType.Q8_0;
            return t;
        }
        switch (cat) {
            case ATTN_K -> { if (m.nExpert() == 8) t = GgmlType.Q8_0; }
            case FFN_DOWN -> {
                switch (this) {
                    case Q2_K -> t = GgmlType.Q3_K;
                    case Q3_K_M -> t = layer < nLayers / 16 ? GgmlType.Q5_K
                            : !falcon || useMoreBits(layer, nLayers) ? GgmlType.Q4_K : GgmlType.Q3_K;
                    case Q3_K_L -> t = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
                    case Q4_K_M -> {
                        if (falcon) t = layer < nLayers / 16 ? GgmlType.Q6_K : useMoreBits(layer, nLayers) ? GgmlType.Q5_K : GgmlType.Q4_K;
                        else if (useMoreBits(layer, nLayers)) t = GgmlType.Q6_K;
                    }
                    case Q5_K_M -> { if (useMoreBits(layer, nLayers)) t = GgmlType.Q6_K; }
                    case Q4_K_S -> { if (!falcon && layer < nLayers / 8) t = GgmlType.Q5_K; }
                    default -> { }
                }
            }
            case ATTN_OUTPUT -> {
                if (!falcon) {
                    if (m.nExpert() == 8) {
                        if (this == Q2_K || this == Q3_K_S || this == Q3_K_M || this == Q4_K_S || this == Q4_K_M) t = GgmlType.Q5_K;
                    } else if (this == Q2_K) {
                        t = GgmlType.Q3_K;
                    } else if (this == Q3_K_M) {
                        t = GgmlType.Q4_K;
                    } else if (this == Q3_K_L) {
                        t = GgmlType.Q5_K;
                    }
                } else if (this == Q3_K_L) {
                    t = GgmlType.Q4_K;
                }
            }
            default -> { }
        }
        return t;
    }

    /** llama.cpp treats llama-architecture models with 80 layers and grouped-query attention as its "70B" type. */
    private static boolean is70B(ModelInfo m) {
        return m.arch().equals("llama") && m.nLayers() == 80 && m.nHead() != m.nHeadKv();
    }

    /**
     * Rows that do not fill whole blocks: llama.cpp's fallback table (Q2_K/Q3_K → Q4_0, Q4_K → Q5_0, Q5_K → Q5_1,
     * Q6_K → Q8_0), then F16 if the row does not fit that either. The 32-wide types go straight to F16: that is what
     * llama-quantize did for stories260K's 172-wide ffn_down in Q8_0 (the newest llama.cpp refuses such a tensor).
     */
    static GgmlType fallback(GgmlType t, long rowLength) {
        if (rowLength % t.blockSize == 0) return t;
        GgmlType r = switch (t) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> GgmlType.F16;
        };
        return rowLength % r.blockSize == 0 ? r : GgmlType.F16;
    }
}
