package io.jollama.server.create;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * A structural check of a Go template, enough to reject what Ollama's create rejects most often: an unclosed action,
 * a block without its {@code {{ end }}}, a stray {@code end}, and a call of an undefined function. Messages follow
 * Go's {@code text/template} ({@code template: :LINE: ...}). The template engine replaces this with a full parse.
 */
final class TemplateCheck {

    private static final Set<String> FUNCTIONS = Set.of("and", "or", "not", "len", "index", "slice", "print", "printf",
            "println", "eq", "ne", "lt", "le", "gt", "ge", "html", "js", "urlquery", "call", "json", "currentDate",
            "yesterdayDate", "toTypeScriptType", "nil", "true", "false", "break", "continue", "template");
    private static final Set<String> OPENERS = Set.of("if", "range", "with", "block", "define");

    private TemplateCheck() {}

    static void check(String t) {
        Deque<String> open = new ArrayDeque<>();
        int i = 0;
        while (true) {
            int start = t.indexOf("{{", i);
            if (start < 0) break;
            int line = 1 + (int) t.substring(0, start).chars().filter(c -> c == '\n').count();
            int end = t.indexOf("}}", start + 2);
            if (end < 0) throw new IllegalArgumentException("template: :" + line + ": unclosed action");
            String action = t.substring(start + 2, end).strip();
            if (action.startsWith("-")) action = action.substring(1).strip();
            if (action.endsWith("-")) action = action.substring(0, action.length() - 1).strip();
            i = end + 2;
            if (action.startsWith("/*")) continue;
            String word = action.split("[\\s(|]", 2)[0];
            if (OPENERS.contains(word)) {
                open.push(word);
            } else if (word.equals("end")) {
                if (open.isEmpty()) throw new IllegalArgumentException("template: :" + line + ": unexpected {{end}}");
                open.pop();
            } else if (word.equals("else")) {
                if (open.isEmpty()) throw new IllegalArgumentException("template: :" + line + ": unexpected {{else}}");
            } else if (!word.isEmpty() && Character.isLetter(word.charAt(0)) && !FUNCTIONS.contains(word)) {
                throw new IllegalArgumentException("template: :" + line + ": function \"" + word + "\" not defined");
            }
        }
        if (!open.isEmpty()) {
            int lines = 1 + (int) t.chars().filter(c -> c == '\n').count();
            throw new IllegalArgumentException("template: :" + lines + ": unexpected EOF");
        }
    }
}
