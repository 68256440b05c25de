package io.jollama.cli;

import io.jollama.client.Api.ProgressResponse;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shows pull/push/create progress as ollama does: one line per status without a digest (a spinner while it is the
 * latest), one bar per digest with percentage, size, rate and time left. On a terminal the lines are redrawn in
 * place; otherwise each status and each tenth of a bar is printed once as a plain line.
 */
final class ProgressView implements AutoCloseable {

    enum Kind { PULL, PUSH, CREATE }

    private static final String SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
    private static final int BAR_WIDTH = 25;

    private final PrintStream out;
    private final boolean terminal;
    private final Kind kind;
    private final Map<String, Line> lines = new LinkedHashMap<>();
    private int drawn;
    private long lastDraw;
    private int frame;

    ProgressView(PrintStream out, boolean terminal, Kind kind) {
        this.out = out;
        this.terminal = terminal;
        this.kind = kind;
    }

    private static final class Line {
        final String label;
        final boolean bar;
        long total, completed;
        int printedTenths = -1;
        final ArrayDeque<long[]> samples = new ArrayDeque<>(); // {nanoTime, completed}

        Line(String label, boolean bar) {
            this.label = label;
            this.bar = bar;
        }
    }

    void update(ProgressResponse p) {
        String status = p.status() == null ? "" : p.status();
        boolean bar = p.digest() != null && !p.digest().isEmpty() && p.total() > 0;
        String key = bar ? p.digest() + "\u0000" + (kind == Kind.CREATE ? status : "") : status;
        Line line = lines.get(key);
        if (line == null) {
            if (bar && kind == Kind.PULL && p.completed() == 0) return; // as ollama: skip a layer's first empty update
            line = new Line(label(status, p.digest(), bar), bar);
            lines.put(key, line);
        }
        line.total = p.total();
        line.completed = p.completed();
        if (bar) {
            long now = System.nanoTime();
            line.samples.addLast(new long[]{now, p.completed()});
            while (line.samples.size() > 2 && now - line.samples.peekFirst()[0] > 10_000_000_000L) line.samples.removeFirst();
        }
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastDraw > 100_000_000L || (bar && p.completed() >= p.total())) draw(false);
        } else {
            printPlain(line);
        }
    }

    private String label(String status, String digest, boolean bar) {
        if (!bar) return status;
        String hex = digest.startsWith("sha256:") ? digest.substring(7) : digest;
        String short12 = hex.length() > 12 ? hex.substring(0, 12) : hex;
        return switch (kind) {
            case PULL -> "pulling " + short12;
            case PUSH -> status.isEmpty() ? "pushing " + short12 + "..." : status;
            case CREATE -> status;
        };
    }

    private void printPlain(Line line) {
        if (!line.bar) {
            if (line.printedTenths < 0) {
                out.println(line.label);
                line.printedTenths = 10;
            }
            return;
        }
        int tenths = (int) Math.min(10, line.completed * 10 / Math.max(1, line.total));
        if (tenths > line.printedTenths) {
            line.printedTenths = tenths;
            out.println(line.label + ": " + (tenths * 10) + "% " + Human.bytes(line.completed) + "/" + Human.bytes(line.total));
        }
    }

    private void draw(boolean last) {
        StringBuilder sb = new StringBuilder();
        if (drawn > 0) sb.append("\033[").append(drawn).append("F"); // to the start of the first drawn line
        List<Line> all = new ArrayList<>(lines.values());
        frame++;
        for (int i = 0; i < all.size(); i++) {
            Line l = all.get(i);
            sb.append("\033[2K");
            if (l.bar) sb.append(renderBar(l));
            else {
                sb.append(l.label);
                if (i == all.size() - 1 && !last) sb.append(' ').append(SPINNER.charAt(frame % SPINNER.length()));
            }
            sb.append('\n');
        }
        drawn = all.size();
        lastDraw = System.nanoTime();
        out.print(sb);
        out.flush();
    }

    private static String renderBar(Line l) {
        long total = Math.max(1, l.total);
        long done = Math.min(l.completed, total);
        int pct = (int) (done * 100 / total);
        int fill = (int) (done * BAR_WIDTH / total);
        String bar = "▕" + "█".repeat(fill) + " ".repeat(BAR_WIDTH - fill) + "▏";
        String head = l.label + (l.label.endsWith(":") ? "" : ":") + " " + String.format("%3d%%", pct) + " " + bar + " ";
        if (done >= total) return head + Human.bytes(l.total);
        String rate = "", eta = "";
        if (l.samples.size() >= 2) {
            long[] first = l.samples.peekFirst(), lastS = l.samples.peekLast();
            double secs = (lastS[0] - first[0]) / 1e9;
            if (secs > 0) {
                double perSec = (lastS[1] - first[1]) / secs;
                if (perSec > 0) {
                    rate = "  " + Human.bytes((long) perSec) + "/s";
                    eta = "  " + Human.eta((long) ((total - done) / perSec));
                }
            }
        }
        return head + Human.bytes(done) + "/" + Human.bytes(l.total) + rate + eta;
    }

    @Override
    public void close() {
        if (terminal && !lines.isEmpty()) draw(true);
    }
}
