package io.jollama.server.gotemplate;

/**
 * A template value with its own printed form, like a Go type with a {@code String()} method:
 * {@code {{ . }}} and {@code %v}/{@code %s} print {@link #goString()} instead of the generic form.
 */
public interface GoStringer {
    String goString();
}
