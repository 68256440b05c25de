package io.jollama.server.gotemplate;

import java.util.List;

/**
 * A function callable from a template ({@code {{ name arg1 arg2 }}}). Arguments are already
 * evaluated; a pipelined value arrives as the last argument. Throw {@link IllegalArgumentException}
 * to report an error; it surfaces as {@code error calling NAME: MESSAGE}.
 *
 * @param minArgs fewest arguments accepted
 * @param maxArgs most arguments accepted, or -1 for variadic
 */
public record TemplateFunction(int minArgs, int maxArgs, Body body) {
    @FunctionalInterface
    public interface Body {
        Object call(List<Object> args);
    }

    public static TemplateFunction fixed(int n, Body body) {
        return new TemplateFunction(n, n, body);
    }

    public static TemplateFunction variadic(int min, Body body) {
        return new TemplateFunction(min, -1, body);
    }
}
