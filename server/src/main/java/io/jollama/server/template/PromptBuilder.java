package io.jollama.server.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Builds the prompt for a chat or (non-raw) generate request as Ollama's chatPrompt does: assembles the
 * message list, drops the oldest messages until the rendered prompt fits {@code num_ctx} (keeping system
 * messages and the last message), and tags images as {@code [img-N]}.
 */
public final class PromptBuilder {
    /** Tokens charged per image when the model has a vision projector (Ollama's fixed estimate). */
    public static final int IMAGE_TOKENS = 768;

    private PromptBuilder() {}

    /**
     * The rendered prompt.
     *
     * @param imageCount images tagged in the prompt, {@code [img-0]} to {@code [img-(imageCount-1)]}: the images of
     *     the input messages from {@code firstKeptMessage} on, in order
     * @param firstKeptMessage index of the first input message kept by truncation (system messages before it are
     *     kept too, without their images)
     */
    public record Prompt(String text, int imageCount, int firstKeptMessage) {}

    /**
     * Message list for /api/chat: Modelfile MESSAGEs then the request's messages; the model's SYSTEM is
     * prepended when it is non-empty and the first request message is not a system message.
     */
    public static List<ChatMessage> chatMessages(String modelSystem, List<ChatMessage> modelfileMessages,
            List<ChatMessage> requestMessages) {
        List<ChatMessage> out = new ArrayList<>();
        boolean firstIsSystem = !requestMessages.isEmpty() && "system".equals(requestMessages.getFirst().role());
        if (modelSystem != null && !modelSystem.isEmpty() && !firstIsSystem) {
            out.add(ChatMessage.of("system", modelSystem));
        }
        if (modelfileMessages != null) out.addAll(modelfileMessages);
        out.addAll(requestMessages);
        return out;
    }

    /**
     * Message list for /api/generate: the request's system (else the model's SYSTEM, if any), the Modelfile
     * MESSAGEs (only when the request sent no {@code context}), then the prompt as a user message with its images.
     */
    public static List<ChatMessage> generateMessages(String requestSystem, String modelSystem,
            List<ChatMessage> modelfileMessages, boolean hasContext, String prompt, int images) {
        List<ChatMessage> out = new ArrayList<>();
        String system = requestSystem != null && !requestSystem.isEmpty() ? requestSystem : modelSystem;
        if (system != null && !system.isEmpty()) out.add(ChatMessage.of("system", system));
        if (!hasContext && modelfileMessages != null) out.addAll(modelfileMessages);
        out.add(ChatMessage.of("user", prompt == null ? "" : prompt).withImages(images));
        return out;
    }

    /**
     * Renders {@code request.messages()} with truncation to {@code numCtx} tokens.
     *
     * @param truncate false renders every message regardless of length
     * @param hasProjector whether images cost {@link #IMAGE_TOKENS} each during truncation
     * @param tokenCount counts the tokens of a rendered prompt (the model's tokenizer)
     */
    public static Prompt chatPrompt(Template template, RenderRequest request, int numCtx, boolean truncate,
            boolean hasProjector, ToIntFunction<String> tokenCount) {
        List<ChatMessage> msgs = request.messages();
        int last = msgs.size() - 1;
        int current = 0;
        if (truncate && last > 0 && !fits(template, request, 0, numCtx, hasProjector, tokenCount)) {
            // Ollama drops messages from the front one at a time until the prompt fits (the first fitting start, or
            // the last message alone); dropping messages only shortens the prompt, so the first fitting start is
            // found by binary search: log(n) renders instead of n, which is quadratic in the history's length
            int lo = 1, hi = last; // fits(hi) is assumed: the last message is kept even when it does not fit
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (fits(template, request, mid, numCtx, hasProjector, tokenCount)) hi = mid;
                else lo = mid + 1;
            }
            current = lo;
        }
        List<ChatMessage> system = systemBefore(msgs, current);
        List<ChatMessage> tagged = new ArrayList<>(system);
        int images = 0;
        for (ChatMessage m : msgs.subList(Math.max(current, 0), msgs.size())) {
            String content = m.content();
            StringBuilder prefix = new StringBuilder();
            for (int k = 0; k < m.images(); k++) {
                String tag = "[img-" + images++ + "]";
                int at = content.indexOf("[img]");
                if (at < 0) prefix.append(tag);
                else content = content.substring(0, at) + tag + content.substring(at + 5);
            }
            tagged.add(m.withContent(prefix + content));
        }
        String text = template.render(request.withMessages(tagged));
        return new Prompt(text, images, current);
    }

    /** Whether the prompt made of the system messages before {@code start} and the messages from it fits {@code numCtx}. */
    private static boolean fits(Template template, RenderRequest request, int start, int numCtx, boolean hasProjector,
            ToIntFunction<String> tokenCount) {
        List<ChatMessage> msgs = request.messages();
        List<ChatMessage> candidate = systemBefore(msgs, start);
        candidate.addAll(msgs.subList(start, msgs.size()));
        long len = tokenCount.applyAsInt(template.render(request.withMessages(candidate)));
        if (hasProjector) {
            for (ChatMessage m : msgs.subList(start, msgs.size())) len += (long) IMAGE_TOKENS * m.images();
        }
        return len <= numCtx;
    }

    private static List<ChatMessage> systemBefore(List<ChatMessage> msgs, int start) {
        List<ChatMessage> system = new ArrayList<>();
        for (ChatMessage m : msgs.subList(0, start)) if ("system".equals(m.role())) system.add(m);
        return system;
    }

    /** Convenience for callers without tools or thinking. */
    public static Prompt chatPrompt(Template template, List<ChatMessage> messages, List<Map<String, Object>> tools,
            int numCtx, ToIntFunction<String> tokenCount) {
        return chatPrompt(template, RenderRequest.of(messages).withTools(tools), numCtx, true, false, tokenCount);
    }
}
