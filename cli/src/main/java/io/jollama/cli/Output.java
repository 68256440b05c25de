package io.jollama.cli;

import java.io.PrintStream;

/**
 * Writes streamed model text, word-wrapped to the terminal width when asked (a word that would cross the right
 * edge starts a new line; lines break only between words), and remembers whether the last character written was a
 * newline.
 */
final class Output {

    private final PrintStream out;
    private int width;
    private boolean wrap;
    private int column;
    private final StringBuilder word = new StringBuilder();
    private boolean atLineStart = true;
    private boolean pendingSpace; // a space is written only once the next word is known to fit on the line

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
                pendingSpace = false;
                out.print('\n');
                column = 0;
                atLineStart = true;
            } else if (c == ' ') {
                flushWord();
                if (pendingSpace) { // two spaces in a row: the first one stays
                    out.print(' ');
                    column++;
                }
                pendingSpace = true;
                atLineStart = false;
            } else {
                word.append(c);
                // a word as wide as the terminal cannot move to the next line whole: it is broken here
                if (word.length() >= width - 1) flushWord();
            }
        }
        // a word is held until its end is seen (a space, a newline, the end of the answer): a token that completes a
        // word printed in part could otherwise push it over the edge, and the line would break inside the word
        out.flush();
    }

    private void flushWord() {
        if (word.isEmpty()) return;
        int space = pendingSpace ? 1 : 0;
        if (column + space + word.length() >= width && column > 0) {
            out.print('\n');
            column = 0;
        } else if (pendingSpace) {
            out.print(' ');
            column++;
        }
        pendingSpace = false;
        out.print(word);
        column += word.length();
        word.setLength(0);
        atLineStart = false;
    }

    /** Ends the current answer on a fresh line. */
    void finish() {
        flushWord();
        pendingSpace = false;
        if (!atLineStart) out.println();
        out.flush();
        column = 0;
        atLineStart = true;
    }
}
