package io.jollama.server.create;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import io.jollama.engine.gguf.GgmlType;
import io.jollama.server.Json;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Hugging Face model directory (safetensors, config.json, tokenizer.json, tokenizer_config.json,
 * special_tokens_map.json) holding the same model as a shared GGUF: the inverse of llama.cpp's conversion
 * (HF tensor names, HF shapes, Llama's q/k rows un-permuted, Gemma's norms minus one) and a tokenizer.json built
 * from the GGUF's vocabulary the way Hugging Face's tokenizers describe such a vocabulary.
 */
public final class HfDirectory {

    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private HfDirectory() {}

    private static final Map<String, String> HF_ARCH = Map.of("llama", "LlamaForCausalLM", "qwen2", "Qwen2ForCausalLM",
            "qwen3", "Qwen3ForCausalLM", "gemma3", "Gemma3ForCausalLM", "phi3", "Phi3ForCausalLM");

    /** Writes the directory of the model in {@code gguf} (an F32 file) into {@code dir}, tensors as {@code dtype}; returns its files. */
    public static List<Path> write(Path gguf, Path dir, String dtype, int shards) throws IOException {
        Files.createDirectories(dir);
        try (GgufFile g = GgufFile.open(gguf, false)) {
            String arch = g.getString("general.architecture", "");
            Map<String, float[]> values = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            int heads = g.getInt(arch + ".attention.head_count", 0), kvHeads = g.getInt(arch + ".attention.head_count_kv", heads);
            for (GgufTensorInfo t : g.tensors()) {
                if (t.name().equals("rope_freqs.weight")) continue;
                if (t.type() != GgmlType.F32) throw new IllegalArgumentException("F32 sources only");
                float[] v = g.tensorData(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                long[] shape = new long[t.shape().length];
                for (int i = 0; i < shape.length; i++) shape[i] = t.shape()[shape.length - 1 - i];
                long rowLen = shape.length == 1 ? 1 : shape[1];
                if (arch.equals("llama") && t.name().contains(".attn_q.")) v = unpermute(v, (int) shape[0], rowLen, heads);
                if (arch.equals("llama") && t.name().contains(".attn_k.")) v = unpermute(v, (int) shape[0], rowLen, kvHeads);
                if (arch.equals("gemma3") && t.name().endsWith("norm.weight")) for (int i = 0; i < v.length; i++) v[i] = v[i] - 1.0f;
                values.put(hfName(arch, t.name()), v);
                shapes.put(hfName(arch, t.name()), shape);
            }
            List<Path> files = new ArrayList<>();
            List<String> names = new ArrayList<>(values.keySet());
            ObjectNode weightMap = Json.MAPPER.createObjectNode();
            int per = (names.size() + shards - 1) / shards;
            for (int s = 0; s < shards; s++) {
                String file = shards == 1 ? "model.safetensors" : String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
                Map<String, float[]> part = new LinkedHashMap<>();
                Map<String, long[]> partShapes = new LinkedHashMap<>();
                for (String n : names.subList(s * per, Math.min(names.size(), (s + 1) * per))) {
                    part.put(n, values.get(n));
                    partShapes.put(n, shapes.get(n));
                    weightMap.put(n, file);
                }
                files.add(safetensors(dir.resolve(file), part, partShapes, dtype));
            }
            if (shards > 1) {
                ObjectNode idx = Json.MAPPER.createObjectNode();
                idx.putObject("metadata").put("total_size", 0);
                idx.set("weight_map", weightMap);
                files.add(writeJson(dir.resolve("model.safetensors.index.json"), idx));
            }
            files.add(writeJson(dir.resolve("config.json"), config(g, arch)));
            files.addAll(tokenizer(g, dir));
            return files;
        }
    }

    static String hfName(String arch, String gguf) {
        switch (gguf) {
            case "token_embd.weight": return "model.embed_tokens.weight";
            case "output_norm.weight": return "model.norm.weight";
            case "output.weight": return "lm_head.weight";
            default: break;
        }
        String[] p = gguf.split("\\.");
        String part = switch (p[2]) {
            case "attn_q" -> "self_attn.q_proj";
            case "attn_k" -> "self_attn.k_proj";
            case "attn_v" -> "self_attn.v_proj";
            case "attn_output" -> "self_attn.o_proj";
            case "attn_qkv" -> "self_attn.qkv_proj";
            case "attn_q_norm" -> "self_attn.q_norm";
            case "attn_k_norm" -> "self_attn.k_norm";
            case "ffn_gate" -> "mlp.gate_proj";
            case "ffn_up" -> arch.equals("phi3") ? "mlp.gate_up_proj" : "mlp.up_proj";
            case "ffn_down" -> "mlp.down_proj";
            case "attn_norm" -> "input_layernorm";
            case "ffn_norm" -> arch.equals("gemma3") ? "pre_feedforward_layernorm" : "post_attention_layernorm";
            case "post_attention_norm" -> "post_attention_layernorm";
            case "post_ffw_norm" -> "post_feedforward_layernorm";
            default -> throw new IllegalArgumentException(gguf);
        };
        return "model.layers." + p[1] + "." + part + "." + p[3];
    }

    /** HF's row order of a q/k projection: the inverse of llama.cpp's permute. */
    static float[] unpermute(float[] w, int rows, long rowLen, int heads) {
        int headDim = rows / heads, half = headDim / 2, len = (int) rowLen;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(w, (h * headDim + 2 * i + j) * len, out, (h * headDim + j * half + i) * len, len);
                }
            }
        }
        return out;
    }

    static Path safetensors(Path file, Map<String, float[]> tensors, Map<String, long[]> shapes, String dtype) throws IOException {
        ObjectNode header = Json.MAPPER.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        int es = dtype.equals("F32") ? 4 : 2;
        long off = 0;
        for (var e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype);
            ArrayNode s = t.putArray("shape");
            for (long d : shapes.get(e.getKey())) s.add(d);
            long size = (long) e.getValue().length * es;
            t.putArray("data_offsets").add(off).add(off + size);
            off += size;
        }
        byte[] h = Json.MAPPER.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate((int) (8 + padded + off)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) b.put((byte) ' ');
        for (float[] v : tensors.values()) {
            for (float f : v) {
                switch (dtype) {
                    case "F32" -> b.putFloat(f);
                    case "F16" -> b.putShort(Float.floatToFloat16(f));
                    default -> b.putShort(HfConverter.bf16(f));
                }
            }
        }
        Files.write(file, b.array());
        return file;
    }

    static Path writeJson(Path file, Object node) throws IOException {
        Files.writeString(file, Json.MAPPER.writeValueAsString(node));
        return file;
    }

    private static void put(ObjectNode o, String key, GgufFile g, String ggufKey) {
        if (g.has(ggufKey)) o.put(key, g.getInt(ggufKey, 0));
    }

    private static void putFloat(ObjectNode o, String key, GgufFile g, String ggufKey) {
        if (g.has(ggufKey)) o.put(key, Double.parseDouble(Float.toString(g.getFloat(ggufKey, 0))));
    }

    static ObjectNode config(GgufFile g, String arch) {
        String a = arch + ".";
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add(HF_ARCH.get(arch));
        c.put("model_type", arch);
        put(c, "hidden_size", g, a + "embedding_length");
        put(c, "intermediate_size", g, a + "feed_forward_length");
        put(c, "num_attention_heads", g, a + "attention.head_count");
        put(c, "num_key_value_heads", g, a + "attention.head_count_kv");
        put(c, "num_hidden_layers", g, a + "block_count");
        put(c, "max_position_embeddings", g, a + "context_length");
        put(c, "head_dim", g, a + "attention.key_length");
        putFloat(c, "rms_norm_eps", g, a + "attention.layer_norm_rms_epsilon");
        putFloat(c, "rope_theta", g, a + "rope.freq_base");
        c.put("vocab_size", g.getStrings("tokenizer.ggml.tokens").length);
        c.put("tie_word_embeddings", !g.hasTensor("output.weight"));
        put(c, "bos_token_id", g, "tokenizer.ggml.bos_token_id");
        put(c, "eos_token_id", g, "tokenizer.ggml.eos_token_id");
        if (g.hasTensor("rope_freqs.weight")) {
            ObjectNode r = c.putObject("rope_scaling");
            r.put("rope_type", "llama3").put("factor", 32.0).put("low_freq_factor", 1.0).put("high_freq_factor", 4.0)
                    .put("original_max_position_embeddings", 8192);
        }
        if (arch.equals("gemma3")) {
            put(c, "sliding_window", g, a + "attention.sliding_window");
            put(c, "sliding_window_pattern", g, a + "attention.sliding_window_pattern");
            putFloat(c, "rope_local_base_freq", g, a + "rope.freq_base_swa");
        }
        if (arch.equals("phi3")) {
            put(c, "original_max_position_embeddings", g, a + "context_length");
            c.putNull("sliding_window");
        }
        return c;
    }

    // ------------------------------------------------------------------ tokenizer

    /** tokenizer.json, tokenizer_config.json and special_tokens_map.json for the GGUF's vocabulary. */
    static List<Path> tokenizer(GgufFile g, Path dir) throws IOException {
        String[] tokens = g.getStrings("tokenizer.ggml.tokens");
        int[] types = g.getInts("tokenizer.ggml.token_type");
        String model = g.getString("tokenizer.ggml.model", "");
        String pre = g.getString("tokenizer.ggml.pre", "default");
        boolean addBos = g.getBool("tokenizer.ggml.add_bos_token", model.equals("llama"));
        int bos = g.getInt("tokenizer.ggml.bos_token_id", -1), eos = g.getInt("tokenizer.ggml.eos_token_id", -1);
        ObjectNode tj = Json.MAPPER.createObjectNode();
        tj.put("version", "1.0");
        ArrayNode added = tj.putArray("added_tokens");
        ObjectNode m = Json.MAPPER.createObjectNode();
        ObjectNode vocab = Json.MAPPER.createObjectNode();
        ObjectNode tc = Json.MAPPER.createObjectNode();
        ArrayNode extra = Json.MAPPER.createArrayNode();
        if (model.equals("gpt2")) {
            for (int i = 0; i < tokens.length; i++) {
                if (types[i] == 1) vocab.put(tokens[i], i);
                else if (types[i] == 3 || types[i] == 4) addedToken(added, i, tokens[i], types[i] == 3);
            }
            m.put("type", "BPE").put("byte_fallback", false).put("ignore_merges", pre.equals("llama-bpe"));
            m.set("vocab", vocab);
            ArrayNode merges = m.putArray("merges");
            for (String s : g.getStrings("tokenizer.ggml.merges")) merges.add(s);
            ObjectNode pt = tj.putObject("pre_tokenizer");
            String regex = pre.equals("llama-bpe") ? LLAMA3_REGEX : pre.equals("qwen2") ? QWEN2_REGEX : null;
            if (regex != null) {
                pt.put("type", "Sequence");
                ArrayNode seq = pt.putArray("pretokenizers");
                ObjectNode split = seq.addObject().put("type", "Split");
                split.putObject("pattern").put("Regex", regex);
                split.put("behavior", "Isolated").put("invert", false);
                seq.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
            } else {
                pt.put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
            }
            tj.putObject("decoder").put("type", "ByteLevel");
        } else {
            int base = tokens.length;
            for (int i = 3; i < tokens.length; i++) if (types[i] == 3 || types[i] == 4) { base = i; break; }
            Map<String, Integer> ids = new HashMap<>();
            for (int i = 0; i < base; i++) {
                vocab.put(tokens[i], i);
                ids.put(tokens[i], i);
                if (types[i] == 2 || types[i] == 3) {
                    addedToken(added, i, tokens[i], true);
                    extra.add(tokens[i]);
                }
            }
            for (int i = base; i < tokens.length; i++) {
                addedToken(added, i, tokens[i], types[i] == 3);
                if (types[i] == 3) extra.add(tokens[i]);
            }
            float[] scores = g.getFloats("tokenizer.ggml.scores");
            // merges as Hugging Face's SentencePiece converter makes them: every split of a piece into two pieces,
            // ordered by the merged piece's score
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < base; i++) if (types[i] == 1 && tokens[i].codePointCount(0, tokens[i].length()) > 1) order.add(i);
            order.sort((x, y) -> scores[x] != scores[y] ? Float.compare(scores[y], scores[x]) : Integer.compare(x, y));
            ArrayNode merges = Json.MAPPER.createArrayNode();
            for (int id : order) {
                String t = tokens[id];
                for (int k = t.offsetByCodePoints(0, 1); k < t.length(); k = t.offsetByCodePoints(k, 1)) {
                    Integer l = ids.get(t.substring(0, k)), r = ids.get(t.substring(k));
                    if (l != null && r != null && types[l] == 1 && types[r] == 1) merges.add(t.substring(0, k) + " " + t.substring(k));
                }
            }
            m.put("type", "BPE").put("byte_fallback", true).put("fuse_unk", true).put("unk_token", tokens[0]);
            m.set("vocab", vocab);
            m.set("merges", merges);
            ObjectNode norm = tj.putObject("normalizer");
            if (g.getBool("tokenizer.ggml.add_space_prefix", true)) {
                norm.put("type", "Sequence");
                ArrayNode ns = norm.putArray("normalizers");
                ns.addObject().put("type", "Prepend").put("prepend", "\u2581");
                ns.addObject().put("type", "Replace").putObject("pattern").put("String", " ");
                ((ObjectNode) ns.get(1)).put("content", "\u2581");
            } else {
                norm.put("type", "Replace").putObject("pattern").put("String", " ");
                norm.put("content", "\u2581");
            }
            tj.putNull("pre_tokenizer");
            ObjectNode dec = tj.putObject("decoder").put("type", "Sequence");
            ArrayNode ds = dec.putArray("decoders");
            ds.addObject().put("type", "ByteFallback");
            ds.addObject().put("type", "Fuse");
            tc.put("unk_token", tokens[0]);
        }
        if (addBos && bos >= 0) {
            ObjectNode pp = tj.putObject("post_processor").put("type", "TemplateProcessing");
            ArrayNode single = pp.putArray("single");
            single.addObject().putObject("SpecialToken").put("id", tokens[bos]).put("type_id", 0);
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        }
        tj.set("model", m);
        if (bos >= 0) tc.put("bos_token", tokens[bos]);
        if (eos >= 0) tc.put("eos_token", tokens[eos]);
        if (g.has("tokenizer.ggml.padding_token_id")) tc.put("pad_token", tokens[g.getInt("tokenizer.ggml.padding_token_id", 0)]);
        if (g.has("tokenizer.ggml.add_bos_token")) tc.put("add_bos_token", addBos);
        if (g.has("tokenizer.ggml.add_eos_token")) tc.put("add_eos_token", g.getBool("tokenizer.ggml.add_eos_token", false));
        if (!extra.isEmpty()) tc.set("additional_special_tokens", extra);
        if (g.has("tokenizer.chat_template")) tc.put("chat_template", g.getString("tokenizer.chat_template", ""));
        ObjectNode stm = Json.MAPPER.createObjectNode();
        if (bos >= 0) stm.put("bos_token", tokens[bos]);
        if (eos >= 0) stm.put("eos_token", tokens[eos]);
        return List.of(writeJson(dir.resolve("tokenizer.json"), tj), writeJson(dir.resolve("tokenizer_config.json"), tc),
                writeJson(dir.resolve("special_tokens_map.json"), stm));
    }

    private static void addedToken(ArrayNode added, int id, String content, boolean special) {
        added.addObject().put("id", id).put("content", content).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", special);
    }
}
