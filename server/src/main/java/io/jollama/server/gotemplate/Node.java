package io.jollama.server.gotemplate;

import java.util.List;

/**
 * Parse tree of a Go text/template, shaped like Go's {@code text/template/parse} nodes.
 * {@code pos} is the character offset of the node in the template source.
 */
public sealed interface Node {
    int pos();

    /** Sequence of nodes. The list is mutable only while parsing. */
    record ListNode(int pos, List<Node> nodes) implements Node {}

    record TextNode(int pos, String text) implements Node {}

    /** {@code {{ pipeline }}}; prints the value unless the pipeline declares variables. */
    record ActionNode(int pos, PipeNode pipe) implements Node {}

    /** Variable declarations/assignments ({@code decl}, {@code assign}) followed by commands joined by {@code |}. */
    record PipeNode(int pos, boolean assign, List<VariableNode> decl, List<CommandNode> cmds) implements Node {}

    record CommandNode(int pos, List<Node> args) implements Node {}

    enum BranchKind { IF, RANGE, WITH }

    /** if / range / with; {@code elseList} may be null. */
    record BranchNode(int pos, BranchKind kind, PipeNode pipe, ListNode list, ListNode elseList) implements Node {}

    record BreakNode(int pos) implements Node {}

    record ContinueNode(int pos) implements Node {}

    /** {@code {{ template "name" pipe }}}; {@code pipe} may be null. */
    record TemplateNode(int pos, String name, PipeNode pipe) implements Node {}

    /** {@code .A.B}. */
    record FieldNode(int pos, List<String> ident) implements Node {}

    /** {@code $x.A.B}; ident[0] is the variable name including the {@code $}. */
    record VariableNode(int pos, List<String> ident) implements Node {}

    /** A function name. */
    record IdentifierNode(int pos, String name) implements Node {}

    /** {@code (pipe).A.B} or {@code $x.A} after a non-field term. */
    record ChainNode(int pos, Node node, List<String> fields) implements Node {}

    record DotNode(int pos) implements Node {}

    record NilNode(int pos) implements Node {}

    record BoolNode(int pos, boolean value) implements Node {}

    /** A numeric constant: {@code value} is a Long, Double or (for character constants) a Long rune. */
    record NumberNode(int pos, String text, Object value) implements Node {}

    record StringNode(int pos, String quoted, String text) implements Node {}
}
