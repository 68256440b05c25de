package io.jollama.server.openai;

import io.jollama.server.Json;
import io.jollama.server.api.ApiException;
import io.jollama.server.api.InferenceTypes;
import io.jollama.server.openai.OpenAiTypes.ChatCompletionRequest;
import io.jollama.server.openai.OpenAiTypes.CompletionRequest;
import io.jollama.server.openai.OpenAiTypes.Message;
import io.jollama.server.openai.OpenAiTypes.ToolCall;
import tools.jackson.core.JacksonException;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns OpenAI requests into native ones (spec §9.1, §9.2). Every problem is a 400 {@link ApiException} with
 * Ollama's wording, thrown before anything is run.
 */
final class RequestTranslator {
    private RequestTranslator() {}

    private static final List<String> IMAGE_TYPES = List.of("jpeg", "jpg", "png", "webp");

    static InferenceTypes.ChatRequest chat(ChatCompletionRequest r) {
        if (r.messages() == null || r.messages().isEmpty()) throw ApiException.badRequest("[] is too short - 'messages'");
        List<InferenceTypes.Message> messages = new ArrayList<>();
        Map<String, String> toolNamesById = new HashMap<>();
        for (Message m : r.messages()) {
            List<Map<String, Object>> calls = toolCalls(m.toolCalls(), toolNamesById);
            String toolName = m.name();
            if ("tool".equals(m.role()) && (toolName == null || toolName.isEmpty()) && m.toolCallId() != null) {
                toolName = toolNamesById.get(m.toolCallId());
            }
            switch (m.content()) {
                case String s -> messages.add(new InferenceTypes.Message(m.role(), s, m.reasoning(), null, calls, toolName, m.toolCallId()));
                case List<?> parts -> {
                    // one native message per part, as Ollama does; the calls and reasoning go with the last one
                    for (int i = 0; i < parts.size(); i++) {
                        boolean last = i == parts.size() - 1;
                        Part p = part(parts.get(i));
                        messages.add(new InferenceTypes.Message(m.role(), p.text(), last ? m.reasoning() : null, p.images(),
                                last ? calls : null, toolName, m.toolCallId()));
                    }
                }
                case null -> {
                    if (m.toolCalls() == null) throw ApiException.badRequest("invalid message content type: <nil>");
                    messages.add(new InferenceTypes.Message(m.role(), "", m.reasoning(), null, calls, toolName, m.toolCallId()));
                }
                default -> {
                    if (m.toolCalls() == null) throw ApiException.badRequest("invalid message content type: " + goType(m.content()));
                    messages.add(new InferenceTypes.Message(m.role(), "", m.reasoning(), null, calls, toolName, m.toolCallId()));
                }
            }
        }

        Map<String, Object> options = new LinkedHashMap<>();
        Integer maxTokens = r.maxTokens() != null ? r.maxTokens() : r.maxCompletionTokens();
        if (maxTokens != null) options.put("num_predict", maxTokens);
        if (r.seed() != null) options.put("seed", r.seed());
        List<String> stop = chatStop(r.stop());
        if (stop != null) options.put("stop", stop);
        options.put("temperature", r.temperature() == null ? 1.0 : r.temperature());
        if (r.frequencyPenalty() != null) options.put("frequency_penalty", r.frequencyPenalty());
        if (r.presencePenalty() != null) options.put("presence_penalty", r.presencePenalty());
        options.put("top_p", r.topP() == null ? 1.0 : r.topP());

        String effort = r.reasoningEffort() != null ? r.reasoningEffort() : r.reasoning() == null ? null : r.reasoning().effort();
        return new InferenceTypes.ChatRequest(r.model(), messages, r.tools(), options, Boolean.TRUE.equals(r.stream()), null,
                format(r.responseFormat()), think(effort), null, null, r.logprobs(), r.topLogprobs(), null);
    }

    static InferenceTypes.GenerateRequest generate(CompletionRequest r) {
        Map<String, Object> options = new LinkedHashMap<>();
        if (r.maxTokens() != null) options.put("num_predict", r.maxTokens());
        if (r.seed() != null) options.put("seed", r.seed());
        List<String> stop = completionStop(r.stop());
        if (stop != null) options.put("stop", stop);
        options.put("temperature", r.temperature() == null ? 1.0 : r.temperature());
        options.put("frequency_penalty", r.frequencyPenalty() == null ? 0.0 : r.frequencyPenalty());
        options.put("presence_penalty", r.presencePenalty() == null ? 0.0 : r.presencePenalty());
        options.put("top_p", r.topP() == null || r.topP() == 0 ? 1.0 : r.topP());
        boolean logprobs = r.logprobs() != null && r.logprobs() > 0;
        return new InferenceTypes.GenerateRequest(r.model(), r.prompt(), r.suffix(), null, null, null, null, options,
                Boolean.TRUE.equals(r.stream()), null, null, null, null, null, null,
                logprobs ? Boolean.TRUE : null, logprobs ? r.logprobs() : null, null);
    }

    // ------------------------------------------------------------------ messages

    private record Part(String text, List<String> images) {}

    private static Part part(Object raw) {
        if (!(raw instanceof Map<?, ?> p)) throw ApiException.badRequest("invalid message format");
        Object type = p.get("type");
        if ("text".equals(type)) {
            if (!(p.get("text") instanceof String text)) throw ApiException.badRequest("invalid message format");
            return new Part(text, null);
        }
        if ("image_url".equals(type)) {
            Object u = p.get("image_url");
            if (u instanceof Map<?, ?> um) u = um.get("url");
            if (!(u instanceof String url)) throw ApiException.badRequest("invalid message format");
            return new Part("", List.of(imageData(url)));
        }
        if ("input_audio".equals(type)) {
            throw ApiException.badRequest("audio input is not supported by Jollama");
        }
        throw ApiException.badRequest("invalid message format");
    }

    /** The base64 payload of a {@code data:} image URL; web URLs are refused as Ollama refuses them. */
    private static String imageData(String url) {
        if (url.startsWith("http://") || url.startsWith("https://")) {
            throw ApiException.badRequest("image URLs are not currently supported, please use base64 encoded data instead");
        }
        String data = null;
        if (url.startsWith("data:;base64,")) {
            data = url.substring("data:;base64,".length());
        } else {
            for (String t : IMAGE_TYPES) {
                String prefix = "data:image/" + t + ";base64,";
                if (url.startsWith(prefix)) data = url.substring(prefix.length());
            }
        }
        if (data == null) throw ApiException.badRequest("invalid image input");
        try {
            Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid image input");
        }
        return data;
    }

    /** OpenAI calls (arguments as a JSON string) to native ones (arguments as an object); remembers names by id. */
    private static List<Map<String, Object>> toolCalls(List<ToolCall> calls, Map<String, String> namesById) {
        if (calls == null) return null;
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            ToolCall c = calls.get(i);
            String name = c.function() == null || c.function().name() == null ? "" : c.function().name();
            String args = c.function() == null || c.function().arguments() == null ? "" : c.function().arguments();
            Map<String, Object> parsed;
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = Json.MAPPER.readValue(args, Map.class);
                parsed = m;
            } catch (JacksonException e) {
                throw ApiException.badRequest("invalid tool call arguments");
            }
            if (parsed == null) throw ApiException.badRequest("invalid tool call arguments");
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("index", i);
            fn.put("name", name);
            fn.put("arguments", parsed);
            Map<String, Object> call = new LinkedHashMap<>();
            if (c.id() != null && !c.id().isEmpty()) {
                call.put("id", c.id());
                namesById.put(c.id(), name);
            }
            call.put("function", fn);
            out.add(call);
        }
        return out;
    }

    // ------------------------------------------------------------------ options

    private static List<String> chatStop(Object stop) {
        return switch (stop) {
            case null -> null;
            case String s -> List.of(s);
            case List<?> l -> {
                List<String> out = new ArrayList<>();
                for (Object o : l) if (o instanceof String s) out.add(s);
                yield out;
            }
            default -> null;
        };
    }

    private static List<String> completionStop(Object stop) {
        return switch (stop) {
            case null -> null;
            case String s -> List.of(s);
            case List<?> l -> {
                List<String> out = new ArrayList<>();
                for (Object o : l) {
                    if (!(o instanceof String s)) throw ApiException.badRequest("invalid type for 'stop' field: " + goType(o));
                    out.add(s);
                }
                yield out;
            }
            default -> throw ApiException.badRequest("invalid type for 'stop' field: " + goType(stop));
        };
    }

    private static Object format(Map<String, Object> responseFormat) {
        if (responseFormat == null) return null;
        Object type = responseFormat.get("type");
        if ("json_object".equals(type)) return "json";
        if ("json_schema".equals(type) && responseFormat.get("json_schema") instanceof Map<?, ?> js && js.get("schema") instanceof Map<?, ?> schema) {
            return schema;
        }
        return null;
    }

    /** {@code reasoning_effort} to the native {@code think} value. */
    private static Object think(String effort) {
        if (effort == null) return null;
        return switch (effort) {
            case "none" -> Boolean.FALSE;
            case "minimal" -> "low";
            case "low", "medium", "high", "max" -> effort;
            case "xhigh", "ultra" -> "max";
            default -> throw ApiException.badRequest("invalid reasoning value: " + Json.write(effort)
                    + " (must be \"none\", \"minimal\", \"low\", \"medium\", \"high\", \"xhigh\", \"max\" or \"ultra\")");
        };
    }

    /** The name Go's {@code %T} gives a decoded JSON value, which Ollama's messages show. */
    static String goType(Object v) {
        return switch (v) {
            case null -> "<nil>";
            case String s -> "string";
            case Boolean b -> "bool";
            case Number n -> "float64";
            case Map<?, ?> m -> "map[string]interface {}";
            case List<?> l -> "[]interface {}";
            default -> v.getClass().getSimpleName();
        };
    }
}
