package io.jollama.server.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jollama.server.store.ModelName;
import org.junit.jupiter.api.Test;

class RegistryNameTest {

    static RegistryName of(String name) {
        return StoreStorage.toRegistryName(ModelName.parse(name));
    }

    @Test
    void defaultNamesGoToTheOllamaRegistry() {
        assertEquals("https://registry.ollama.ai/v2/library/llama3/manifests/latest",
                of("llama3").apiUri(false, "manifests", "latest").toString());
        assertEquals("https://registry.ollama.ai/v2/jmorgan/tiny/blobs/sha256:ab",
                of("jmorgan/tiny:q4").apiUri(false, "blobs", "sha256:ab").toString());
    }

    @Test
    void huggingFaceNamesUseItsOllamaEndpoint() {
        RegistryName hf = of("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
        assertEquals("https://hf.co/v2/bartowski/Llama-3.2-1B-Instruct-GGUF/manifests/Q4_K_M",
                hf.apiUri(false, "manifests", hf.tag()).toString());
        assertEquals("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", hf.displayShortest());
        RegistryName full = of("huggingface.co/unsloth/gemma-3-1b-it-GGUF");
        assertEquals("https://huggingface.co/v2/unsloth/gemma-3-1b-it-GGUF/manifests/latest",
                full.apiUri(false, "manifests", full.tag()).toString());
    }

    @Test
    void privateRegistryWithPortAndInsecure() {
        RegistryName local = of("localhost:5000/library/tiny:latest");
        assertEquals("http://localhost:5000/v2/library/tiny/manifests/latest",
                local.apiUri(true, "manifests", "latest").toString());
        assertEquals("https://localhost:5000/v2/library/tiny/manifests/latest",
                local.apiUri(false, "manifests", "latest").toString());
        assertEquals("http", of("http://localhost:5000/library/tiny").scheme());
        assertEquals("", of("localhost:5000/library/tiny").scheme());
    }
}
