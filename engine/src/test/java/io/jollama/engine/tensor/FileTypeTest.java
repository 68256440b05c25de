package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileTypeTest {

    /**
     * The Q8_0 model stands in for its F32 source (same names and shapes). For every shipped mix, the type the rules
     * choose for each tensor must be the one llama-quantize chose.
     */
    @Test
    void rulesReproduceLlamaQuantizeMixesOfTheShippedModel() throws IOException {
        Path arch = TensorTestData.arch();
        Map<String, FileType> files = Map.of("q4_k_m", FileType.Q4_K_M, "q5_k_m", FileType.Q5_K_M, "q3_k_m", FileType.Q3_K_M,
                "q2_k", FileType.Q2_K, "q4_0", FileType.Q4_0, "q6_k", FileType.Q6_K, "q4_1", FileType.Q4_1,
                "q5_0", FileType.Q5_0, "q5_1", FileType.Q5_1, "q8_0", FileType.Q8_0);
        try (GgufFile source = GgufFile.open(arch.resolve("llama-spm-q8_0.gguf"))) {
            FileType.ModelInfo model = FileType.ModelInfo.of(source);
            assertEquals(new FileType.ModelInfo("llama", 2, 0, 4, 4, 2, true), model);
            List<String> mismatches = new ArrayList<>();
            for (var e : files.entrySet()) {
                Path file = arch.resolve("llama-spm-" + e.getKey() + ".gguf");
                JsonNode ref = TensorTestData.reference(file);
                assertEquals(e.getValue().id, ref.get("general_file_type").asInt(), e.getKey() + " general.file_type");
                JsonNode types = ref.get("tensor_types");
                assertEquals(types.size(), source.tensors().size());
                for (GgufTensorInfo t : source.tensors()) {
                    GgmlType ours = e.getValue().typeFor(t.name(), t.shape(), model);
                    String theirs = types.get(t.name()).asString();
                    if (!ours.name().equals(theirs)) mismatches.add(e.getKey() + " " + t.name() + ": " + ours + " != " + theirs);
                }
            }
            assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
            System.out.println("file type rules: " + files.size() + " mixes x " + source.tensors().size() + " tensors match llama-quantize");
        }
    }

    @Test
    void parsesNamesCaseInsensitivelyWithAliases() {
        assertEquals(FileType.Q4_K_M, FileType.parse("q4_K_M"));
        assertEquals(FileType.Q4_K_M, FileType.parse("Q4_K"));
        assertEquals(FileType.Q5_K_M, FileType.parse("q5_k"));
        assertEquals(FileType.Q3_K_M, FileType.parse("Q3_K"));
        assertEquals(FileType.BF16, FileType.parse("bf16"));
        assertEquals(FileType.F32, FileType.parse(" f32 "));
        for (FileType f : FileType.values()) {
            assertEquals(f, FileType.parse(f.displayName.toLowerCase()));
            assertEquals(f, FileType.byId(f.id));
        }
        assertEquals(15, FileType.Q4_K_M.id);
        assertEquals(32, FileType.BF16.id);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FileType.parse("Q4_K_X"));
        assertTrue(e.getMessage().startsWith("unsupported quantization type Q4_K_X - supported types are F32, F16"), e.getMessage());
    }

    @Test
    void moreBitsLayersFollowLlamaCppPattern() {
        // 32 layers: the first 4, the last 4 and every third layer from 6 on get more bits
        List<Integer> more = new ArrayList<>();
        for (int i = 0; i < 32; i++) if (FileType.useMoreBits(i, 32)) more.add(i);
        assertEquals(List.of(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31), more);
        FileType.ModelInfo m = new FileType.ModelInfo("llama", 32, 0, 32, 8, 32, true);
        long[] sq = {4096, 4096};
        assertEquals(GgmlType.Q6_K, FileType.Q4_K_M.typeFor("blk.6.attn_v.weight", sq, m));
        assertEquals(GgmlType.Q4_K, FileType.Q4_K_M.typeFor("blk.7.attn_v.weight", sq, m));
        assertEquals(GgmlType.Q6_K, FileType.Q4_K_M.typeFor("blk.31.ffn_down.weight", new long[] {14336, 4096}, m));
        assertEquals(GgmlType.Q4_K, FileType.Q4_K_M.typeFor("blk.31.ffn_up.weight", new long[] {4096, 14336}, m));
        assertEquals(GgmlType.Q4_K, FileType.Q4_K_S.typeFor("blk.5.attn_v.weight", sq, m));
        assertEquals(GgmlType.Q5_K, FileType.Q4_K_S.typeFor("blk.3.attn_v.weight", sq, m));
        assertEquals(GgmlType.Q5_K, FileType.Q4_K_S.typeFor("blk.3.ffn_down.weight", sq, m));
        // GQA 4: Q2_K gives attn_v Q4_K
        assertEquals(GgmlType.Q4_K, FileType.Q2_K.typeFor("blk.9.attn_v.weight", sq, m));
        assertEquals(GgmlType.Q3_K, FileType.Q2_K.typeFor("blk.9.attn_output.weight", sq, m));
        assertEquals(GgmlType.Q2_K, FileType.Q2_K.typeFor("blk.9.attn_q.weight", sq, m));
        assertEquals(GgmlType.Q5_K, FileType.Q3_K_L.typeFor("blk.9.ffn_down.weight", sq, m));
        assertEquals(GgmlType.Q3_K, FileType.Q3_K_S.typeFor("blk.9.ffn_down.weight", sq, m));
        assertEquals(GgmlType.Q5_K, FileType.Q3_K_M.typeFor("blk.1.ffn_down.weight", sq, m)); // layer < 32/16
        // the "70B" rule: llama, 80 layers, GQA
        FileType.ModelInfo big = new FileType.ModelInfo("llama", 80, 0, 64, 8, 80, true);
        assertEquals(GgmlType.Q5_K, FileType.Q4_K_S.typeFor("blk.40.attn_v.weight", new long[] {8192, 1024}, big));
        // 8 experts: attn_v and attn_k go to Q8_0
        FileType.ModelInfo moe = new FileType.ModelInfo("llama", 32, 8, 32, 8, 32, true);
        assertEquals(GgmlType.Q8_0, FileType.Q4_K_M.typeFor("blk.3.attn_v.weight", sq, moe));
        assertEquals(GgmlType.Q8_0, FileType.Q4_K_M.typeFor("blk.3.attn_k.weight", sq, moe));
    }

    @Test
    void outputEmbeddingsAndNonQuantizedTensors() {
        FileType.ModelInfo tied = new FileType.ModelInfo("qwen2", 24, 0, 14, 2, 24, false);
        FileType.ModelInfo separate = new FileType.ModelInfo("qwen2", 24, 0, 14, 2, 24, true);
        long[] emb = {1024, 151936};
        assertEquals(GgmlType.Q6_K, FileType.Q4_K_M.typeFor("token_embd.weight", emb, tied));
        assertEquals(GgmlType.Q4_K, FileType.Q4_K_M.typeFor("token_embd.weight", emb, separate));
        assertEquals(GgmlType.Q6_K, FileType.Q4_0.typeFor("output.weight", emb, separate));
        assertEquals(GgmlType.Q8_0, FileType.Q8_0.typeFor("output.weight", emb, separate));
        assertEquals(GgmlType.F16, FileType.F16.typeFor("output.weight", emb, separate));
        assertEquals(GgmlType.BF16, FileType.BF16.typeFor("blk.0.attn_q.weight", new long[] {896, 896}, separate));
        // Qwen2-0.5B's 896-wide rows do not fill 256-blocks: the output (here the tied embedding) becomes Q8_0
        assertEquals(GgmlType.Q8_0, FileType.Q4_K_M.typeFor("token_embd.weight", new long[] {896, 151936}, tied));
        assertEquals(GgmlType.Q8_0, FileType.Q4_0.typeFor("output.weight", new long[] {896, 151936}, separate));
        assertEquals(GgmlType.Q5_0, FileType.Q4_K_M.typeFor("blk.0.attn_q.weight", new long[] {896, 896}, tied));
        // output rows not a multiple of the base type's block: Q8_0
        assertEquals(GgmlType.Q8_0, FileType.Q4_K_M.typeFor("output.weight", new long[] {800, 1000}, separate));
        // 1-D, norms, biases, routers stay F32
        assertEquals(GgmlType.F32, FileType.Q4_K_M.typeFor("blk.0.attn_norm.weight", new long[] {896}, separate));
        assertEquals(GgmlType.F32, FileType.Q4_K_M.typeFor("blk.0.attn_q.bias", new long[] {896}, separate));
        assertEquals(GgmlType.F32, FileType.Q8_0.typeFor("blk.0.ffn_gate_inp.weight", new long[] {896, 8}, separate));
        assertEquals(GgmlType.F32, FileType.Q8_0.typeFor("blk.0.attn_q_norm.weight", new long[] {64, 1}, separate));
        assertFalse(FileType.quantizable("output_norm.weight", new long[] {896}));
        assertTrue(FileType.quantizable("blk.0.ffn_up_exps.weight", new long[] {896, 4864, 8}));
    }

    @Test
    void rowsThatDoNotFillBlocksFallBack() {
        FileType.ModelInfo m = new FileType.ModelInfo("llama", 2, 0, 4, 4, 2, true);
        long[] w96 = {96, 64}, w100 = {100, 64};
        assertEquals(GgmlType.Q5_0, FileType.Q4_K_M.typeFor("blk.0.attn_q.weight", w96, m));
        assertEquals(GgmlType.Q4_0, FileType.Q2_K.typeFor("blk.0.attn_q.weight", w96, m));
        assertEquals(GgmlType.Q4_0, FileType.Q3_K_S.typeFor("blk.0.attn_q.weight", w96, m));
        assertEquals(GgmlType.Q5_1, FileType.Q5_K_S.typeFor("blk.0.attn_q.weight", w96, m));
        assertEquals(GgmlType.Q8_0, FileType.Q6_K.typeFor("blk.0.attn_q.weight", w96, m));
        assertEquals(GgmlType.F16, FileType.Q4_K_M.typeFor("blk.0.attn_q.weight", w100, m));
        assertEquals(GgmlType.F16, FileType.Q8_0.typeFor("blk.0.attn_q.weight", w100, m));
        assertEquals(GgmlType.Q4_0, FileType.Q4_0.typeFor("blk.0.attn_q.weight", w96, m));
    }
}
