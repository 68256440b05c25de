package io.jollama.server.create;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufWriter;
import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tokenizer.Tokenizer;
import io.jollama.server.Json;
import io.jollama.server.ServerConfig;
import io.jollama.server.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.http.HttpResponse;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Safetensors import: Hugging Face directories written from the shared random-weight GGUFs are converted back and
 * must give the same tensors (bit for bit), the same tokenizer arrays and metadata, and through the API the same
 * greedy tokens as llama.cpp produced for the shared file; tokenizers converted from the shared vocabularies must
 * pass llama.cpp's tokenizer vectors; bad directories are refused with 400 and nothing stored.
 */
class SafetensorsImportTest {

    @TempDir
    Path tmp;

    static Path arch(String name) {
        return TestServer.testdata().resolve("models/arch/" + name + "-f32.gguf");
    }

    static Map<String, Path> byName(Path dir, List<Path> files) {
        Map<String, Path> m = new LinkedHashMap<>();
        for (Path p : files) m.put(dir.relativize(p).toString(), p);
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "qwen2", "qwen3", "gemma3", "phi3"})
    void convertsBackToTheSharedGgufBitForBit(String name) throws IOException {
        Path dir = tmp.resolve("hf");
        List<Path> files = HfDirectory.write(arch(name), dir, "F32", name.equals("qwen2") ? 3 : 1);
        Path out = tmp.resolve("out.gguf");
        new HfConverter(byName(dir, files), tmp).convert(out, GgmlType.F32);
        try (GgufFile ref = GgufFile.open(arch(name), false); GgufFile got = GgufFile.open(out, false)) {
            assertEquals(ref.tensors().stream().map(GgufTensorInfo::name).sorted().toList(),
                    got.tensors().stream().map(GgufTensorInfo::name).sorted().toList());
            for (GgufTensorInfo t : ref.tensors()) {
                GgufTensorInfo c = got.tensor(t.name());
                assertArrayEquals(t.shape(), c.shape(), t.name());
                assertEquals(GgmlType.F32, c.type(), t.name());
                assertEquals(-1, ref.tensorData(t).mismatch(got.tensorData(c)), t.name() + " differs");
            }
            String a = ref.getString("general.architecture", "");
            assertEquals(a, got.getString("general.architecture", ""));
            int compared = 0;
            for (var e : got.metadata().entrySet()) {
                String k = e.getKey();
                if (k.startsWith("general.") || k.equals("tokenizer.ggml.scores") || k.equals("tokenizer.ggml.token_type")
                        || !ref.has(k)) continue;
                assertEquals(render(ref.get(k)), render(e.getValue()), k);
                compared++;
            }
            assertTrue(compared >= 12, "compared " + compared + " keys");
            for (String k : List.of("block_count", "embedding_length", "feed_forward_length", "attention.head_count",
                    "attention.head_count_kv", "attention.layer_norm_rms_epsilon", "rope.freq_base")) {
                assertTrue(got.has(a + "." + k), k);
            }
            int[] refTypes = ref.getInts("tokenizer.ggml.token_type"), gotTypes = got.getInts("tokenizer.ggml.token_type");
            assertEquals(refTypes.length, gotTypes.length);
            for (int i = 0; i < refTypes.length; i++) {
                // LlamaHfVocab types the unknown token as a control token (its id is among the tokenizer's special ids)
                if (refTypes[i] == 2) assertEquals(3, gotTypes[i]);
                else assertEquals(refTypes[i], gotTypes[i], "type of token " + i);
            }
        }
    }

    private static String render(GgufValue v) {
        Object o = v.value();
        if (o instanceof io.jollama.engine.gguf.GgufArray arr) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < arr.length(); i++) b.append(arr.get(i)).append('\u0000');
            return b.toString();
        }
        return v.type() + ":" + o;
    }

    @Test
    void halfPrecisionSourcesAndLlamaCppAutoType() throws IOException {
        for (String dtype : List.of("F16", "BF16", "F32")) {
            Path dir = tmp.resolve("hf-" + dtype);
            List<Path> files = HfDirectory.write(arch("llama-bpe"), dir, dtype, 1);
            Path out = tmp.resolve(dtype + ".gguf");
            new HfConverter(byName(dir, files), tmp).convert(out, null);
            GgmlType expected = dtype.equals("BF16") ? GgmlType.BF16 : GgmlType.F16; // F32 sources: F16, as --outtype auto
            try (GgufFile ref = GgufFile.open(arch("llama-bpe"), false); GgufFile got = GgufFile.open(out, false)) {
                assertEquals(expected == GgmlType.BF16 ? 32 : 1, got.getInt("general.file_type", -1));
                for (GgufTensorInfo t : ref.tensors()) {
                    GgufTensorInfo c = got.tensor(t.name());
                    float[] v = ref.tensorData(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                    boolean vector = t.shape().length == 1;
                    assertEquals(vector ? GgmlType.F32 : expected, c.type(), t.name());
                    MemorySegment data = got.tensorData(c);
                    for (int i = 0; i < v.length; i += 7) {
                        float source = switch (dtype) { // the value the safetensors file holds
                            case "F16" -> Float.float16ToFloat(Float.floatToFloat16(v[i]));
                            case "BF16" -> Float.intBitsToFloat(HfConverter.bf16(v[i]) << 16);
                            default -> v[i];
                        };
                        if (t.name().equals("rope_freqs.weight")) source = v[i];
                        float stored = vector ? data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i)
                                : expected == GgmlType.F16 ? Float.float16ToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i))
                                : Float.intBitsToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16);
                        float want = vector ? source : expected == GgmlType.F16 ? Float.float16ToFloat(Float.floatToFloat16(source))
                                : Float.intBitsToFloat(HfConverter.bf16(source) << 16);
                        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(stored), t.name() + "[" + i + "]");
                    }
                }
            }
        }
    }

    /** Tokenizers converted from tokenizer.json files of the shared vocabularies: the pre-tokenizer llama.cpp's hash finds, and its test vectors. */
    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "qwen2", "gpt-2", "llama-spm"})
    void convertedTokenizersPassTheVocabVectors(String vocab) throws IOException {
        Path gguf = TestServer.testdata().resolve("vocab/ggml-vocab-" + vocab + ".gguf");
        Path dir = tmp.resolve("tok");
        Files.createDirectories(dir);
        Map<String, GgufValue> kv;
        GgufFile src = GgufFile.readHeader(gguf);
        HfDirectory.tokenizer(src, dir);
        JsonNode config = Json.MAPPER.createObjectNode().put("vocab_size", src.getStrings("tokenizer.ggml.tokens").length);
        kv = HfVocab.convert(new HfVocab.Sources(read(dir, "tokenizer.json"), read(dir, "tokenizer_config.json"),
                read(dir, "special_tokens_map.json"), config, null), src.getStrings("tokenizer.ggml.tokens").length, tmp);
        assertEquals(src.getString("tokenizer.ggml.pre", "default"), kv.get("tokenizer.ggml.pre").value(), "pre-tokenizer");
        assertArrayEquals(src.getStrings("tokenizer.ggml.tokens"), (String[]) ((io.jollama.engine.gguf.GgufArray) kv.get("tokenizer.ggml.tokens").value()).values());
        GgufWriter w = new GgufWriter();
        kv.forEach(w::put);
        Path out = tmp.resolve("vocab.gguf");
        w.write(out);
        Tokenizer t = Tokenizer.fromGguf(GgufFile.readHeader(out));
        String[] inputs = Files.readString(gguf.resolveSibling(gguf.getFileName() + ".inp"), StandardCharsets.UTF_8).split("\n__ggml_vocab_test__\n", -1);
        List<String> expected = Files.readAllLines(gguf.resolveSibling(gguf.getFileName() + ".out"), StandardCharsets.UTF_8);
        for (int i = 0; i < expected.size(); i++) {
            int[] want = expected.get(i).isBlank() ? new int[0] : Arrays.stream(expected.get(i).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            assertArrayEquals(want, t.encode(inputs[i], false, false), "case " + i + ": " + inputs[i]);
        }
    }

    private static JsonNode read(Path dir, String name) throws IOException {
        return Json.MAPPER.readTree(Files.readAllBytes(dir.resolve(name)));
    }

    // ------------------------------------------------------------------ through HTTP

    static String createBody(String model, Map<String, String> files, String quantize) {
        StringBuilder b = new StringBuilder("{\"model\":\"" + model + "\",\"files\":{");
        int i = 0;
        for (var e : files.entrySet()) b.append(i++ == 0 ? "" : ",").append(Json.write(e.getKey())).append(":\"").append(e.getValue()).append('"');
        b.append('}');
        if (quantize != null) b.append(",\"quantize\":\"").append(quantize).append('"');
        return b.append(",\"stream\":false}").toString();
    }

    static Map<String, String> upload(TestServer server, Path dir, List<Path> files) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (Path p : files) m.put(dir.relativize(p).toString(), server.upload(p));
        return m;
    }

    @Test
    void createsFromSafetensorsAndGeneratesLikeLlamaCpp() throws Exception {
        try (TestServer server = new TestServer(ServerConfig.local(0, tmp.resolve("models")))) {
            for (String name : List.of("llama-bpe", "qwen2", "qwen3", "gemma3", "phi3")) {
                Path dir = tmp.resolve("hf-" + name);
                Map<String, String> files = upload(server, dir, HfDirectory.write(arch(name), dir, "F32", name.equals("llama-bpe") ? 2 : 1));
                HttpResponse<String> r = server.post("/api/create", createBody(name, files, "f32").replace(",\"stream\":false", ""));
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(r.body().contains("{\"status\":\"converting model\"}"), r.body());
                assertTrue(r.body().contains("\"status\":\"success\""), r.body());
                JsonNode ref = Json.MAPPER.readTree(arch(name).resolveSibling(name + "-f32.gguf.reference.json").toFile()).get("prompts").get(0);
                r = server.post("/api/generate", "{\"model\":\"" + name + "\",\"prompt\":" + Json.write(ref.get("prompt").asString())
                        + ",\"options\":{\"temperature\":0,\"num_predict\":32},\"stream\":false}");
                assertEquals(200, r.statusCode(), r.body());
                JsonNode j = TestServer.json(r);
                List<Integer> want = new java.util.ArrayList<>();
                ref.get("prompt_tokens").forEach(n -> want.add(n.asInt()));
                ref.get("tokens").forEach(n -> want.add(n.asInt()));
                List<Integer> got = new java.util.ArrayList<>();
                j.get("context").forEach(n -> got.add(n.asInt()));
                assertEquals(want, got, name + ": prompt tokens and 32 greedy tokens as llama.cpp's");
                assertEquals(ref.get("content").asString(), j.get("response").asString(), name);
            }
            // quantized in the same request
            Path dir = tmp.resolve("hf-q");
            Map<String, String> files = upload(server, dir, HfDirectory.write(arch("qwen3"), dir, "BF16", 1));
            HttpResponse<String> r = server.post("/api/create", createBody("q", files, "q8_0"));
            assertEquals(200, r.statusCode(), r.body());
            JsonNode show = TestServer.json(server.post("/api/show", "{\"model\":\"q\"}"));
            assertEquals("Q8_0", show.get("details").get("quantization_level").asString());
            assertEquals("qwen3", show.get("details").get("family").asString());
            r = server.post("/api/generate", "{\"model\":\"q\",\"prompt\":\"Hello\",\"options\":{\"temperature\":0,\"num_predict\":4},\"stream\":false}");
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @Test
    void badDirectoriesAreRefusedAndNothingIsStored() throws Exception {
        try (TestServer server = new TestServer(ServerConfig.local(0, tmp.resolve("models")))) {
            Path dir = tmp.resolve("hf");
            List<Path> written = HfDirectory.write(arch("qwen3"), dir, "F32", 1);
            Map<String, String> good = upload(server, dir, written);

            Map<String, String> noConfig = new LinkedHashMap<>(good);
            noConfig.remove("config.json");
            assertRefused(server, noConfig, "config.json is missing");

            Path other = tmp.resolve("other");
            Files.createDirectories(other);
            Files.writeString(other.resolve("config.json"), "{\"architectures\":[\"GPTNeoXForCausalLM\"],\"vocab_size\":1024}");
            Map<String, String> unsupported = new LinkedHashMap<>(good);
            unsupported.put("config.json", server.upload(other.resolve("config.json")));
            assertRefused(server, unsupported, "unsupported architecture 'GPTNeoXForCausalLM'");

            byte[] st = Files.readAllBytes(dir.resolve("model.safetensors"));
            Files.write(other.resolve("model.safetensors"), Arrays.copyOf(st, st.length - 1000));
            Map<String, String> truncated = new LinkedHashMap<>(good);
            truncated.put("model.safetensors", server.upload(other.resolve("model.safetensors")));
            assertRefused(server, truncated, "is truncated");

            // a header whose offsets do not fit the shapes (same length, so the file size is not the giveaway)
            String header = new String(st, 8, (int) java.nio.ByteBuffer.wrap(st, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(), StandardCharsets.UTF_8);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"data_offsets\":\\[(\\d+),(\\d+)]").matcher(header);
            assertTrue(m.find());
            String lying = header.substring(0, m.start()) + pad("\"data_offsets\":[" + m.group(1) + "," + (Long.parseLong(m.group(2)) - 4) + "]",
                    m.end() - m.start()) + header.substring(m.end());
            byte[] bad = st.clone();
            System.arraycopy(lying.getBytes(StandardCharsets.UTF_8), 0, bad, 8, lying.length());
            Files.write(other.resolve("model.safetensors"), bad);
            Map<String, String> lies = new LinkedHashMap<>(good);
            lies.put("model.safetensors", server.upload(other.resolve("model.safetensors")));
            assertRefused(server, lies, "does not match its data");

            // a sharded model missing a shard: named by the index, or (without the index) its tensors missing
            Path sharded = tmp.resolve("sharded");
            Map<String, String> two = upload(server, sharded, HfDirectory.write(arch("qwen3"), sharded, "F32", 2));
            two.remove("model-00001-of-00002.safetensors");
            assertRefused(server, two, "safetensors file model-00001-of-00002.safetensors named by model.safetensors.index.json is missing");
            two.remove("model.safetensors.index.json");
            assertRefused(server, two, "the safetensors files have no tensor for token_embd.weight");

            JsonNode tags = TestServer.json(server.get("/api/tags"));
            assertEquals(0, tags.get("models").size(), tags.toString());
            try (Stream<Path> s = Files.list(tmp.resolve("models/blobs"))) {
                List<String> names = s.map(p -> p.getFileName().toString()).toList();
                assertTrue(names.stream().allMatch(n -> n.startsWith("sha256-")), "no temporary files left: " + names);
                assertEquals(good.size() + 3 + 3, names.size(), "only the uploads are stored: " + names);
            }
        }
    }

    private static String pad(String s, int len) {
        return s + " ".repeat(len - s.length());
    }

    private static void assertRefused(TestServer server, Map<String, String> files, String message) {
        HttpResponse<String> r = server.post("/api/create", createBody("broken", files, null));
        assertEquals(400, r.statusCode(), r.body());
        String error = TestServer.json(r).get("error").asString();
        assertTrue(error.contains(message), error);
        assertFalse(error.contains("Exception"), error);
    }
}
