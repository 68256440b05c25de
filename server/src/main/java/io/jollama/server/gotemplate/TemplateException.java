package io.jollama.server.gotemplate;

/**
 * A Go-template parse or execution error. The message has Go's wording and shape
 * ({@code template: NAME:LINE: MSG} for parse errors, {@code template: NAME:LINE:COL: executing "NAME" at <NODE>: MSG}
 * with Go's 0-based byte column for execution errors); {@link #line()} and {@link #column()} give the
 * position 1-based (column in characters).
 */
public final class TemplateException extends RuntimeException {
    private final String templateName;
    private final int line;
    private final int column;

    private TemplateException(String message, String templateName, int line, int column) {
        super(message);
        this.templateName = templateName;
        this.line = line;
        this.column = column;
    }

    /** An error without a source position. */
    public TemplateException(String message) {
        this(message, "", 0, 0);
    }

    public static TemplateException parse(String name, String src, int pos, String msg) {
        int[] lc = lineCol(src, pos);
        return new TemplateException("template: " + name + ":" + lc[0] + ": " + msg, name, lc[0], lc[1]);
    }

    static TemplateException exec(String name, String src, int pos, String msg) {
        int[] lc = lineCol(src, pos);
        int lineStart = src.lastIndexOf('\n', Math.max(0, Math.min(pos, src.length()) - 1)) + 1;
        int byteCol = src.substring(lineStart, Math.min(pos, src.length())).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        return new TemplateException("template: " + name + ":" + lc[0] + ":" + byteCol + ": " + msg, name, lc[0], lc[1]);
    }

    /** 1-based line and column (in characters) of offset {@code at}. */
    static int[] lineCol(String src, int at) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < at && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new int[] {line, col};
    }

    public String templateName() { return templateName; }

    /** 1-based line of the error, 0 if unknown. */
    public int line() { return line; }

    /** 1-based column (in characters) of the error, 0 if unknown. */
    public int column() { return column; }
}
