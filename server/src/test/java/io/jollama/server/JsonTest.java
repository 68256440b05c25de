package io.jollama.server;

import io.jollama.server.store.Digest;
import io.jollama.server.store.ConfigBlob;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Go-compatible JSON: decoding rules of §0 and byte-identical blobs of §3.4/§5.3. */
class JsonTest {

    record Req(String model, Boolean stream) {}

    @Test
    void decodesLikeGo() {
        assertEquals(new Req("m", true), Json.MAPPER.readValue("{\"MODEL\":\"m\",\"Stream\":true,\"unknown\":1}", Req.class));
        assertEquals(new Req("b", null), Json.MAPPER.readValue("{\"model\":\"a\",\"model\":\"b\"}", Req.class));
        var e = assertThrows(tools.jackson.core.JacksonException.class, () -> Json.MAPPER.readValue("{\"model\":", Req.class));
        assertEquals("unexpected EOF", Json.decodeError(e));
        e = assertThrows(tools.jackson.core.JacksonException.class, () -> Json.MAPPER.readValue("xyz", Req.class));
        assertEquals("invalid character 'x' looking for beginning of value", Json.decodeError(e));
        e = assertThrows(tools.jackson.core.JacksonException.class, () -> Json.MAPPER.readValue("{\"model\":1}", Req.class));
        assertEquals("json: cannot unmarshal number into Go struct field .model of type string", Json.decodeError(e));
        e = assertThrows(tools.jackson.core.JacksonException.class, () -> Json.MAPPER.readValue("{\"model\":[1]}", Req.class));
        assertEquals("json: cannot unmarshal array into Go struct field .model of type string", Json.decodeError(e));
        e = assertThrows(tools.jackson.core.JacksonException.class, () -> Json.MAPPER.readValue("{\"stream\":\"yes\"}", Req.class));
        assertEquals("json: cannot unmarshal string into Go struct field .stream of type bool", Json.decodeError(e));
    }

    @Test
    void escapesHtmlCharactersAndSortsMapKeys() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stop", List.of("<|end|>", "a&b"));
        m.put("b", 1);
        m.put("a", 0.5);
        assertEquals("{\"a\":0.5,\"b\":1,\"stop\":[\"\\u003c|end|\\u003e\",\"a\\u0026b\"]}", Json.write(m));
    }

    @Test
    void goFloats() {
        assertEquals("1", Json.goFloat(1.0, false));
        assertEquals("0.6", Json.goFloat(0.6, false));
        assertEquals("0.7", Json.goFloat(0.7f, true));
        assertEquals("1e-7", Json.goFloat(1e-7, false));
        assertEquals("1e+21", Json.goFloat(1e21, false));
        assertEquals("123456789", Json.goFloat(123456789.0, false));
        assertEquals("-2.5", Json.goFloat(-2.5, false));
    }

    @Test
    void configBlobMatchesOllamaBytes() {
        ConfigBlob c = ConfigBlob.gguf("test", List.of("test"), "0", "unknown");
        byte[] b = Json.writeLine(c);
        assertEquals("{\"model_format\":\"gguf\",\"model_family\":\"test\",\"model_families\":[\"test\"],\"model_type\":\"0\",\"file_type\":\"unknown\",\"architecture\":\"amd64\",\"os\":\"linux\"}\n",
                new String(b, StandardCharsets.UTF_8));
        assertEquals("sha256:99759ad5b91e723db0393d698ffbb448b1b7df5ff6377a108c49254583b1bc8c", Digest.of(b));
    }

    @Test
    void paramsBlobsMatchOllamaDigests() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("temperature", 0.6);
        p.put("top_p", 0.7);
        p.put("top_k", 10);
        p.put("stop", List.of("USER:", "ASSISTANT:"));
        String d = Digest.hex(Json.writeLine(p));
        assertTrue(d.startsWith("e29a7b3c4728") && d.endsWith("e1ba"), d);
        String phi3 = Digest.hex(Json.writeLine(Map.of("stop", List.of("<|end|>", "<|system|>", "<|user|>", "<|assistant|>"))));
        assertTrue(phi3.startsWith("0d79f567714c") && phi3.endsWith("3cc5"), phi3);
    }
}
