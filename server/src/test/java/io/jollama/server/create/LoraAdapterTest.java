package io.jollama.server.create;

import io.jollama.engine.lora.RandomLora;
import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A GGUF LoRA adapter given by {@code adapters} is merged at load: the model generates llama.cpp's greedy tokens
 * for the same base and adapter ({@code llama-server --lora}, tokens in qwen2-lora-reference.json), the base model
 * still generates its own, and an adapter that does not fit the base is refused at create.
 */
public class LoraAdapterTest {

    @TempDir
    Path tmp;

    public static final List<String> WEIGHTS = List.of("blk.0.attn_q.weight", "blk.0.attn_v.weight", "blk.1.attn_output.weight", "blk.1.ffn_down.weight");

    static List<Integer> context(TestServer server, String model, String prompt) {
        HttpResponse<String> r = server.post("/api/generate", "{\"model\":\"" + model + "\",\"prompt\":" + Json.write(prompt)
                + ",\"options\":{\"temperature\":0,\"num_predict\":32},\"stream\":false}");
        assertEquals(200, r.statusCode(), r.body());
        List<Integer> out = new ArrayList<>();
        TestServer.json(r).get("context").forEach(n -> out.add(n.asInt()));
        return out;
    }

    static List<Integer> expected(JsonNode p) {
        List<Integer> want = new ArrayList<>();
        p.get("prompt_tokens").forEach(n -> want.add(n.asInt()));
        p.get("tokens").forEach(n -> want.add(n.asInt()));
        return want;
    }

    @Test
    void adapterIsAppliedAsLlamaCppAppliesIt() throws Exception {
        JsonNode ref = Json.MAPPER.readTree(LoraAdapterTest.class.getResourceAsStream("qwen2-lora-reference.json"));
        Path base = TestServer.testdata().resolve("models/arch/qwen2-f32.gguf");
        Path adapter = RandomLora.write(base, tmp.resolve("adapter.gguf"), 42, 4, 8f, WEIGHTS, 0);
        assertEquals(ref.get("adapter_sha256").asString(), TestServer.sha256Hex(adapter), "the adapter llama.cpp was run with");
        JsonNode baseRef = Json.MAPPER.readTree(base.resolveSibling("qwen2-f32.gguf.reference.json").toFile());
        try (TestServer server = new TestServer(ServerConfig.local(0, tmp.resolve("models")))) {
            String b = server.upload(base), a = server.upload(adapter);
            assertEquals(200, server.post("/api/create", "{\"model\":\"base\",\"files\":{\"m.gguf\":\"" + b + "\"},\"stream\":false}").statusCode());
            HttpResponse<String> r = server.post("/api/create", "{\"model\":\"tuned\",\"from\":\"base\",\"adapters\":{\"adapter.gguf\":\"" + a + "\"},\"stream\":false}");
            assertEquals(200, r.statusCode(), r.body());
            for (int i = 0; i < 3; i++) {
                JsonNode p = ref.get("prompts").get(i);
                List<Integer> tuned = context(server, "tuned", p.get("prompt").asString());
                assertEquals(expected(p), tuned, "with the adapter: llama.cpp's tokens for " + p.get("prompt"));
                List<Integer> plain = context(server, "base", p.get("prompt").asString());
                assertEquals(expected(baseRef.get("prompts").get(i)), plain, "the base model is unchanged");
                assertNotEquals(plain, tuned);
            }
            String modelfile = TestServer.json(server.post("/api/show", "{\"model\":\"tuned\"}")).get("modelfile").asString();
            assertTrue(modelfile.contains("\nADAPTER "), modelfile);
            JsonNode ps = TestServer.json(server.get("/api/ps"));
            assertEquals(2, ps.get("models").size(), "base and tuned are two runners: " + ps);
        }
    }

    /**
     * A quantized base (Q8_0): the merge re-quantizes the adapted rows, llama.cpp adds the low-rank product beside the
     * quantized weight, so the two agree within the shared quantized tolerance (0.4 in log-probability) rather than bit
     * for bit: compared while the greedy sequences agree, the first token always (its margin is wide).
     */
    @Test
    void quantizedBaseWithinTheQuantizedTolerance() throws Exception {
        JsonNode ref = Json.MAPPER.readTree(LoraAdapterTest.class.getResourceAsStream("llama-spm-q8_0-lora-reference.json"));
        Path base = TestServer.testdata().resolve("models/arch/llama-spm-q8_0.gguf");
        Path adapter = RandomLora.write(base, tmp.resolve("adapter.gguf"), 5, 8, 16f,
                List.of("blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.ffn_gate.weight", "blk.1.attn_v.weight", "blk.1.ffn_down.weight"), 0);
        assertEquals(ref.get("adapter_sha256").asString(), TestServer.sha256Hex(adapter), "the adapter llama.cpp was run with");
        try (TestServer server = new TestServer(ServerConfig.local(0, tmp.resolve("models")))) {
            String b = server.upload(base), a = server.upload(adapter);
            HttpResponse<String> r = server.post("/api/create", "{\"model\":\"tuned\",\"files\":{\"m.gguf\":\"" + b + "\"},\"adapters\":{\"a.gguf\":\"" + a + "\"},\"stream\":false}");
            assertEquals(200, r.statusCode(), r.body());
            int compared = 0;
            double worst = 0;
            for (JsonNode p : ref.get("prompts")) {
                r = server.post("/api/generate", "{\"model\":\"tuned\",\"prompt\":" + Json.write(p.get("prompt").asString())
                        + ",\"options\":{\"temperature\":0,\"num_predict\":32},\"logprobs\":true,\"top_logprobs\":5,\"stream\":false}");
                assertEquals(200, r.statusCode(), r.body());
                JsonNode j = TestServer.json(r);
                List<Integer> ctx = new ArrayList<>();
                j.get("context").forEach(n -> ctx.add(n.asInt()));
                int n = p.get("prompt_tokens").size();
                assertEquals(expected(p).subList(0, n), ctx.subList(0, n), "prompt tokens");
                for (int i = 0; i < 32; i++) {
                    JsonNode t = p.get("top5").get(i);
                    double margin = t.get("top_logprobs").get(0).asDouble() - t.get("top_logprobs").get(1).asDouble();
                    if (i == 0 || margin > 0.8) assertEquals(t.get("token").asInt(), ctx.get(n + i), "position " + i + " of " + p.get("prompt"));
                    if (ctx.get(n + i) != t.get("token").asInt()) break; // the sequences part: nothing more to compare
                    double d = Math.abs(t.get("logprob").asDouble() - j.get("logprobs").get(i).get("logprob").asDouble());
                    assertTrue(d <= 0.4, "log-prob at " + i + " differs by " + d);
                    worst = Math.max(worst, d);
                    compared++;
                }
            }
            assertTrue(compared >= 30, "positions compared: " + compared + " (measured: 55 of 96, within 0.15)"); 
        }
    }

    /** A PEFT directory (adapter_model.safetensors, adapter_config.json) holding the same adapter as a GGUF one. */
    public static List<Path> peft(Path gguf, Path dir, int nHead, int nKvHead) throws java.io.IOException {
        java.nio.file.Files.createDirectories(dir);
        java.util.Map<String, float[]> tensors = new java.util.LinkedHashMap<>();
        java.util.Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
        float alpha;
        try (io.jollama.engine.gguf.GgufFile g = io.jollama.engine.gguf.GgufFile.open(gguf, false)) {
            String arch = g.getString("general.architecture", "");
            alpha = g.getFloat("adapter.lora.alpha", 0);
            for (var t : g.tensors()) {
                boolean isA = t.name().endsWith(".lora_a");
                String weight = t.name().substring(0, t.name().length() - 7);
                String hf = "base_model.model." + HfDirectory.hfName(arch, weight).replace(".weight", isA ? ".lora_A.weight" : ".lora_B.weight");
                float[] v = g.tensorData(t).toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
                long rows = t.shape()[1], cols = t.shape()[0];
                if (!isA && arch.equals("llama") && (weight.endsWith("attn_q.weight") || weight.endsWith("attn_k.weight"))) {
                    int heads = weight.endsWith("attn_q.weight") ? nHead : nKvHead;
                    v = HfDirectory.unpermute(v, (int) rows, cols, heads);
                }
                tensors.put(hf, v);
                shapes.put(hf, new long[]{rows, cols});
            }
        }
        Path st = HfDirectory.safetensors(dir.resolve("adapter_model.safetensors"), tensors, shapes, "F32");
        Path cfg = HfDirectory.writeJson(dir.resolve("adapter_config.json"), Json.MAPPER.createObjectNode()
                .put("peft_type", "LORA").put("r", 4).put("lora_alpha", alpha));
        return List.of(st, cfg);
    }

    @Test
    void peftAdapterIsConvertedAsConvertLoraToGgufDoes() throws Exception {
        JsonNode ref = Json.MAPPER.readTree(LoraAdapterTest.class.getResourceAsStream("qwen2-lora-reference.json"));
        Path base = TestServer.testdata().resolve("models/arch/qwen2-f32.gguf");
        Path adapter = RandomLora.write(base, tmp.resolve("adapter.gguf"), 42, 4, 8f, WEIGHTS, 0);
        Path dir = tmp.resolve("peft");
        List<Path> files = peft(adapter, dir, 0, 0);
        try (TestServer server = new TestServer(ServerConfig.local(0, tmp.resolve("models")))) {
            String b = server.upload(base);
            assertEquals(200, server.post("/api/create", "{\"model\":\"base\",\"files\":{\"m.gguf\":\"" + b + "\"},\"stream\":false}").statusCode());
            HttpResponse<String> r = server.post("/api/create", "{\"model\":\"tuned\",\"from\":\"base\",\"adapters\":{\"adapter_model.safetensors\":\""
                    + server.upload(files.get(0)) + "\",\"adapter_config.json\":\"" + server.upload(files.get(1)) + "\"}}");
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("{\"status\":\"converting adapter\"}"), r.body());
            for (int i = 0; i < 3; i++) {
                JsonNode p = ref.get("prompts").get(i);
                assertEquals(expected(p), context(server, "tuned", p.get("prompt").asString()), "llama.cpp's tokens for " + p.get("prompt"));
            }
        }
        // Llama: lora_B rows of q and k permuted as the base weights are; the GGUF adapter comes back bit for bit
        Path llama = TestServer.testdata().resolve("models/arch/llama-bpe-f32.gguf");
        Path la = RandomLora.write(llama, tmp.resolve("llama-lora.gguf"), 3, 4, 16f,
                List.of("blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.1.ffn_gate.weight"), 0);
        Path ldir = tmp.resolve("peft-llama");
        List<Path> lf = peft(la, ldir, 4, 2);
        Path out = tmp.resolve("back.gguf");
        try (io.jollama.engine.gguf.GgufFile header = io.jollama.engine.gguf.GgufFile.readHeader(llama)) {
            new HfConverter(java.util.Map.of("adapter_model.safetensors", lf.get(0), "adapter_config.json", lf.get(1)), tmp).convertAdapter(header, out);
        }
        try (io.jollama.engine.gguf.GgufFile want = io.jollama.engine.gguf.GgufFile.open(la, false);
             io.jollama.engine.gguf.GgufFile got = io.jollama.engine.gguf.GgufFile.open(out, false)) {
            assertEquals(16f, got.getFloat("adapter.lora.alpha", 0));
            assertEquals("adapter", got.getString("general.type", ""));
            assertEquals(want.tensors().size(), got.tensors().size());
            for (var t : want.tensors()) {
                var c = got.tensor(t.name());
                assertTrue(c != null, t.name());
                assertEquals(java.util.Arrays.toString(t.shape()), java.util.Arrays.toString(c.shape()), t.name());
                assertEquals(-1, want.tensorData(t).mismatch(got.tensorData(c)), t.name());
            }
        }
    }

    @Test
    void adapterThatDoesNotFitIsRefused() throws Exception {
        Path base = TestServer.testdata().resolve("models/arch/qwen2-f32.gguf");
        Path wrong = RandomLora.write(base, tmp.resolve("wrong.gguf"), 1, 4, 8f, List.of("blk.0.attn_q.weight"), 16);
        Path otherArch = RandomLora.write(TestServer.testdata().resolve("models/arch/qwen3-f32.gguf"), tmp.resolve("q3.gguf"), 1, 4, 8f,
                List.of("blk.0.attn_q.weight"), 0);
        try (TestServer server = new TestServer(ServerConfig.local(0, tmp.resolve("models")))) {
            String b = server.upload(base);
            assertEquals(200, server.post("/api/create", "{\"model\":\"base\",\"files\":{\"m.gguf\":\"" + b + "\"},\"stream\":false}").statusCode());
            HttpResponse<String> r = server.post("/api/create", "{\"model\":\"bad\",\"from\":\"base\",\"adapters\":{\"a.gguf\":\""
                    + server.upload(wrong) + "\"},\"stream\":false}");
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(TestServer.json(r).get("error").asString().contains("the adapter does not fit the model: blk.0.attn_q.weight"), r.body());
            r = server.post("/api/create", "{\"model\":\"bad\",\"from\":\"base\",\"adapters\":{\"a.gguf\":\""
                    + server.upload(otherArch) + "\"},\"stream\":false}");
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(TestServer.json(r).get("error").asString().contains("the adapter is for the qwen3 architecture, the model is qwen2"), r.body());
            assertEquals(404, server.post("/api/show", "{\"model\":\"bad\"}").statusCode());
        }
    }
}
