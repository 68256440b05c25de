package io.jollama.server.gotemplate;

import io.jollama.server.gotemplate.Node.*;
import java.util.stream.Collectors;

/** Go-like source text of a node, for error messages. */
final class NodeText {
    private NodeText() {}

    static String of(Node n) {
        return switch (n) {
            case FieldNode f -> "." + String.join(".", f.ident());
            case VariableNode v -> String.join(".", v.ident());
            case IdentifierNode i -> i.name();
            case ChainNode c -> (c.node() instanceof PipeNode ? "(" + of(c.node()) + ")" : of(c.node())) + "."
                    + String.join(".", c.fields());
            case DotNode d -> ".";
            case NilNode nil -> "nil";
            case BoolNode b -> String.valueOf(b.value());
            case NumberNode num -> num.text();
            case StringNode s -> s.quoted();
            case CommandNode c -> c.args().stream()
                    .map(a -> a instanceof PipeNode ? "(" + of(a) + ")" : of(a))
                    .collect(Collectors.joining(" "));
            case PipeNode p -> {
                String decl = p.decl().isEmpty() ? ""
                        : p.decl().stream().map(NodeText::of).collect(Collectors.joining(", "))
                                + (p.assign() ? " = " : " := ");
                yield decl + p.cmds().stream().map(NodeText::of).collect(Collectors.joining(" | "));
            }
            case ActionNode a -> "{{" + of(a.pipe()) + "}}";
            case BranchNode b -> "{{" + b.kind().name().toLowerCase() + " " + of(b.pipe()) + "}}";
            case TemplateNode t -> "{{template \"" + t.name() + "\"" + (t.pipe() == null ? "" : " " + of(t.pipe())) + "}}";
            case TextNode t -> t.text();
            case ListNode l -> l.nodes().stream().map(NodeText::of).collect(Collectors.joining());
            case BreakNode b -> "{{break}}";
            case ContinueNode c -> "{{continue}}";
        };
    }
}
