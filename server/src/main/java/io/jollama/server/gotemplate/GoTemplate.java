package io.jollama.server.gotemplate;

import io.jollama.server.gotemplate.Node.ListNode;
import java.time.Clock;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Go text/template: {@link #parse} it once, {@link #execute} it on data any number of times.
 * The function set is Go's builtins plus Ollama's template functions ({@code json},
 * {@code currentDate}, {@code yesterdayDate}, {@code toTypeScriptType}). Map lookups of missing keys
 * yield nil, as with Go's {@code missingkey=zero} on {@code map[string]any}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class GoTemplate {
    private final String name;
    private final String text;
    private final Map<String, TemplateFunction> functions;
    private final Map<String, ListNode> templates;

    private GoTemplate(String name, String text, Map<String, TemplateFunction> functions, Map<String, ListNode> templates) {
        this.name = name;
        this.text = text;
        this.functions = functions;
        this.templates = templates;
    }

    /** Parses with Go's builtins and Ollama's functions; throws {@link TemplateException} on a syntax error. */
    public static GoTemplate parse(String name, String text) {
        return parse(name, text, Clock.systemDefaultZone(), Map.of());
    }

    /**
     * Parses with Go's builtins, Ollama's functions (dates from {@code clock}) and {@code extra}
     * functions (which win on name clashes).
     */
    public static GoTemplate parse(String name, String text, Clock clock, Map<String, TemplateFunction> extra) {
        if (text == null) throw new TemplateException("template text is null");
        Map<String, TemplateFunction> fns = new HashMap<>(Funcs.builtins());
        fns.putAll(Funcs.ollama(clock));
        fns.putAll(extra);
        Map<String, ListNode> trees = Parser.parse(name, text, fns.keySet());
        return new GoTemplate(name, text, Collections.unmodifiableMap(fns), Collections.unmodifiableMap(trees));
    }

    public String name() { return name; }

    public String text() { return text; }

    /** The main template's parse tree. */
    public ListNode root() { return templates.get(name); }

    /** All templates by name (the main one and those from define/block). */
    public Map<String, ListNode> templates() { return templates; }

    Map<String, TemplateFunction> functions() { return functions; }

    /** A copy of this template whose main tree is {@code root} (other templates and functions unchanged). */
    public GoTemplate withRoot(ListNode root) {
        Map<String, ListNode> trees = new LinkedHashMap<>(templates);
        trees.put(name, root);
        return new GoTemplate(name, text, functions, Collections.unmodifiableMap(trees));
    }

    /** Executes the main template on {@code data}; throws {@link TemplateException} on an execution error. */
    public String execute(Object data) {
        StringBuilder out = new StringBuilder();
        new Exec(this, out).run(root(), data);
        return out.toString();
    }

    /** Executes the named template ({@code define}d or the main one). */
    public String execute(String templateName, Object data) {
        ListNode t = templates.get(templateName);
        if (t == null) {
            throw new TemplateException("template: no template \"" + templateName + "\" associated with template \"" + name + "\"");
        }
        StringBuilder out = new StringBuilder();
        new Exec(this, out).run(t, data);
        return out.toString();
    }
}
