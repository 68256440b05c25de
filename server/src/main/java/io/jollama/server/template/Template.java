package io.jollama.server.template;

import io.jollama.server.gotemplate.GoTemplate;
import io.jollama.server.gotemplate.Node;
import io.jollama.server.gotemplate.Node.*;
import io.jollama.server.gotemplate.TemplateException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * An Ollama prompt template (Ollama's template.Template): a Go template plus the rules for feeding it
 * (messages mode, legacy System/Prompt/Response mode, suffix mode) and the auto-appended
 * {@code {{ .Response }}} for templates that mention neither Messages nor Response.
 */
public final class Template {
    /** Ollama's default template, used when a model has none. */
    public static final Template DEFAULT = parse("{{ .Prompt }}");

    private final String text;
    private final GoTemplate go;
    private final List<String> vars;

    private Template(String text, GoTemplate go, List<String> vars) {
        this.text = text;
        this.go = go;
        this.vars = vars;
    }

    /** Parses template text; throws {@link TemplateException} (with position) on a syntax error. */
    public static Template parse(String text) {
        GoTemplate go = GoTemplate.parse("", text);
        List<String> vars = vars(go);
        if (!vars.contains("messages") && !vars.contains("response")) {
            List<Node> nodes = new ArrayList<>(go.root().nodes());
            int end = text.length();
            nodes.add(new ActionNode(end, new PipeNode(end, false, List.of(),
                    List.of(new CommandNode(end, List.of(new FieldNode(end, List.of("Response"))))))));
            go = go.withRoot(new ListNode(go.root().pos(), nodes));
            vars = vars(go);
        }
        return new Template(text, go, vars);
    }

    /** The source text as given. */
    public String text() { return text; }

    public GoTemplate goTemplate() { return go; }

    /** Sorted, lower-cased field and variable identifiers of all templates (Ollama's Vars()). */
    public List<String> vars() { return vars; }

    /** Whether the template is fed {@code .Messages} (otherwise legacy System/Prompt/Response mode). */
    public boolean usesMessages() { return vars.contains("messages"); }

    /** Whether the template references {@code .Suffix} (the model has the insert capability). */
    public boolean usesSuffix() { return vars.contains("suffix"); }

    /** Whether the template references {@code .Tools} (the model has the tools capability). */
    public boolean usesTools() { return vars.contains("tools"); }

    /** The tag that starts tool calls in model output, inferred from the template ({@code "{"} if none). */
    public String toolCallTag() { return TemplateTags.toolCallTag(go.root()); }

    /** Thinking tags inferred from the template; see {@link TemplateTags.ThinkingTags#present()}. */
    public TemplateTags.ThinkingTags thinkingTags() { return TemplateTags.thinkingTags(go.root()); }

    /**
     * Whether the template can both offer tools and replay tool calls and results (Ollama's
     * goTemplateHasToolRoundTrip, used when choosing between it and a GGUF's Jinja template).
     */
    public boolean hasToolRoundTrip() {
        return vars.contains("tools") && vars.contains("toolcalls")
                && (text.contains("eq .Role \"tool\"") || text.contains("tool_response") || text.contains("TOOL_RESULTS"));
    }

    /** Plain substring test on the source (Ollama's Contains). */
    public boolean contains(String s) { return text.contains(s); }

    private static List<String> vars(GoTemplate go) {
        TreeSet<String> set = new TreeSet<>();
        for (ListNode root : go.templates().values()) {
            for (Node n : root.nodes()) {
                for (String id : identifiers(go, n)) set.add(id.toLowerCase());
            }
        }
        return List.copyOf(set);
    }

    private static List<String> identifiers(GoTemplate go, Node n) {
        List<String> out = new ArrayList<>();
        switch (n) {
            case ListNode l -> l.nodes().forEach(c -> out.addAll(identifiers(go, c)));
            case TemplateNode t -> {
                if (t.pipe() == null) {
                    throw TemplateException.parse(go.name(), go.text(), t.pos(), "undefined template specified");
                }
                out.addAll(identifiers(go, t.pipe()));
            }
            case ActionNode a -> out.addAll(identifiers(go, a.pipe()));
            case BranchNode b -> {
                out.addAll(identifiers(go, b.pipe()));
                out.addAll(identifiers(go, b.list()));
                if (b.elseList() != null) out.addAll(identifiers(go, b.elseList()));
            }
            case PipeNode p -> p.cmds().forEach(c -> c.args().forEach(a -> out.addAll(identifiers(go, a))));
            case FieldNode f -> out.addAll(f.ident());
            case VariableNode v -> out.addAll(v.ident());
            default -> { }
        }
        return out;
    }

    /** Renders the prompt for a request; throws {@link TemplateException} if execution fails. */
    public String render(RenderRequest r) {
        Collated c = collate(r.messages());
        if (!r.prompt().isEmpty() && !r.suffix().isEmpty()) {
            Map<String, Object> data = new HashMap<>();
            data.put("Prompt", r.prompt());
            data.put("Suffix", r.suffix());
            data.put("Response", "");
            putThink(data, r);
            return go.execute(data);
        }
        if (usesMessages()) {
            Map<String, Object> data = new HashMap<>();
            data.put("System", c.system());
            List<TemplateData.Message> msgs = new ArrayList<>();
            for (ChatMessage m : c.messages()) msgs.add(TemplateData.message(m));
            data.put("Messages", msgs);
            data.put("Tools", TemplateData.tools(r.tools()));
            data.put("Response", "");
            putThink(data, r);
            return go.execute(data);
        }
        return renderLegacy(c.messages(), r);
    }

    private static void putThink(Map<String, Object> data, RenderRequest r) {
        data.put("Think", r.think());
        data.put("ThinkLevel", r.thinkLevel());
        data.put("IsThinkSet", r.thinkSet());
    }

    /** Legacy mode: one execution per system/user/assistant group; the last one cut after {{ .Response }}. */
    private String renderLegacy(List<ChatMessage> messages, RenderRequest r) {
        StringBuilder out = new StringBuilder();
        String[] spr = {"", "", ""};
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case "system" -> {
                    if (!spr[1].isEmpty() || !spr[2].isEmpty()) flush(out, go, spr, r);
                    spr[0] = m.content();
                }
                case "user" -> {
                    if (!spr[2].isEmpty()) flush(out, go, spr, r);
                    spr[1] = m.content();
                }
                case "assistant" -> spr[2] = m.content();
                default -> { }
            }
        }
        GoTemplate cut = go.withRoot((ListNode) new ResponseCut().walk(go.root()));
        flush(out, cut, spr, r);
        return out.toString();
    }

    private static void flush(StringBuilder out, GoTemplate t, String[] spr, RenderRequest r) {
        Map<String, Object> data = new HashMap<>();
        data.put("System", spr[0]);
        data.put("Prompt", spr[1]);
        data.put("Response", spr[2]);
        putThink(data, r);
        out.append(t.execute(data));
        spr[0] = spr[1] = spr[2] = "";
    }

    /**
     * Removes every node after the first {@code .Response} field (keeping that one), walking in source
     * order like Ollama's deleteNode: branch conditions are not inspected, only their bodies.
     */
    private static final class ResponseCut {
        private boolean cut;

        private boolean delete(Node n) {
            if (n instanceof FieldNode f && f.ident().contains("Response")) {
                cut = true;
                return false;
            }
            return cut;
        }

        Node walk(Node n) {
            if (delete(n)) return null;
            return switch (n) {
                case ListNode l -> {
                    List<Node> kept = new ArrayList<>();
                    for (Node c : l.nodes()) {
                        Node w = walk(c);
                        if (w != null) kept.add(w);
                    }
                    yield new ListNode(l.pos(), kept);
                }
                case BranchNode b -> {
                    ListNode list = walkList(b.list());
                    ListNode elseList = b.elseList() == null ? null : walkList(b.elseList());
                    yield new BranchNode(b.pos(), b.kind(), b.pipe(), list, elseList);
                }
                case ActionNode a -> {
                    Node p = walk(a.pipe());
                    yield p == null ? null : new ActionNode(a.pos(), (PipeNode) p);
                }
                case PipeNode p -> {
                    List<CommandNode> cmds = new ArrayList<>();
                    for (CommandNode c : p.cmds()) {
                        List<Node> args = new ArrayList<>();
                        for (Node a : c.args()) {
                            Node w = walk(a);
                            if (w != null) args.add(w);
                        }
                        if (args.isEmpty()) yield null;
                        cmds.add(new CommandNode(c.pos(), args));
                    }
                    yield cmds.isEmpty() ? null : new PipeNode(p.pos(), p.assign(), p.decl(), cmds);
                }
                default -> n;
            };
        }

        private ListNode walkList(ListNode l) {
            Node w = walk(l);
            return w == null ? new ListNode(l.pos(), List.of()) : (ListNode) w;
        }
    }

    record Collated(String system, List<ChatMessage> messages) {}

    /**
     * Merges consecutive messages of the same role (except tool messages), joining contents with a blank
     * line, and collects all system contents.
     */
    static Collated collate(List<ChatMessage> msgs) {
        List<String> system = new ArrayList<>();
        List<ChatMessage> out = new ArrayList<>();
        for (ChatMessage m : msgs) {
            if ("system".equals(m.role())) system.add(m.content());
            if (!out.isEmpty() && out.getLast().role().equals(m.role()) && !"tool".equals(m.role())) {
                ChatMessage last = out.getLast();
                out.set(out.size() - 1, last.withContent(last.content() + "\n\n" + m.content()));
            } else {
                out.add(m);
            }
        }
        return new Collated(String.join("\n\n", system), out);
    }
}
