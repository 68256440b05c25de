package io.jollama.server.template;

import java.util.List;
import java.util.Map;

/**
 * A chat message as the server received it (Ollama's api.Message), input to rendering.
 *
 * @param images number of images attached (their bytes are the runner's business)
 * @param toolCalls assistant tool calls, or null
 */
public record ChatMessage(String role, String content, String thinking, int images, List<ToolCall> toolCalls,
        String toolName, String toolCallId) {

    public ChatMessage {
        role = role == null ? "" : role;
        content = content == null ? "" : content;
        thinking = thinking == null ? "" : thinking;
        toolName = toolName == null ? "" : toolName;
        toolCallId = toolCallId == null ? "" : toolCallId;
        if (images < 0) throw new IllegalArgumentException("negative image count: " + images);
    }

    /** A tool call: {@code arguments} is the JSON object as a (insertion-ordered) map. */
    public record ToolCall(String id, int index, String name, Map<String, Object> arguments) {}

    public static ChatMessage of(String role, String content) {
        return new ChatMessage(role, content, "", 0, null, "", "");
    }

    public ChatMessage withContent(String newContent) {
        return new ChatMessage(role, newContent, thinking, images, toolCalls, toolName, toolCallId);
    }

    public ChatMessage withImages(int count) {
        return new ChatMessage(role, content, thinking, count, toolCalls, toolName, toolCallId);
    }
}
