package io.jollama.cli;

import java.io.PrintStream;

/**
 * Writes streamed model text, word-wrapped to the terminal width when asked (a word that would cross the right
 * edge starts a new line), and remembers whether the last character written was a newline.
 */
final class Output {

    private final PrintStream out;
    private int width;
    private boolean wrap;
    private int column;
    private final StringBuilder word = new StringBuilder();
    private boolean atLineStart = true;

    Output(PrintStream out, int width, boolean wrap) {
        this.out = out;
        this.width = width;
        this.wrap = wrap && width > 10;
    }

    void setWrap(boolean wrap, int width) {
        flushWord();
        this.width = width;
        this.wrap = wrap && width > 10;
    }

    void write(String text) {
        if (text == null || text.isEmpty()) return;
        if (!wrap) {
            out.print(text);
            out.flush();
            atLineStart = text.endsWith("\n");
            return;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                flushWord();
                out.print('\n');
                column = 0;
                atLineStart = true;
            } else if (c == ' ') {
                flushWord();
                if (column + 1 < width) {
                    out.print(' ');
                    column++;
                } else {
                    out.print('\n');
                    column = 0;
                }
                atLineStart = false;
            } else {
                word.append(c);
            }
        }
        // print a partial word right away unless it may still need to wrap
        if (column + word.length() < width) flushWord();
        out.flush();
    }

    private void flushWord() {
        if (word.isEmpty()) return;
        if (column + word.length() >= width && column > 0) {
            out.print('\n');
            column = 0;
        }
        out.print(word);
        column += word.length();
        word.setLength(0);
        atLineStart = false;
    }

    /** Ends the current answer on a fresh line. */
    void finish() {
        flushWord();
        if (!atLineStart) out.println();
        out.flush();
        column = 0;
        atLineStart = true;
    }
}
