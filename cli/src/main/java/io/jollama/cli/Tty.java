package io.jollama.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether standard input or output is a terminal, checked per stream (the JDK's Console only says "both"). */
final class Tty {

    private Tty() {}

    static boolean stdin() {
        return isTerminal(0);
    }

    static boolean stdout() {
        return isTerminal(1);
    }

    /**
     * Whether stdin is a pipe, socket or file, so its text is part of the prompt (a character device such as a
     * terminal or {@code /dev/null} is not, as for ollama).
     */
    static boolean stdinPiped() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
            return !target.startsWith("/dev/");
        } catch (IOException | UnsupportedOperationException e) {
            return !stdin();
        }
    }

    private static boolean isTerminal(int fd) {
        Path link = Path.of("/proc/self/fd/" + fd);
        if (Files.exists(Path.of("/proc/self/fd"))) {
            try {
                String target = Files.readSymbolicLink(link).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            } catch (IOException | UnsupportedOperationException e) {
                // fall back to the Console below
            }
        }
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }
}
