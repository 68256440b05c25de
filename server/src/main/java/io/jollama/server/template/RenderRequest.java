package io.jollama.server.template;

import java.util.List;
import java.util.Map;

/**
 * Input to {@link Template#render}: what Ollama calls template.Values.
 *
 * @param messages the conversation (system, user, assistant, tool messages); a trailing assistant message is a
 *     prefill. A generate request's system/prompt are passed as a system and a user message.
 * @param tools request tools as JSON objects (maps), or null for none
 * @param prompt generate prompt, only used in suffix mode (both prompt and suffix non-empty)
 * @param suffix generate suffix (fill-in-the-middle)
 * @param think whether thinking was requested ({@code .Think})
 * @param thinkLevel {@code .ThinkLevel}: "low", "medium", "high", "max" or ""
 * @param thinkSet whether the request carried {@code think} at all ({@code .IsThinkSet})
 */
public record RenderRequest(List<ChatMessage> messages, List<Map<String, Object>> tools, String prompt, String suffix,
        boolean think, String thinkLevel, boolean thinkSet) {

    public RenderRequest {
        messages = messages == null ? List.of() : messages;
        prompt = prompt == null ? "" : prompt;
        suffix = suffix == null ? "" : suffix;
        thinkLevel = thinkLevel == null ? "" : thinkLevel;
    }

    public static RenderRequest of(List<ChatMessage> messages) {
        return new RenderRequest(messages, null, "", "", false, "", false);
    }

    public RenderRequest withTools(List<Map<String, Object>> newTools) {
        return new RenderRequest(messages, newTools, prompt, suffix, think, thinkLevel, thinkSet);
    }

    public RenderRequest withMessages(List<ChatMessage> newMessages) {
        return new RenderRequest(newMessages, tools, prompt, suffix, think, thinkLevel, thinkSet);
    }

    /**
     * Sets the think flags from the API's {@code think} value as Ollama does: null (unset), a Boolean, or one of
     * "low", "medium", "high", "max". {@code true} gives level "medium".
     */
    public RenderRequest withThink(Object thinkValue) {
        boolean on;
        String level;
        switch (thinkValue) {
            case null -> {
                return new RenderRequest(messages, tools, prompt, suffix, false, "", false);
            }
            case Boolean b -> {
                on = b;
                level = b ? "medium" : "";
            }
            case String s when s.equals("low") || s.equals("medium") || s.equals("high") || s.equals("max") -> {
                on = true;
                level = s;
            }
            default -> throw new IllegalArgumentException("invalid think value: " + thinkValue
                    + " (must be \"high\", \"medium\", \"low\", \"max\", true, or false)");
        }
        return new RenderRequest(messages, tools, prompt, suffix, on, level, true);
    }

    /** Suffix (fill-in-the-middle) mode for a generate request. */
    public static RenderRequest suffix(String prompt, String suffix) {
        return new RenderRequest(List.of(ChatMessage.of("user", prompt)), null, prompt, suffix, false, "", false);
    }
}
