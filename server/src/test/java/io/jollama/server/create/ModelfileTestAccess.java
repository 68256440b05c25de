package io.jollama.server.create;

/** Lets tests in other packages name the parser's fixed messages. */
public final class ModelfileTestAccess {
    private ModelfileTestAccess() {}

    public static String invalidCommand() {
        return Modelfile.INVALID_COMMAND;
    }
}
