package io.jollama.server.openai;

import io.jollama.server.Json;
import io.jollama.server.api.ApiException;
import io.jollama.server.api.InferenceTypes;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The OpenAI → native request translation, on the cases of Ollama's middleware tests (spec §12.4). */
class RequestTranslatorTest {

    static InferenceTypes.ChatRequest chat(String json) {
        return RequestTranslator.chat(Json.MAPPER.readValue(json, OpenAiTypes.ChatCompletionRequest.class));
    }

    static InferenceTypes.GenerateRequest completion(String json) {
        return RequestTranslator.generate(Json.MAPPER.readValue(json, OpenAiTypes.CompletionRequest.class));
    }

    static String error(Runnable r) {
        ApiException e = assertThrows(ApiException.class, r::run);
        assertEquals(400, e.status());
        return e.getMessage();
    }

    @Test
    void defaults() {
        InferenceTypes.ChatRequest n = chat("{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
        assertEquals("test-model", n.model());
        assertEquals(List.of(new InferenceTypes.Message("user", "Hello", null, null, null, null, null)), n.messages());
        assertEquals(Map.of("temperature", 1.0, "top_p", 1.0), n.options());
        assertFalse(n.stream());
        assertNull(n.format());
        assertNull(n.think());
    }

    @Test
    void options() {
        InferenceTypes.ChatRequest n = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"stream\":true,"
                + "\"max_tokens\":999,\"seed\":123,\"stop\":[\"\\n\",\"stop\"],\"temperature\":3.0,\"frequency_penalty\":4.0,"
                + "\"presence_penalty\":5.0,\"top_p\":6.0,\"response_format\":{\"type\":\"json_object\"}}");
        assertEquals(Map.of("num_predict", 999, "seed", 123, "stop", List.of("\n", "stop"), "temperature", 3.0,
                "frequency_penalty", 4.0, "presence_penalty", 5.0, "top_p", 6.0), n.options());
        assertEquals("json", n.format());
        assertTrue(n.stream());

        n = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":\"end\",\"max_completion_tokens\":7,"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"object\"}}}}");
        assertEquals(List.of("end"), n.options().get("stop"));
        assertEquals(7, n.options().get("num_predict"));
        assertEquals(Map.of("type", "object"), n.format());

        n = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"text\"}}");
        assertNull(n.format(), "other response formats are ignored");
    }

    @Test
    void reasoningEffort() {
        String base = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],";
        assertEquals(Boolean.FALSE, chat(base + "\"reasoning_effort\":\"none\"}").think());
        assertEquals("low", chat(base + "\"reasoning_effort\":\"minimal\"}").think());
        assertEquals("medium", chat(base + "\"reasoning\":{\"effort\":\"medium\"}}").think());
        assertEquals("max", chat(base + "\"reasoning_effort\":\"xhigh\"}").think());
        assertTrue(error(() -> chat(base + "\"reasoning_effort\":\"lots\"}")).startsWith("invalid reasoning value: \"lots\""));
    }

    @Test
    void contentPartsAndImages() {
        InferenceTypes.ChatRequest n = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/jpeg;base64,aGVsbG8=\"}}]}]}");
        assertEquals(2, n.messages().size());
        assertEquals("Hello", n.messages().get(0).content());
        assertEquals("user", n.messages().get(1).role());
        assertEquals(List.of("aGVsbG8="), n.messages().get(1).images());

        assertEquals("invalid image input", error(() -> chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image_url\",\"image_url\":\"data:image/gif;base64,aGVsbG8=\"}]}]}")));
        assertEquals("invalid message content type: float64",
                error(() -> chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":2}]}")));
        assertEquals("invalid message content type: map[string]interface {}",
                error(() -> chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":{}}]}")));
        assertEquals("[] is too short - 'messages'", error(() -> chat("{\"model\":\"m\"}")));
    }

    @Test
    void toolCallsAndToolAnswers() {
        InferenceTypes.ChatRequest n = chat("{\"model\":\"m\",\"messages\":["
                + "{\"role\":\"user\",\"content\":\"What's the weather like in Paris Today?\"},"
                + "{\"role\":\"assistant\",\"reasoning\":\"check it\",\"tool_calls\":[{\"id\":\"id\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_current_weather\",\"arguments\":\"{\\\"location\\\": \\\"Paris, France\\\", \\\"format\\\": \\\"celsius\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"id\",\"content\":\"22C\"},"
                + "{\"role\":\"tool\",\"name\":\"explicit\",\"tool_call_id\":\"id\",\"content\":\"x\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_current_weather\",\"parameters\":{\"type\":\"object\"}}}]}");
        InferenceTypes.Message assistant = n.messages().get(1);
        assertEquals("", assistant.content());
        assertEquals("check it", assistant.thinking());
        Map<String, Object> call = assistant.toolCalls().getFirst();
        assertEquals("id", call.get("id"));
        assertEquals(Map.of("index", 0, "name", "get_current_weather",
                "arguments", Map.of("location", "Paris, France", "format", "celsius")), call.get("function"));
        InferenceTypes.Message tool = n.messages().get(2);
        assertEquals("get_current_weather", tool.toolName(), "found by the call id");
        assertEquals("id", tool.toolCallId());
        assertEquals("explicit", n.messages().get(3).toolName());
        assertEquals(1, n.tools().size());

        assertEquals("invalid tool call arguments", error(() -> chat("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\","
                + "\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"not json\"}}]}]}")));
    }

    @Test
    void completionOptions() {
        InferenceTypes.GenerateRequest n = completion("{\"model\":\"m\",\"prompt\":\"p\",\"suffix\":\"s\",\"max_tokens\":9,\"seed\":1,"
                + "\"stop\":\"x\",\"top_p\":0,\"logprobs\":2}");
        assertEquals("p", n.prompt());
        assertEquals("s", n.suffix());
        assertNull(n.raw(), "the prompt goes through the template");
        assertEquals(Map.of("num_predict", 9, "seed", 1, "stop", List.of("x"), "temperature", 1.0, "frequency_penalty", 0.0,
                "presence_penalty", 0.0, "top_p", 1.0), n.options());
        assertTrue(n.logprobs());
        assertEquals(2, n.topLogprobs());
        assertFalse(n.stream());
        assertEquals("invalid type for 'stop' field: bool", error(() -> completion("{\"model\":\"m\",\"prompt\":\"p\",\"stop\":[\"a\",true]}")));
    }

    @Test
    void toolCallsOut() {
        List<OpenAiTypes.ToolCallOut> out = ChatCompletionOutput.toolCalls(List.of(
                Map.of("id", "call_x", "function", Map.of("index", 0, "name", "f", "arguments", Map.of("city", "Tokyo")))));
        assertEquals(List.of(new OpenAiTypes.ToolCallOut("call_x", 0, "function", new OpenAiTypes.FunctionCallOut("f", "{\"city\":\"Tokyo\"}"))), out);
        assertEquals("tool_calls", ChatCompletionOutput.finishReason("stop", true));
        assertEquals("length", ChatCompletionOutput.finishReason("length", true));
        assertNull(ChatCompletionOutput.finishReason("", false));
    }
}
