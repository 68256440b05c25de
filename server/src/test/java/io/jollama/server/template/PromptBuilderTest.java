package io.jollama.server.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

/** Prompt assembly, truncation and image tagging (spec §6.6), with a whitespace-word token counter. */
class PromptBuilderTest {
    private static final Template TEMPLATE = Template.parse("""
            {{- if .System }}{{ .System }} {{ end }}
            {{- if .Prompt }}{{ .Prompt }} {{ end }}
            {{- if .Response }}{{ .Response }} {{ end }}""");

    /** One token per whitespace-separated word. */
    private static final ToIntFunction<String> WORDS = s -> s.isBlank() ? 0 : s.trim().split("\\s+").length;

    private static ChatMessage m(String role, String content) {
        return ChatMessage.of(role, content);
    }

    private static ChatMessage img(String role, String content, int images) {
        return ChatMessage.of(role, content).withImages(images);
    }

    private static final String HARRY = "You're a test, Harry!";
    private static final String WHAT = "I-I'm a what?";
    private static final String WAGER = "A test. And a thumping good one at that, I'd wager.";

    private static PromptBuilder.Prompt build(int limit, boolean truncate, ChatMessage... msgs) {
        return PromptBuilder.chatPrompt(TEMPLATE, RenderRequest.of(List.of(msgs)), limit, truncate, true, WORDS);
    }

    @Test
    void fitsWithoutTruncation() {
        assertEquals(HARRY + " " + WHAT + " " + WAGER + " ", build(64, true, m("user", HARRY), m("assistant", WHAT), m("user", WAGER)).text());
    }

    @Test
    void truncationKeepsTheLastMessageEvenIfTooLong() {
        PromptBuilder.Prompt p = build(1, true, m("user", HARRY), m("assistant", WHAT), m("user", WAGER));
        assertEquals(WAGER + " ", p.text());
        assertEquals(2, p.firstKeptMessage());
    }

    @Test
    void imagesCost768TokensWithAProjector() {
        assertEquals("[img-0]" + WAGER + " ", build(64, true, m("user", HARRY), m("assistant", WHAT), img("user", WAGER, 1)).text());
        // the first image is truncated away, the remaining one is renumbered 0
        PromptBuilder.Prompt p = build(64, true, img("user", HARRY, 1), m("assistant", WHAT), img("user", WAGER, 1));
        assertEquals("[img-0]" + WAGER + " ", p.text());
        assertEquals(1, p.imageCount());
    }

    @Test
    void imageTags() {
        assertEquals("[img-0]" + HARRY + " " + WHAT + " [img-1]" + WAGER + " ",
                build(2048, true, img("user", HARRY, 1), m("assistant", WHAT), img("user", WAGER, 1)).text());
        assertEquals("You're a test, Harry! [img-0] " + WHAT + " [img-1]" + WAGER + " ",
                build(2048, true, img("user", HARRY + " [img]", 1), m("assistant", WHAT), img("user", WAGER, 1)).text());
        PromptBuilder.Prompt two = build(2048, true, img("user", "Compare these two pictures of hotdogs", 2));
        assertEquals("[img-0][img-1]Compare these two pictures of hotdogs ", two.text());
        assertEquals(2, two.imageCount());
    }

    @Test
    void interleavedImagesMergeIntoOneUserTurn() {
        ChatMessage[] msgs = {m("user", HARRY), img("user", "", 1), img("user", "", 1), m("assistant", WHAT), m("user", WAGER)};
        assertEquals(HARRY + "\n\n[img-0]\n\n[img-1] " + WHAT + " " + WAGER + " ", build(2048, true, msgs).text());
        assertEquals("[img-0] " + WHAT + " " + WAGER + " ", build(1024, true, msgs).text());
    }

    @Test
    void systemMessagesSurviveTruncation() {
        assertEquals("You are the Test Who Lived. " + HARRY + " " + WHAT + " " + WAGER + " ",
                build(2048, true, m("system", "You are the Test Who Lived."), m("user", HARRY), m("assistant", WHAT), m("user", WAGER)).text());
        assertEquals(HARRY + " " + WHAT + " You are the Test Who Lived. " + WAGER + " ",
                build(2048, true, m("user", HARRY), m("assistant", WHAT), m("system", "You are the Test Who Lived."), m("user", WAGER)).text());
        // with a tight limit the system message is kept while older turns go
        PromptBuilder.Prompt p = build(12, true, m("system", "Be kind."), m("user", HARRY), m("assistant", WHAT), m("user", WAGER));
        assertEquals("Be kind. " + WAGER + " ", p.text());
        assertEquals(3, p.firstKeptMessage());
    }

    @Test
    void noTruncationWhenDisabled() {
        assertEquals(HARRY + " " + WHAT + " " + WAGER + " ", build(10, false, m("user", HARRY), m("assistant", WHAT), m("user", WAGER)).text());
    }

    @Test
    void tokenCounterSeesEveryCandidate() {
        List<String> seen = new ArrayList<>();
        PromptBuilder.chatPrompt(TEMPLATE, RenderRequest.of(List.of(m("user", "a b c"), m("assistant", "d"), m("user", "e"))), 1, true, false,
                s -> {
                    seen.add(s);
                    return WORDS.applyAsInt(s);
                });
        // the whole history, then a binary search for the first start that fits; the last message is kept uncounted
        assertEquals(List.of("a b c d e ", "d e "), seen);
    }

    @Test
    void messageAssembly() {
        List<ChatMessage> mf = List.of(m("user", "mf-q"), m("assistant", "mf-a"));
        assertEquals(List.of("system", "user", "assistant", "user"),
                PromptBuilder.chatMessages("SYS", mf, List.of(m("user", "q"))).stream().map(ChatMessage::role).toList());
        assertEquals(List.of("user", "assistant", "system", "user"),
                PromptBuilder.chatMessages("SYS", mf, List.of(m("system", "own"), m("user", "q"))).stream().map(ChatMessage::role).toList());
        List<ChatMessage> gen = PromptBuilder.generateMessages("", "SYS", mf, false, "hi", 2);
        assertEquals(List.of("system", "user", "assistant", "user"), gen.stream().map(ChatMessage::role).toList());
        assertEquals(2, gen.getLast().images());
        assertEquals(List.of("system", "user"), PromptBuilder.generateMessages("req", "SYS", mf, true, "hi", 0).stream()
                .map(ChatMessage::role).toList());
        assertEquals("req", PromptBuilder.generateMessages("req", "SYS", mf, true, "hi", 0).getFirst().content());
    }
}
