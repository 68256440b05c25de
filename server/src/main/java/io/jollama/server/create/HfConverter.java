package io.jollama.server.create;

import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufWriter;
import io.jollama.engine.gguf.GgmlType;
import io.jollama.server.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts a Hugging Face model directory (safetensors shards, {@code config.json}, the tokenizer files) into a GGUF
 * as llama.cpp's {@code convert_hf_to_gguf.py} writes it: its tensor names, its transforms (Llama's q/k rows
 * permuted back to ggml's RoPE layout, Gemma 3's norms +1 and embedding rows cut to the vocabulary, Llama 3's RoPE
 * frequency factors), its metadata keys, its tokenizer ({@link HfVocab}), and its output types (1-D tensors and
 * norms F32, the matrices in the requested float type; "auto" picks BF16 or F16 from the first matrix, F16 for F32
 * sources, as llama.cpp's {@code --outtype auto} does).
 */
final class HfConverter {

    /** Hugging Face architecture → GGUF architecture (llama.cpp's model classes for the engine's families). */
    static final Map<String, String> ARCHITECTURES = Map.of(
            "LlamaForCausalLM", "llama", "MistralForCausalLM", "llama",
            "Qwen2ForCausalLM", "qwen2", "Qwen3ForCausalLM", "qwen3",
            "Gemma3ForCausalLM", "gemma3", "Gemma3ForConditionalGeneration", "gemma3",
            "Phi3ForCausalLM", "phi3");

    private static final Pattern LAYER = Pattern.compile("^model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)$");

    private final Map<String, Path> files;
    private final Path scratch;
    private JsonNode hparams;
    private String hfArch, arch;

    /**
     * @param files   the directory's files: relative name → where its bytes are
     * @param scratch a directory for temporary files
     */
    HfConverter(Map<String, Path> files, Path scratch) {
        this.files = files;
        this.scratch = scratch;
    }

    /** The conversion's GGUF architecture, once {@link #convert} has read config.json. */
    String architecture() {
        return arch;
    }

    private JsonNode json(String name, boolean required) throws IOException {
        Path p = files.get(name);
        if (p == null) {
            if (required) throw new CreateException(name + " is missing: a safetensors model needs its " + name);
            return null;
        }
        try {
            return Json.MAPPER.readTree(Files.readAllBytes(p));
        } catch (JacksonException e) {
            throw new CreateException(name + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * Writes the GGUF to {@code out} (atomically, by {@link GgufWriter}).
     *
     * @param outType F32, F16 or BF16; null for llama.cpp's "auto"
     */
    void convert(Path out, GgmlType outType) throws IOException {
        JsonNode config = json("config.json", true);
        JsonNode archs = config.path("architectures");
        hfArch = archs.isArray() && !archs.isEmpty() ? archs.get(0).asString("") : "";
        arch = ARCHITECTURES.get(hfArch);
        if (arch == null) {
            throw new CreateException("unsupported architecture " + (hfArch.isEmpty() ? "(config.json names none)" : "'" + hfArch + "'")
                    + ": safetensors models of " + String.join(", ", new TreeMap<>(ARCHITECTURES).keySet()) + " can be converted");
        }
        hparams = config;
        if (config.has("text_config")) {
            ObjectNode merged = ((ObjectNode) config).deepCopy();
            config.path("text_config").properties().forEach(e -> merged.set(e.getKey(), e.getValue()));
            hparams = merged;
        }

        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            for (var e : new TreeMap<>(files).entrySet()) {
                if (e.getKey().endsWith(".safetensors")) shards.add(SafetensorsFile.open(e.getValue(), e.getKey()));
            }
            if (shards.isEmpty()) throw new CreateException("no safetensors files among the files");
            Map<String, Source> tensors = index(shards);

            HfVocab.Sources vs = new HfVocab.Sources(json("tokenizer.json", false), json("tokenizer_config.json", false),
                    json("special_tokens_map.json", false), config,
                    files.containsKey("chat_template.jinja") ? Files.readString(files.get("chat_template.jinja")) : null);
            Map<String, GgufValue> vocab = HfVocab.convert(vs, hparams.has("vocab_size") ? hparams.get("vocab_size").asInt() : null, scratch);

            if (outType == null) outType = autoType(tensors);
            GgufWriter w = new GgufWriter();
            w.put("general.architecture", GgufValue.of(arch));
            w.put("general.type", GgufValue.of("model"));
            String name = hparams.path("_name_or_path").asString("");
            if (!name.isEmpty()) w.put("general.name", GgufValue.of(name.substring(name.lastIndexOf('/') + 1)));
            parameters(w, outType);
            w.putU32("general.quantization_version", 2);
            vocab.forEach(w::put);
            addTensors(w, tensors, outType, vs);
            w.write(out);
        } finally {
            for (SafetensorsFile s : shards) s.close();
        }
    }

    /** A tensor of the directory: the shard that holds it and its entry. */
    private record Source(SafetensorsFile file, SafetensorsFile.Entry entry) {}

    private Map<String, Source> index(List<SafetensorsFile> shards) throws IOException {
        Map<String, Source> all = new LinkedHashMap<>();
        for (SafetensorsFile s : shards) {
            for (SafetensorsFile.Entry e : s.entries().values()) {
                if (all.put(e.name(), new Source(s, e)) != null) throw new CreateException("tensor " + e.name() + " is in more than one safetensors file");
            }
        }
        JsonNode idx = json("model.safetensors.index.json", false);
        if (idx != null) {
            for (var e : idx.path("weight_map").properties()) {
                String file = e.getValue().asString("");
                Source s = all.get(e.getKey());
                if (shards.stream().noneMatch(f -> f.fileName().equals(file) || f.fileName().endsWith("/" + file))) {
                    throw new CreateException("safetensors file " + file + " named by model.safetensors.index.json is missing");
                }
                if (s == null || !(s.file().fileName().equals(file) || s.file().fileName().endsWith("/" + file))) {
                    throw new CreateException("tensor " + e.getKey() + " is not in " + file + " as model.safetensors.index.json says");
                }
            }
        }
        return all;
    }

    private static GgmlType autoType(Map<String, Source> tensors) {
        for (Source s : tensors.values()) {
            if (s.entry().shape().length < 2) continue;
            return s.entry().dtype().equals("BF16") ? GgmlType.BF16 : GgmlType.F16;
        }
        return GgmlType.F16;
    }

    private static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    // ------------------------------------------------------------------ PEFT adapters

    /**
     * A PEFT LoRA adapter (adapter_model.safetensors and adapter_config.json) as llama.cpp's
     * {@code convert_lora_to_gguf.py} writes it for {@code base}: lora_a/lora_b pairs under the base's tensor names,
     * F32 (its default output type), Llama's q/k permutation applied to the lora_b rows, {@code adapter.lora.alpha}
     * from lora_alpha.
     */
    void convertAdapter(io.jollama.engine.gguf.GgufFile base, Path out) throws IOException {
        JsonNode config = json("adapter_config.json", true);
        if (!config.path("lora_alpha").isNumber()) throw new CreateException("adapter_config.json has no lora_alpha");
        arch = base.getString("general.architecture", "");
        hfArch = arch;
        hparams = Json.MAPPER.createObjectNode();
        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            for (var e : new TreeMap<>(files).entrySet()) {
                if (e.getKey().endsWith(".safetensors")) shards.add(SafetensorsFile.open(e.getValue(), e.getKey()));
            }
            if (shards.isEmpty()) throw new CreateException("no safetensors files among the adapter's files");
            Map<String, Source> tensors = index(shards);
            Map<String, Source[]> pairs = new TreeMap<>();
            for (Source s : tensors.values()) {
                String n = s.entry().name();
                boolean isA = n.endsWith(".lora_A.weight"), isB = n.endsWith(".lora_B.weight");
                if (!isA && !isB) {
                    if (n.endsWith(".base_layer.weight")) continue;
                    throw new CreateException("adapter tensor " + n + " is not a lora_A or lora_B tensor; only LoRA weights can be converted");
                }
                String weight = n.replace("base_model.model.", "").replace(isA ? ".lora_A.weight" : ".lora_B.weight", ".weight");
                String g = ggufName(weight);
                if (g == null || g.equals("token_embd.weight")) throw new CreateException("adapter tensor " + n + " cannot be converted");
                if (s.entry().shape().length != 2) throw new CreateException("adapter tensor " + n + " is not a matrix");
                pairs.computeIfAbsent(g, k -> new Source[2])[isA ? 0 : 1] = s;
            }
            if (pairs.isEmpty()) throw new CreateException("the adapter has no LoRA tensors");
            GgufWriter w = new GgufWriter();
            w.put("general.architecture", GgufValue.of(arch));
            w.put("general.type", GgufValue.of("adapter"));
            w.put("adapter.type", GgufValue.of("lora"));
            w.putF32("adapter.lora.alpha", (float) config.get("lora_alpha").asDouble());
            int nHead = base.getInt(arch + ".attention.head_count", 0);
            int nKv = base.getInt(arch + ".attention.head_count_kv", nHead);
            for (var e : pairs.entrySet()) {
                String g = e.getKey();
                Source a = e.getValue()[0], b = e.getValue()[1];
                if (a == null || b == null) throw new CreateException("adapter weight " + g + " has only one of lora_A and lora_B");
                int heads = arch.equals("llama") && g.endsWith("attn_q.weight") ? nHead : arch.equals("llama") && g.endsWith("attn_k.weight") ? nKv : 0;
                addFactor(w, g + ".lora_a", a, 0);
                addFactor(w, g + ".lora_b", b, heads);
            }
            w.write(out);
        } finally {
            for (SafetensorsFile s : shards) s.close();
        }
    }

    private static void addFactor(GgufWriter w, String name, Source s, int permuteHeads) {
        long[] hf = s.entry().shape();
        long[] ne = {hf[1], hf[0]};
        if (s.entry().dtype().equals("F32") && permuteHeads == 0) {
            w.addTensor(name, GgmlType.F32, ne, () -> s.file().raw(s.entry()));
        } else {
            w.addTensor(name, GgmlType.F32, ne, () -> {
                float[] v = s.file().floats(s.entry());
                if (permuteHeads > 0) v = permute(v, (int) hf[0], hf[1], permuteHeads);
                return MemorySegment.ofArray(v);
            });
        }
    }

    // ------------------------------------------------------------------ metadata

    private Integer intParam(String... keys) {
        for (String k : keys) if (hparams.get(k) != null && hparams.get(k).isNumber()) return hparams.get(k).asInt();
        return null;
    }

    private Double floatParam(String... keys) {
        for (String k : keys) if (hparams.get(k) != null && hparams.get(k).isNumber()) return hparams.get(k).asDouble();
        return null;
    }

    private int required(String... keys) {
        Integer v = intParam(keys);
        if (v == null) throw new CreateException("config.json has no " + keys[0]);
        return v;
    }

    /** llama.cpp's rope_parameters: rope_parameters or rope_scaling, with rope_theta and the local theta mirrored in. */
    private JsonNode ropeParameters() {
        JsonNode rp = hparams.get("rope_parameters");
        if (rp == null || rp.isNull()) rp = hparams.get("rope_scaling");
        ObjectNode r = rp != null && rp.isObject() ? ((ObjectNode) rp).deepCopy() : Json.MAPPER.createObjectNode();
        if (!r.has("full_attention") && !r.has("sliding_attention")) {
            Double local = floatParam("local_rope_theta", "rope_local_theta", "rope_theta_local", "swa_rope_theta", "rope_local_base_freq");
            if (local != null) r.putObject("sliding_attention").put("rope_theta", local);
            Double theta = floatParam("global_rope_theta", "rope_global_theta", "rope_theta_global", "rope_theta", "rotary_emb_base");
            if (!r.has("rope_theta") && theta != null) r.put("rope_theta", theta);
            if (!r.has("rope_type") && r.has("type")) r.set("rope_type", r.get("type"));
            Integer orig = intParam("original_max_position_embeddings");
            if (!r.has("original_max_position_embeddings") && orig != null) r.put("original_max_position_embeddings", orig);
        }
        return r;
    }

    private void parameters(GgufWriter w, GgmlType outType) {
        String a = arch + ".";
        JsonNode rope = ropeParameters();
        JsonNode full = rope.has("full_attention") ? rope.get("full_attention") : rope;
        if (arch.equals("phi3")) {
            int nEmbd = required("hidden_size", "n_embd"), nHead = required("num_attention_heads", "n_head");
            if (full.has("long_factor")) throw new CreateException("phi3 models with long-context RoPE factors (longrope) are not supported yet");
            if (!rope.has("original_max_position_embeddings")) throw new CreateException("config.json has no original_max_position_embeddings");
            w.putU32(a + "context_length", required("n_positions", "max_position_embeddings"));
            w.putU32(a + "rope.scaling.original_context_length", rope.get("original_max_position_embeddings").asInt());
            w.putU32(a + "embedding_length", nEmbd);
            w.putU32(a + "feed_forward_length", required("intermediate_size"));
            w.putU32(a + "block_count", required("num_hidden_layers"));
            w.putU32(a + "attention.head_count", nHead);
            w.putU32(a + "attention.head_count_kv", required("num_key_value_heads", "n_head_kv"));
            w.putF32(a + "attention.layer_norm_rms_epsilon", (float) (double) floatParam("rms_norm_eps"));
            double pct = rope.path("partial_rotary_factor").asDouble(1.0);
            w.putU32(a + "rope.dimension_count", (int) (pct * nEmbd) / nHead);
            w.putF32(a + "rope.freq_base", (float) full.path("rope_theta").asDouble(10000));
            w.putU32("general.file_type", fileType(outType));
            Integer sw = intParam("sliding_window");
            w.putU32(a + "attention.sliding_window", sw == null ? 0 : sw);
            return;
        }
        // TextModel.set_gguf_parameters
        w.putU32(a + "block_count", required("n_layers", "num_hidden_layers", "n_layer", "num_layers"));
        Integer ctx = intParam("max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length", "model_max_length");
        if (ctx != null) w.putU32(a + "context_length", ctx);
        Integer embd = intParam("hidden_size", "n_embd", "dim");
        if (embd != null) w.putU32(a + "embedding_length", embd);
        Integer ff = intParam("prefix_dense_intermediate_size", "dense_intermediate_size", "intermediate_size", "n_inner", "hidden_dim");
        if (ff != null) w.putU32(a + "feed_forward_length", ff);
        Integer heads = intParam("num_attention_heads", "n_head", "n_heads");
        if (heads != null) w.putU32(a + "attention.head_count", heads);
        Integer kv = intParam("num_key_value_heads", "n_kv_heads");
        if (kv != null) w.putU32(a + "attention.head_count_kv", kv);
        String ropeType = full.path("rope_type").asString("");
        Double factor = full.has("factor") ? full.get("factor").asDouble() : null;
        if (ropeType.equals("linear") && factor != null) {
            w.put(a + "rope.scaling.type", "linear");
            w.putF32(a + "rope.scaling.factor", (float) (double) factor);
        } else if (ropeType.equals("yarn") && factor != null) {
            w.put(a + "rope.scaling.type", "yarn");
            w.putF32(a + "rope.scaling.factor", (float) (double) factor);
            w.putU32(a + "rope.scaling.original_context_length", full.path("original_max_position_embeddings").asInt());
        } else if (!ropeType.isEmpty() && !ropeType.equalsIgnoreCase("llama3") && !ropeType.equals("default")) {
            throw new CreateException("RoPE scaling type '" + ropeType + "' of config.json is not supported");
        }
        if (full.has("rope_theta")) w.putF32(a + "rope.freq_base", (float) full.get("rope_theta").asDouble());
        if (rope.path("sliding_attention").has("rope_theta")) {
            w.putF32(a + "rope.freq_base_swa", (float) rope.path("sliding_attention").get("rope_theta").asDouble());
        }
        Double eps = floatParam("rms_norm_eps", "norm_eps");
        if (eps != null) w.putF32(a + "attention.layer_norm_rms_epsilon", (float) (double) eps);
        Integer headDim = intParam("head_dim");
        if (headDim != null) {
            w.putU32(a + "attention.key_length", headDim);
            w.putU32(a + "attention.value_length", headDim);
        }
        w.putU32("general.file_type", fileType(outType));
        switch (arch) {
            case "llama" -> {
                w.putU32(a + "vocab_size", required("vocab_size"));
                w.putU32(a + "rope.dimension_count", headDim != null ? headDim : required("hidden_size") / required("num_attention_heads"));
            }
            case "gemma3" -> {
                w.putU32(a + "context_length", ctx != null ? ctx : 131072);
                w.putU32(a + "attention.head_count", heads != null ? heads : 8);
                w.putF32(a + "attention.layer_norm_rms_epsilon", eps != null ? (float) (double) eps : 1e-6f);
                w.putU32(a + "attention.key_length", headDim != null ? headDim : 256);
                w.putU32(a + "attention.value_length", headDim != null ? headDim : 256);
                w.putF32(a + "rope.freq_base", (float) full.path("rope_theta").asDouble(1_000_000.0));
                if (hparams.has("final_logit_softcapping") && hparams.get("final_logit_softcapping").isNumber()) {
                    w.putF32(a + "final_logit_softcapping", (float) hparams.get("final_logit_softcapping").asDouble());
                }
                Integer pattern = intParam("sliding_window_pattern");
                if (pattern == null || pattern != 1) w.putU32(a + "attention.sliding_window", required("sliding_window"));
                // llama.cpp's loader reads the period (default 6) if present; its converter does not write it
                if (pattern != null && pattern != 6 && pattern != 1) w.putU32(a + "attention.sliding_window_pattern", pattern);
                w.putU32(a + "attention.head_count_kv", kv != null ? kv : 4);
            }
            default -> { }
        }
    }

    // ------------------------------------------------------------------ tensors

    /** llama.cpp's tensor name for an HF name, or null for tensors it drops. */
    private String ggufName(String hf) {
        String n = hf;
        if (n.startsWith("model.language_model.")) n = "model." + n.substring("model.language_model.".length());
        else if (n.startsWith("language_model.")) n = n.substring("language_model.".length());
        if (n.endsWith(".rotary_emb.inv_freq") || n.endsWith(".attention.masked_bias") || n.endsWith(".attention.bias")) return null;
        if (arch.equals("gemma3") && (n.startsWith("vision_tower.") || n.startsWith("multi_modal_projector.")
                || n.startsWith("model.vision_tower.") || n.startsWith("model.multi_modal_projector."))) return null;
        switch (n) {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
            default: break;
        }
        Matcher m = LAYER.matcher(n);
        if (m.matches()) {
            String part = switch (m.group(2)) {
                case "self_attn.q_proj" -> "attn_q";
                case "self_attn.k_proj" -> "attn_k";
                case "self_attn.v_proj" -> "attn_v";
                case "self_attn.o_proj" -> "attn_output";
                case "self_attn.qkv_proj" -> arch.equals("phi3") ? "attn_qkv" : null;
                case "self_attn.q_norm" -> arch.equals("qwen3") || arch.equals("gemma3") ? "attn_q_norm" : null;
                case "self_attn.k_norm" -> arch.equals("qwen3") || arch.equals("gemma3") ? "attn_k_norm" : null;
                case "mlp.gate_proj" -> "ffn_gate";
                case "mlp.up_proj" -> "ffn_up";
                case "mlp.down_proj" -> "ffn_down";
                case "mlp.gate_up_proj" -> arch.equals("phi3") ? "ffn_up" : null;
                case "input_layernorm" -> "attn_norm";
                case "post_attention_layernorm" -> arch.equals("gemma3") ? "post_attention_norm" : "ffn_norm";
                case "pre_feedforward_layernorm" -> arch.equals("gemma3") ? "ffn_norm" : null;
                case "post_feedforward_layernorm" -> arch.equals("gemma3") ? "post_ffw_norm" : null;
                default -> null;
            };
            if (part != null) return "blk." + m.group(1) + "." + part + "." + m.group(3);
        }
        throw new CreateException("cannot map tensor " + hf + " of the " + hfArch + " model to a GGUF tensor");
    }

    private void addTensors(GgufWriter w, Map<String, Source> tensors, GgmlType outType, HfVocab.Sources vs) {
        if (arch.equals("llama")) {
            float[] factors = llama3RopeFactors();
            if (factors != null) w.addTensor("rope_freqs.weight", GgmlType.F32, new long[]{factors.length}, MemorySegment.ofArray(factors));
        }
        int nHead = arch.equals("llama") ? required("n_heads", "num_attention_heads") : 0;
        Integer nKv = intParam("n_kv_heads", "num_key_value_heads");
        for (Source s : tensors.values()) {
            String hf = s.entry().name();
            String name = ggufName(hf);
            if (name == null) continue;
            long[] hfShape = s.entry().shape().clone();
            int rows = hfShape.length == 0 ? 1 : (int) hfShape[0];
            long rowLen = hfShape.length <= 1 ? 1 : s.entry().elements() / Math.max(1, rows);
            // transforms on the float values, in HF (row-major) order
            int permuteHeads = 0;
            if (arch.equals("llama") && (hf.endsWith("q_proj.weight") || hf.endsWith("q_proj.bias"))) permuteHeads = nHead;
            if (arch.equals("llama") && (hf.endsWith("k_proj.weight") || hf.endsWith("k_proj.bias"))) permuteHeads = nKv != null ? nKv : nHead;
            boolean plusOne = arch.equals("gemma3") && hf.endsWith("norm.weight");
            int keepRows = rows;
            if (arch.equals("gemma3") && hf.contains("embed_tokens.weight") && vs.tokenizer() != null) {
                keepRows = Math.min(rows, vs.tokenizer().path("model").path("vocab").size() + vs.tokenizer().path("added_tokens").size());
                hfShape[0] = keepRows;
            }
            int nDims = Math.max(1, hfShape.length);
            GgmlType type = nDims <= 1 || name.endsWith("_norm.weight") ? GgmlType.F32 : outType;
            long[] ne = new long[nDims];
            for (int i = 0; i < nDims; i++) ne[i] = hfShape.length == 0 ? 1 : hfShape[hfShape.length - 1 - i];
            boolean transformed = permuteHeads > 0 || plusOne || keepRows != rows;
            String src = s.entry().dtype();
            boolean same = (src.equals("F32") && type == GgmlType.F32) || (src.equals("F16") && type == GgmlType.F16)
                    || (src.equals("BF16") && type == GgmlType.BF16);
            final int heads = permuteHeads, kept = keepRows;
            final long rl = rowLen;
            if (same && !transformed) {
                w.addTensor(name, type, ne, () -> s.file().raw(s.entry()));
            } else if (!transformed) {
                w.addTensor(name, type, ne, () -> convert(s.file().raw(s.entry()), src, type, s.entry().elements()));
            } else {
                w.addTensor(name, type, ne, () -> {
                    float[] v = s.file().floats(s.entry());
                    if (heads > 0) v = permute(v, rows, rl, heads);
                    if (plusOne) for (int i = 0; i < v.length; i++) v[i] = v[i] + 1.0f;
                    if (kept != rows) v = java.util.Arrays.copyOf(v, Math.toIntExact(kept * rl));
                    return encode(v, type);
                });
            }
        }
    }

    /** llama.cpp's LlamaModel.permute: per head, rows (j·half + i) become rows (2i + j). */
    static float[] permute(float[] w, int rows, long rowLen, int heads) {
        if (rows % (2 * heads) != 0) throw new CreateException("cannot permute " + rows + " rows for " + heads + " heads");
        int headDim = rows / heads, half = headDim / 2;
        float[] out = new float[w.length];
        int len = Math.toIntExact(rowLen);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int from = h * headDim + j * half + i, to = h * headDim + 2 * i + j;
                    System.arraycopy(w, from * len, out, to * len, len);
                }
            }
        }
        return out;
    }

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * A tensor converted value by value from the mapped file into off-heap memory (freed when no longer reachable),
     * so a large matrix needs neither a float[] copy nor heap space.
     */
    private static MemorySegment convert(MemorySegment raw, String dtype, GgmlType type, long n) {
        MemorySegment out = java.lang.foreign.Arena.ofAuto().allocate(type.byteSize(n), 64);
        for (long i = 0; i < n; i++) {
            float v = switch (dtype) {
                case "F32" -> raw.get(LE_FLOAT, 4 * i);
                case "F16" -> Float.float16ToFloat(raw.get(LE_SHORT, 2 * i));
                default -> Float.intBitsToFloat((raw.get(LE_SHORT, 2 * i) & 0xffff) << 16);
            };
            switch (type) {
                case F32 -> out.set(LE_FLOAT, 4 * i, v);
                case F16 -> out.set(LE_SHORT, 2 * i, Float.floatToFloat16(v));
                case BF16 -> out.set(LE_SHORT, 2 * i, bf16(v));
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        return out;
    }

    /** The values as the bytes of {@code type}: F16 rounds to nearest even, BF16 as ggml (and gguf-py) round it. */
    static MemorySegment encode(float[] v, GgmlType type) {
        return switch (type) {
            case F32 -> MemorySegment.ofArray(v);
            case F16 -> {
                short[] h = new short[v.length];
                for (int i = 0; i < v.length; i++) h[i] = Float.floatToFloat16(v[i]);
                yield MemorySegment.ofArray(h);
            }
            case BF16 -> {
                short[] h = new short[v.length];
                for (int i = 0; i < v.length; i++) h[i] = bf16(v[i]);
                yield MemorySegment.ofArray(h);
            }
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    static short bf16(float f) {
        int n = Float.floatToRawIntBits(f);
        if ((n & 0x7fffffff) > 0x7f800000) n = (n & 0xffff0000) | (64 << 16); // NaN made quiet
        long u = n & 0xffffffffL;
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** Llama 3's RoPE frequency factors (generate_extra_tensors), in float32 as torch computes them; null without llama3 scaling. */
    private float[] llama3RopeFactors() {
        JsonNode rope = ropeParameters();
        JsonNode p = rope.has("full_attention") ? rope.get("full_attention") : rope;
        if (!p.path("rope_type").asString("").equalsIgnoreCase("llama3")) return null;
        double base = p.path("rope_theta").asDouble(10000.0);
        Integer dimP = intParam("head_dim");
        int dim = dimP != null ? dimP : required("hidden_size") / required("num_attention_heads");
        float factor = (float) p.path("factor").asDouble(8.0);
        float low = (float) p.path("low_freq_factor").asDouble(1.0);
        float high = (float) p.path("high_freq_factor").asDouble(4.0);
        float old = (float) p.path("original_max_position_embeddings").asDouble(8192);
        double lowWavelen = old / (double) low, highWavelen = old / (double) high;
        float[] out = new float[dim / 2];
        for (int i = 0; i < out.length; i++) {
            float exponent = (float) (2 * i) / dim;
            float freq = 1.0f / (float) Math.pow((float) base, exponent);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highWavelen) out[i] = 1;
            else if (wavelen > lowWavelen) out[i] = factor;
            else {
                float smooth = (old / wavelen - low) / (high - low);
                out[i] = 1 / ((1 - smooth) / factor + smooth);
            }
        }
        return out;
    }
}
