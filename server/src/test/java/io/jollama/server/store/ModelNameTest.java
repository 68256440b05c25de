package io.jollama.server.store;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Spec §2: the name grammar, defaults, validity, display form and file path (cases from Ollama's name_test.go). */
class ModelNameTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            // input | host | namespace | model | tag | scheme (bare parse)
            "registry.ollama.ai/library/dolphin-mistral:7b-v2.6-dpo-laser-q6_K|registry.ollama.ai|library|dolphin-mistral|7b-v2.6-dpo-laser-q6_K|''",
            "scheme://host:port/namespace/model:tag|host:port|namespace|model|tag|scheme",
            "host/namespace/model:tag|host|namespace|model|tag|''",
            "host:port/namespace/model:tag|host:port|namespace|model|tag|''",
            "host/namespace/model|host|namespace|model|''|''",
            "host:port/namespace/model|host:port|namespace|model|''|''",
            "namespace/model|''|namespace|model|''|''",
            "model|''|''|model|''|''",
            "h/nn/mm:t|h|nn|mm|t|''",
            "host:https/namespace/model:tag|host:https|namespace|model|tag|''",
            "mm:|''|''|mm|!MISSING!|''",
            "/nn/mm|!MISSING!|nn|mm|''|''",
            "hh//|hh|!MISSING!|!MISSING!|''|''",
    })
    void parsesBare(String in, String host, String ns, String model, String tag, String scheme) {
        ModelName n = ModelName.parseBare(in);
        assertEquals(host, n.host(), "host");
        assertEquals(ns, n.namespace(), "namespace");
        assertEquals(model, n.model(), "model");
        assertEquals(tag, n.tag(), "tag");
        assertEquals(scheme, n.scheme(), "scheme");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "registry.ollama.ai/library/dolphin-mistral:7b-v2.6-dpo-laser-q6_K|registry.ollama.ai/library/dolphin-mistral/7b-v2.6-dpo-laser-q6_K",
            "scheme://host:port/namespace/model:tag|host:port/namespace/model/tag",
            "host/namespace/model:tag|host/namespace/model/tag",
            "host:port/namespace/model:tag|host:port/namespace/model/tag",
            "host/namespace/model|host/namespace/model/latest",
            "host:port/namespace/model|host:port/namespace/model/latest",
            "namespace/model|registry.ollama.ai/namespace/model/latest",
            "model|registry.ollama.ai/library/model/latest",
            "h/nn/mm:t|h/nn/mm/t",
            "_why/_the/_lucky:_stiff|_why/_the/_lucky/_stiff",
            "host:https/namespace/model:tag|host:https/namespace/model/tag",
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M|hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF/Q4_K_M",
    })
    void validWithDefaults(String in, String path) {
        ModelName n = ModelName.parse(in);
        assertTrue(n.isValid(), in);
        assertEquals(Path.of(path), n.filepath());
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"", "^", "@", "@t", "m@d", "00@", "mm:", "n/m:", "/nn/mm", "//", "//mm", "hh//", "//mm:@",
            "-hh/nn/mm:tt", "hh/-nn/mm:tt", "hh/nn/-mm:tt", "hh/nn/mm:-tt", "host/name:space/model:tag", "hh/n.n/mm"})
    void invalid(String in) {
        assertFalse(ModelName.parse(in).isValid(), in);
    }

    @Test
    void bareValidityNeedsEveryPart() {
        assertTrue(ModelName.parseBare("host/namespace/model:tag").isValid());
        assertTrue(ModelName.parseBare("h/n/m:t").isValid());
        assertFalse(ModelName.parseBare("host/namespace/model").isValid());
        assertFalse(ModelName.parseBare("namespace/model").isValid());
        assertFalse(ModelName.parseBare("model").isValid());
    }

    @Test
    void lengthLimits() {
        String p80 = "a".repeat(80), p81 = "a".repeat(81);
        assertTrue(ModelName.parse(p80 + "/" + p80 + "/" + p80 + ":" + p80).isValid());
        assertTrue(ModelName.parse("h".repeat(350) + "/n/m:t").isValid());
        assertFalse(ModelName.parse("h".repeat(351) + "/n/m:t").isValid());
        assertFalse(ModelName.parse("h/" + p81 + "/m:t").isValid());
        assertFalse(ModelName.parse("h/n/" + p81 + ":t").isValid());
        assertFalse(ModelName.parse("h/n/m:" + p81).isValid());
    }

    @Test
    void partValidity() {
        assertFalse(ModelName.isValidHost(""));
        assertTrue(ModelName.isValidHost("a"));
        assertTrue(ModelName.isValidHost("a."));
        assertTrue(ModelName.isValidHost("a.b"));
        assertTrue(ModelName.isValidHost("a:123"));
        assertFalse(ModelName.isValidHost("a:123/aa/bb"));
        assertTrue(ModelName.isValidNamespace("bb"));
        assertFalse(ModelName.isValidNamespace("a."));
        assertFalse(ModelName.isValidModel("-h"));
        assertTrue(ModelName.isValidNamespace("himynameisreallyreallyreallyreallylongbutitshouldstillbevalid"));
        for (String bad : new String[]{"", "a:b", "a/b", "a@b"}) assertFalse(ModelName.isValidNamespace(bad), bad);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "registry.ollama.ai/library/model:latest|model:latest",
            "registry.ollama.ai/library/model:tag|model:tag",
            "registry.ollama.ai/namespace/model:tag|namespace/model:tag",
            "host/namespace/model:tag|host/namespace/model:tag",
            "host/library/model:tag|host/library/model:tag",
            "REGISTRY.ollama.ai/Library/Model|Model:latest",
            "llama3.2|llama3.2:latest",
    })
    void displayShortest(String in, String shown) {
        assertEquals(shown, ModelName.parse(in).displayShortest());
    }

    @Test
    void stringFormAndCase() {
        assertEquals("registry.ollama.ai/library/xx:latest", ModelName.parse("xx").toString());
        ModelName n = ModelName.parse("Example/Model:TAG");
        assertEquals("Example", n.namespace());
        assertEquals("Model", n.model());
        assertEquals("TAG", n.tag());
        assertTrue(n.equalsIgnoreCase(ModelName.parse("example/model:tag")));
    }
}
