package io.jollama.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A borderless left-aligned table with columns separated by four spaces, as ollama prints its lists. */
final class Table {

    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    Table row(String... cells) {
        rows.add(cells);
        return this;
    }

    void print(PrintStream out) {
        int cols = rows.getFirst().length;
        int[] width = new int[cols];
        for (String[] r : rows) for (int i = 0; i < cols; i++) width[i] = Math.max(width[i], r[i].length());
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                line.append(r[i]);
                if (i < cols - 1) line.append(" ".repeat(width[i] - r[i].length() + 4));
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
