package io.jollama.cli;

/** Prints thinking between {@code Thinking...} and {@code ...done thinking.} (grey on terminals), then the answer. */
final class ThinkingPrinter {

    private final Output out;
    private final boolean hide;
    private boolean inThinking;

    ThinkingPrinter(Output out, boolean hide) {
        this.out = out;
        this.hide = hide;
    }

    void thinking(String text) {
        if (hide || text == null || text.isEmpty()) return;
        if (!inThinking) {
            out.write("Thinking...\n");
            inThinking = true;
        }
        out.write(text);
    }

    void content(String text) {
        if (text == null || text.isEmpty()) return;
        if (inThinking) {
            out.finish();
            out.write("...done thinking.\n\n");
            inThinking = false;
        }
        out.write(text);
    }
}
