package io.jollama.server.template;

/**
 * A Go-template parse or execution error. The message follows Go's shape
 * ({@code template: NAME:LINE:COL: ...}) and the position is also available as fields.
 */
public final class TemplateException extends RuntimeException {
    private final String templateName;
    private final int line;
    private final int column;

    public TemplateException(String templateName, int line, int column, String message) {
        super("template: " + templateName + ":" + line + ":" + column + ": " + message);
        this.templateName = templateName;
        this.line = line;
        this.column = column;
    }

    /** An error without a source position (e.g. an invalid request to render). */
    public TemplateException(String message) {
        super(message);
        this.templateName = "";
        this.line = 0;
        this.column = 0;
    }

    public String templateName() { return templateName; }

    /** 1-based line of the offending action, 0 if unknown. */
    public int line() { return line; }

    /** 1-based column (in characters) of the offending action, 0 if unknown. */
    public int column() { return column; }
}
