package io.jollama.server.template;

import io.jollama.server.gotemplate.GoTemplate;
import io.jollama.server.gotemplate.Node;
import io.jollama.server.gotemplate.Node.*;
import java.util.ArrayList;
import java.util.List;

/**
 * What Ollama infers from a template's parse tree for output parsing: the tool-call tag (tools/template.go)
 * and the thinking tags (thinking/template.go). Both are heuristics; these reproduce Ollama's rules.
 */
public final class TemplateTags {
    private TemplateTags() {}

    /** Opening and closing thinking tags; both empty when none can be inferred. */
    public record ThinkingTags(String opening, String closing) {
        /** Ollama only parses thinking (and grants the thinking capability) when both tags are non-empty. */
        public boolean present() {
            return !opening.isEmpty() && !closing.isEmpty();
        }
    }

    /**
     * The tag that starts tool calls in model output: the first non-blank text inside the first
     * {@code {{ if }}} whose condition mentions {@code .ToolCalls} (searching nested blocks, stopping at the first
     * action), cut before any {@code {}, trimmed; {@code "{"} when there is none.
     */
    public static String toolCallTag(ListNode root) {
        BranchNode ifNode = findToolCallsIf(root.nodes());
        if (ifNode == null) return "{";
        TextNode text = findText(ifNode.list().nodes());
        if (text == null) return "{";
        String tag = text.text().replace("\r\n", "\n");
        int brace = tag.indexOf('{');
        if (brace >= 0) tag = tag.substring(0, brace);
        tag = tag.strip();
        return tag.isEmpty() ? "{" : tag;
    }

    private static boolean mentionsToolCalls(BranchNode n) {
        for (CommandNode c : n.pipe().cmds()) {
            for (Node a : c.args()) {
                if (a instanceof FieldNode f && f.ident().contains("ToolCalls")) return true;
            }
        }
        return false;
    }

    private static BranchNode findToolCallsIf(List<Node> nodes) {
        for (Node node : nodes) {
            switch (node) {
                case BranchNode b -> {
                    if (b.kind() == BranchKind.IF && mentionsToolCalls(b)) return b;
                    BranchNode r = findToolCallsIf(b.list().nodes());
                    if (r != null) return r;
                    if (b.elseList() != null) {
                        r = findToolCallsIf(b.elseList().nodes());
                        if (r != null) return r;
                    }
                }
                case ListNode l -> {
                    BranchNode r = findToolCallsIf(l.nodes());
                    if (r != null) return r;
                }
                default -> { }
            }
        }
        return null;
    }

    private static TextNode findText(List<Node> nodes) {
        for (Node node : nodes) {
            switch (node) {
                case TextNode t -> {
                    if (!t.text().isBlank()) return t;
                }
                case BranchNode b -> {
                    TextNode t = findText(b.list().nodes());
                    if (t != null) return t;
                    if (b.elseList() != null) {
                        t = findText(b.elseList().nodes());
                        if (t != null) return t;
                    }
                    return null;
                }
                case ListNode l -> {
                    TextNode t = findText(l.nodes());
                    if (t != null) return t;
                }
                case ActionNode a -> {
                    return null;
                }
                default -> { }
            }
        }
        return null;
    }

    /**
     * Thinking tags: for each {@code .Thinking} field inside a {@code range} over {@code .Messages}, the first
     * and last text nodes (trimmed) of the nearest enclosing node list; later matches overwrite earlier ones.
     */
    public static ThinkingTags thinkingTags(ListNode root) {
        String[] tags = {"", ""};
        visit(root, new ArrayList<>(), tags);
        return new ThinkingTags(tags[0], tags[1]);
    }

    private static void visit(Node n, List<Node> ancestors, String[] tags) {
        if (n == null) return;
        ancestors.add(n);
        if (n instanceof FieldNode f && f.ident().getFirst().equals("Thinking")) onThinking(ancestors, tags);
        switch (n) {
            case ListNode l -> l.nodes().forEach(c -> visit(c, ancestors, tags));
            case BranchNode b -> {
                visit(b.pipe(), ancestors, tags);
                visit(b.list(), ancestors, tags);
                visit(b.elseList(), ancestors, tags);
            }
            case ActionNode a -> visit(a.pipe(), ancestors, tags);
            case TemplateNode t -> visit(t.pipe(), ancestors, tags);
            case PipeNode p -> p.cmds().forEach(c -> visit(c, ancestors, tags));
            case CommandNode c -> c.args().forEach(a -> visit(a, ancestors, tags));
            default -> { }
        }
        ancestors.removeLast();
    }

    private static void onThinking(List<Node> ancestors, String[] tags) {
        BranchNode range = null;
        for (int i = ancestors.size() - 1; i >= 0; i--) {
            if (ancestors.get(i) instanceof BranchNode b && b.kind() == BranchKind.RANGE) {
                range = b;
                break;
            }
        }
        if (range == null || !pipeHasField(range.pipe(), "Messages")) return;
        for (int i = ancestors.size() - 1; i >= 0; i--) {
            if (ancestors.get(i) instanceof ListNode l) {
                if (l.nodes().getFirst() instanceof TextNode t) tags[0] = t.text().strip();
                if (l.nodes().getLast() instanceof TextNode t) tags[1] = t.text().strip();
                return;
            }
        }
    }

    private static boolean pipeHasField(Node n, String field) {
        return switch (n) {
            case FieldNode f -> f.ident().getFirst().equals(field);
            case PipeNode p -> p.cmds().stream().anyMatch(c -> pipeHasField(c, field));
            case CommandNode c -> c.args().stream().anyMatch(a -> pipeHasField(a, field));
            case null, default -> false;
        };
    }
}
