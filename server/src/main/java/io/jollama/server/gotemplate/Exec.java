package io.jollama.server.gotemplate;

import io.jollama.server.gotemplate.Node.*;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Executes a parsed template against data with Go text/template semantics. */
final class Exec {
    private static final int MAX_DEPTH = 1000;
    /** Marks "no value piped in" (Go's missingVal). */
    private static final Object MISSING = new Object();

    private static final class Var {
        final String name;
        Object value;

        Var(String name, Object value) {
            this.name = name;
            this.value = value;
        }
    }

    private static final class Break extends RuntimeException {
        Break() { super(null, null, false, false); }
    }

    private static final class Continue extends RuntimeException {
        Continue() { super(null, null, false, false); }
    }

    private static final Break BREAK = new Break();
    private static final Continue CONTINUE = new Continue();

    private final GoTemplate tmpl;
    private final StringBuilder out;
    private String currentName;
    private List<Var> vars = new ArrayList<>();
    private int depth;

    Exec(GoTemplate tmpl, StringBuilder out) {
        this.tmpl = tmpl;
        this.out = out;
        this.currentName = tmpl.name();
    }

    void run(ListNode root, Object data) {
        vars.add(new Var("$", data));
        walk(data, root);
    }

    private TemplateException error(Node at, String msg) {
        return TemplateException.exec(tmpl.name(), tmpl.text(), at.pos(),
                "executing \"" + currentName + "\" at <" + NodeText.of(at) + ">: " + msg);
    }

    private void walk(Object dot, Node node) {
        switch (node) {
            case ListNode l -> {
                for (Node n : l.nodes()) walk(dot, n);
            }
            case TextNode t -> out.append(t.text());
            case ActionNode a -> {
                Object v = evalPipeline(dot, a.pipe());
                if (a.pipe().decl().isEmpty()) printValue(a, v);
            }
            case BreakNode b -> throw BREAK;
            case ContinueNode c -> throw CONTINUE;
            case BranchNode b when b.kind() == BranchKind.RANGE -> walkRange(dot, b);
            case BranchNode b -> {
                int mark = vars.size();
                Object v = evalPipeline(dot, b.pipe());
                if (Values.isTrue(v)) {
                    walk(b.kind() == BranchKind.WITH ? v : dot, b.list());
                } else if (b.elseList() != null) {
                    walk(dot, b.elseList());
                }
                pop(mark);
            }
            case TemplateNode t -> walkTemplate(dot, t);
            default -> throw error(node, "unknown node");
        }
    }

    private void walkTemplate(Object dot, TemplateNode t) {
        ListNode body = tmpl.templates().get(t.name());
        if (body == null) throw error(t, "template \"" + t.name() + "\" not defined");
        if (depth >= MAX_DEPTH) throw error(t, "exceeded maximum template depth (" + MAX_DEPTH + ")");
        Object newDot = t.pipe() == null ? null : evalPipeline(dot, t.pipe());
        List<Var> savedVars = vars;
        String savedName = currentName;
        vars = new ArrayList<>();
        vars.add(new Var("$", newDot));
        currentName = t.name();
        depth++;
        try {
            walk(newDot, body);
        } finally {
            depth--;
            vars = savedVars;
            currentName = savedName;
        }
    }

    private void walkRange(Object dot, BranchNode r) {
        int mark0 = vars.size();
        Object val = evalPipeline(dot, r.pipe());
        int mark = vars.size();
        List<VariableNode> decl = r.pipe().decl();
        boolean any = false;
        try {
            switch (val) {
                case null -> { }
                case Map<?, ?> m -> {
                    for (var e : GoFmt.sortedEntries(m)) {
                        any = true;
                        iteration(r, decl, mark, e.getKey(), e.getValue());
                    }
                }
                case Collection<?> c -> {
                    int i = 0;
                    for (Object e : c) {
                        any = true;
                        iteration(r, decl, mark, i++, e);
                    }
                }
                case Object[] a -> {
                    for (int i = 0; i < a.length; i++) {
                        any = true;
                        iteration(r, decl, mark, i, a[i]);
                    }
                }
                case Integer n -> any = rangeInt(r, decl, mark, n);
                case Long n -> any = rangeInt(r, decl, mark, n);
                default -> throw error(r.pipe(), "range can't iterate over " + GoFmt.print(val));
            }
        } catch (Break b) {
            pop(mark);
        }
        if (!any && r.elseList() != null) walk(dot, r.elseList());
        pop(mark0);
    }

    private boolean rangeInt(BranchNode r, List<VariableNode> decl, int mark, long n) {
        if (decl.size() > 1) throw error(r, "can't use " + n + " to iterate over more than one variable");
        for (long i = 0; i < n; i++) iteration(r, decl, mark, i, i);
        return n > 0;
    }

    private void iteration(BranchNode r, List<VariableNode> decl, int mark, Object index, Object elem) {
        if (!decl.isEmpty()) {
            if (r.pipe().assign()) {
                if (decl.size() > 1) {
                    setVar(r, decl.get(0).ident().getFirst(), index);
                    setVar(r, decl.get(1).ident().getFirst(), elem);
                } else {
                    setVar(r, decl.getFirst().ident().getFirst(), elem);
                }
            } else {
                // the declared variables are the top of the stack: the element on top, the index below it
                vars.get(vars.size() - 1).value = elem;
                if (decl.size() > 1) vars.get(vars.size() - 2).value = index;
            }
        }
        try {
            walk(elem, r.list());
        } catch (Continue c) {
            // next iteration
        } finally {
            pop(mark);
        }
    }

    private void pop(int mark) {
        while (vars.size() > mark) vars.removeLast();
    }

    private void setVar(Node at, String name, Object value) {
        for (int i = vars.size() - 1; i >= 0; i--) {
            if (vars.get(i).name.equals(name)) {
                vars.get(i).value = value;
                return;
            }
        }
        throw error(at, "undefined variable: " + name);
    }

    private Object varValue(Node at, String name) {
        for (int i = vars.size() - 1; i >= 0; i--) {
            if (vars.get(i).name.equals(name)) return vars.get(i).value;
        }
        throw error(at, "undefined variable: " + name);
    }

    private void printValue(Node at, Object v) {
        if (v == null) {
            out.append("<no value>");
            return;
        }
        out.append(GoFmt.print(v));
    }

    Object evalPipeline(Object dot, PipeNode pipe) {
        Object value = MISSING;
        for (CommandNode cmd : pipe.cmds()) value = evalCommand(dot, cmd, value);
        for (VariableNode v : pipe.decl()) {
            if (pipe.assign()) setVar(pipe.cmds().getLast(), v.ident().getFirst(), value);
            else vars.add(new Var(v.ident().getFirst(), value));
        }
        return value;
    }

    private void notAFunction(CommandNode cmd, Object fin) {
        if (cmd.args().size() > 1 || fin != MISSING) {
            throw error(cmd.args().getFirst(), "can't give argument to non-function " + NodeText.of(cmd.args().getFirst()));
        }
    }

    private Object evalCommand(Object dot, CommandNode cmd, Object fin) {
        Node first = cmd.args().getFirst();
        switch (first) {
            case FieldNode f:
                return evalFieldChain(dot, dot, f, f.ident(), cmd, fin, true);
            case ChainNode c: {
                Object receiver = evalArg(dot, c.node());
                return evalFieldChain(dot, receiver, c, c.fields(), cmd, fin, false);
            }
            case IdentifierNode id:
                return evalFunction(dot, id, cmd, fin);
            case PipeNode p:
                notAFunction(cmd, fin);
                return evalPipeline(dot, p);
            case VariableNode v: {
                Object value = varValue(v, v.ident().getFirst());
                if (v.ident().size() == 1) {
                    notAFunction(cmd, fin);
                    return value;
                }
                return evalFieldChain(dot, value, v, v.ident().subList(1, v.ident().size()), cmd, fin, false);
            }
            default:
                break;
        }
        notAFunction(cmd, fin);
        return switch (first) {
            case BoolNode b -> b.value();
            case DotNode d -> dot;
            case NilNode n -> throw error(n, "nil is not a command");
            case NumberNode n -> n.value();
            case StringNode s -> s.text();
            default -> throw error(first, "can't evaluate command " + NodeText.of(first));
        };
    }

    private Object evalFieldChain(Object dot, Object receiver, Node node, List<String> idents, CommandNode cmd,
            Object fin, boolean fromDot) {
        boolean hasArgs = cmd.args().size() > 1 || fin != MISSING;
        Object r = receiver;
        // Go reports a failing receiver by its static type: values out of maps and slices are "interface {}"
        boolean concrete = r instanceof Record;
        for (int i = 0; i < idents.size(); i++) {
            if (r == null && i == 0 && fromDot) return null; // nil data: Go yields "no value"
            String name = idents.get(i);
            if (hasArgs && i == idents.size() - 1) {
                if (r instanceof Map<?, ?>) throw error(node, name + " is not a method but has arguments");
                if (r instanceof Record) throw error(node, name + " has arguments but cannot be invoked as function");
            }
            try {
                Object next = Values.field(r, name, concrete);
                concrete = r instanceof Record;
                r = next;
            } catch (Values.FieldError e) {
                throw error(node, e.getMessage());
            }
        }
        return r;
    }

    private Object evalArg(Object dot, Node n) {
        return switch (n) {
            case DotNode d -> dot;
            case NilNode nil -> null;
            case FieldNode f -> evalFieldChain(dot, dot, f, f.ident(), new CommandNode(f.pos(), List.of(f)), MISSING, true);
            case VariableNode v -> {
                Object value = varValue(v, v.ident().getFirst());
                if (v.ident().size() == 1) yield value;
                yield evalFieldChain(dot, value, v, v.ident().subList(1, v.ident().size()),
                        new CommandNode(v.pos(), List.of(v)), MISSING, false);
            }
            case PipeNode p -> evalPipeline(dot, p);
            case IdentifierNode id -> evalFunction(dot, id, new CommandNode(id.pos(), List.of(id)), MISSING);
            case ChainNode c -> evalFieldChain(dot, evalArg(dot, c.node()), c, c.fields(),
                    new CommandNode(c.pos(), List.of(c)), MISSING, false);
            case BoolNode b -> b.value();
            case NumberNode num -> num.value();
            case StringNode s -> s.text();
            default -> throw error(n, "can't handle " + NodeText.of(n) + " for arg");
        };
    }

    private Object evalFunction(Object dot, IdentifierNode id, CommandNode cmd, Object fin) {
        String name = id.name();
        TemplateFunction fn = tmpl.functions().get(name);
        if (fn == null) throw error(id, "\"" + name + "\" is not a defined function");
        List<Node> argNodes = cmd.args().subList(1, cmd.args().size());
        int n = argNodes.size() + (fin == MISSING ? 0 : 1);
        if (n < fn.minArgs() || (fn.maxArgs() >= 0 && n > fn.maxArgs())) {
            String want = fn.maxArgs() < 0 ? "at least " + fn.minArgs() : String.valueOf(fn.minArgs());
            throw error(id, "wrong number of args for " + name + ": want " + want + " got " + n);
        }
        if (name.equals(Funcs.AND) || name.equals(Funcs.OR)) {
            boolean isOr = name.equals(Funcs.OR);
            Object v = null;
            for (Node a : argNodes) {
                v = evalArg(dot, a);
                if (Values.isTrue(v) == isOr) return v;
            }
            if (fin != MISSING) v = fin;
            return v;
        }
        if (name.equals("printf") && !argNodes.isEmpty()
                && (argNodes.getFirst() instanceof NumberNode || argNodes.getFirst() instanceof BoolNode)) {
            // Go checks constant arguments against the parameter type before the call
            throw error(argNodes.getFirst(), "expected string; found " + NodeText.of(argNodes.getFirst()));
        }
        List<Object> args = new ArrayList<>(n);
        for (Node a : argNodes) args.add(evalArg(dot, a));
        if (fin != MISSING) args.add(fin);
        try {
            return fn.body().call(args);
        } catch (Funcs.TypeError e) {
            throw error(cmd, e.getMessage());
        } catch (TemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw error(cmd, "error calling " + name + ": " + e.getMessage());
        }
    }

}
