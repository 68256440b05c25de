package io.jollama.server.gotemplate;

import io.jollama.server.gotemplate.Lexer.Item;
import io.jollama.server.gotemplate.Lexer.Kind;
import io.jollama.server.gotemplate.Node.*;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Recursive-descent parser with Go text/template/parse's grammar and error messages. */
final class Parser {
    private final String name;
    private final String src;
    private final Set<String> functions;
    private final List<Item> items;
    private int next;
    private List<String> vars = new ArrayList<>(List.of("$"));
    private int rangeDepth;
    /** Templates defined with define/block, plus the main one under {@code name}. */
    final Map<String, ListNode> templates = new LinkedHashMap<>();

    private Parser(String name, String src, Set<String> functions) {
        this.name = name;
        this.src = src;
        this.functions = functions;
        this.items = Lexer.lex(name, src);
    }

    /** Parses the source; returns all templates (the main one under {@code name}). */
    static Map<String, ListNode> parse(String name, String src, Set<String> functions) {
        Parser p = new Parser(name, src, functions);
        ListNode root = new ListNode(0, new ArrayList<>());
        while (p.peek().kind() != Kind.EOF) {
            if (p.peek().kind() == Kind.LEFT_DELIM) {
                int save = p.next;
                p.next++;
                if (p.nextNonSpace().kind() == Kind.DEFINE) {
                    p.parseDefinition();
                    continue;
                }
                p.next = save;
            }
            Object n = p.textOrAction();
            if (n instanceof Marker m) throw p.error(m.pos, "unexpected " + m.describe());
            root.nodes().add((Node) n);
        }
        p.addTemplate(name, root);
        return p.templates;
    }

    /** {{end}} / {{else}} markers returned by textOrAction. */
    private record Marker(boolean isElse, int pos) {
        String describe() { return isElse ? "{{else}}" : "{{end}}"; }
    }

    private TemplateException error(int at, String msg) {
        return TemplateException.parse(name, src, at, msg);
    }

    private TemplateException unexpected(Item item, String context) {
        return error(item.pos(), "unexpected " + item.describe() + " in " + context);
    }

    private Item peek() {
        Item i = items.get(next);
        if (i.kind() == Kind.ERROR) throw error(i.pos(), i.val());
        return i;
    }

    private Item nextItem() {
        Item i = peek();
        next++;
        return i;
    }

    private Item nextNonSpace() {
        Item i;
        do { i = nextItem(); } while (i.kind() == Kind.SPACE);
        return i;
    }

    private Item peekNonSpace() {
        Item i = nextNonSpace();
        next--;
        return i;
    }

    private Item expect(Kind kind, String context) {
        Item i = nextNonSpace();
        if (i.kind() != kind) throw unexpected(i, context);
        return i;
    }

    private void addTemplate(String tname, ListNode root) {
        ListNode existing = templates.get(tname);
        if (existing == null || isEmpty(existing)) {
            templates.put(tname, root);
        } else if (!isEmpty(root)) {
            throw error(root.pos(), "template: multiple definition of template \"" + tname + "\"");
        }
    }

    private static boolean isEmpty(Node n) {
        return switch (n) {
            case ListNode l -> l.nodes().stream().allMatch(Parser::isEmpty);
            case TextNode t -> t.text().isBlank();
            default -> false;
        };
    }

    private void parseDefinition() {
        Item nameItem = nextNonSpace();
        if (nameItem.kind() != Kind.STRING && nameItem.kind() != Kind.RAW_STRING) {
            throw unexpected(nameItem, "define clause");
        }
        String tname = unquote(nameItem);
        expect(Kind.RIGHT_DELIM, "define clause");
        List<String> savedVars = vars;
        int savedDepth = rangeDepth;
        vars = new ArrayList<>(List.of("$"));
        rangeDepth = 0;
        ListNode body = new ListNode(peekNonSpace().pos(), new ArrayList<>());
        Marker end = itemList(body);
        if (end.isElse()) throw error(end.pos, "unexpected {{else}} in define clause");
        vars = savedVars;
        rangeDepth = savedDepth;
        addTemplate(tname, body);
    }

    /** Parses nodes until {{end}} or {{else}}; returns the marker. */
    private Marker itemList(ListNode list) {
        while (peekNonSpace().kind() != Kind.EOF) {
            Object n = textOrAction();
            if (n instanceof Marker m) return m;
            list.nodes().add((Node) n);
        }
        throw error(src.length(), "unexpected EOF");
    }

    private Object textOrAction() {
        Item i = nextNonSpace();
        return switch (i.kind()) {
            case TEXT -> new TextNode(i.pos(), i.val());
            case LEFT_DELIM -> action();
            default -> throw unexpected(i, "input");
        };
    }

    private Object action() {
        Item token = nextNonSpace();
        switch (token.kind()) {
            case BLOCK: return blockControl(token);
            case BREAK: return loopControl(token, true);
            case CONTINUE: return loopControl(token, false);
            case ELSE: {
                Item p = peekNonSpace();
                if (p.kind() == Kind.IF || p.kind() == Kind.WITH) return new Marker(true, p.pos());
                expect(Kind.RIGHT_DELIM, "else");
                return new Marker(true, token.pos());
            }
            case END:
                expect(Kind.RIGHT_DELIM, "end");
                return new Marker(false, token.pos());
            case IF: return control(BranchKind.IF, "if", token.pos());
            case RANGE: return control(BranchKind.RANGE, "range", token.pos());
            case WITH: return control(BranchKind.WITH, "with", token.pos());
            case TEMPLATE: return templateControl(token);
            default:
                break;
        }
        next--;
        // variables declared here persist until the enclosing {{end}}
        return new ActionNode(peek().pos(), pipeline("command", Kind.RIGHT_DELIM));
    }

    private Node loopControl(Item token, boolean isBreak) {
        Item i = nextNonSpace();
        String what = isBreak ? "{{break}}" : "{{continue}}";
        if (i.kind() != Kind.RIGHT_DELIM) throw unexpected(i, what);
        if (rangeDepth == 0) throw error(token.pos(), what + " outside {{range}}");
        return isBreak ? new BreakNode(token.pos()) : new ContinueNode(token.pos());
    }

    private Node control(BranchKind kind, String context, int pos) {
        int varMark = vars.size();
        PipeNode pipe = pipeline(context, Kind.RIGHT_DELIM);
        if (kind == BranchKind.RANGE) rangeDepth++;
        ListNode list = new ListNode(peekNonSpace().pos(), new ArrayList<>());
        Marker m = itemList(list);
        if (kind == BranchKind.RANGE) rangeDepth--;
        ListNode elseList = null;
        if (m.isElse()) {
            Item p = peekNonSpace();
            if (kind == BranchKind.IF && p.kind() == Kind.IF) {
                // {{else if b}} is {{else}}{{if b}}...{{end}} sharing the outer {{end}}
                nextNonSpace();
                elseList = new ListNode(m.pos(), new ArrayList<>());
                elseList.nodes().add(control(BranchKind.IF, "if", p.pos()));
            } else if (kind == BranchKind.WITH && p.kind() == Kind.WITH) {
                nextNonSpace();
                elseList = new ListNode(m.pos(), new ArrayList<>());
                elseList.nodes().add(control(BranchKind.WITH, "with", p.pos()));
            } else {
                elseList = new ListNode(peekNonSpace().pos(), new ArrayList<>());
                Marker end = itemList(elseList);
                if (end.isElse()) throw error(end.pos(), "expected end; found {{else}}");
            }
        }
        while (vars.size() > varMark) vars.removeLast();
        return new BranchNode(pos, kind, pipe, list, elseList);
    }

    private Node templateControl(Item token) {
        Item nameItem = nextNonSpace();
        String tname = templateName(nameItem, "template clause");
        PipeNode pipe = null;
        if (nextNonSpace().kind() != Kind.RIGHT_DELIM) {
            next--;
            pipe = pipeline("template clause", Kind.RIGHT_DELIM);
        }
        return new TemplateNode(nameItem.pos(), tname, pipe);
    }

    private Node blockControl(Item token) {
        Item nameItem = nextNonSpace();
        String tname = templateName(nameItem, "block clause");
        PipeNode pipe = pipeline("block clause", Kind.RIGHT_DELIM);
        List<String> savedVars = vars;
        int savedDepth = rangeDepth;
        vars = new ArrayList<>(List.of("$"));
        rangeDepth = 0;
        ListNode body = new ListNode(peekNonSpace().pos(), new ArrayList<>());
        Marker end = itemList(body);
        if (end.isElse()) throw error(end.pos(), "unexpected {{else}} in block clause");
        vars = savedVars;
        rangeDepth = savedDepth;
        addTemplate(tname, body);
        return new TemplateNode(nameItem.pos(), tname, pipe);
    }

    private String templateName(Item item, String context) {
        if (item.kind() == Kind.STRING || item.kind() == Kind.RAW_STRING) return unquote(item);
        throw unexpected(item, context);
    }

    private PipeNode pipeline(String context, Kind end) {
        int pos = peekNonSpace().pos();
        List<VariableNode> decl = new ArrayList<>();
        boolean assign = false;
        // declarations: $x := / $x = / $i, $v := (range only)
        while (peekNonSpace().kind() == Kind.VARIABLE) {
            int save = next;
            Item v = nextNonSpace();
            Item after = peekNonSpace();
            if (after.kind() == Kind.ASSIGN || after.kind() == Kind.DECLARE) {
                assign = after.kind() == Kind.ASSIGN;
                nextNonSpace();
                decl.add(new VariableNode(v.pos(), List.of(v.val())));
                vars.add(v.val());
                break;
            } else if (after.kind() == Kind.COMMA) {
                nextNonSpace();
                decl.add(new VariableNode(v.pos(), List.of(v.val())));
                vars.add(v.val());
                if (context.equals("range") && decl.size() < 2) {
                    Kind k = peekNonSpace().kind();
                    if (k == Kind.VARIABLE || k == Kind.RIGHT_DELIM || k == Kind.RIGHT_PAREN) continue;
                    throw error(v.pos(), "range can only initialize variables");
                }
                throw error(v.pos(), "too many declarations in " + context);
            } else {
                next = save;
                break;
            }
        }
        List<CommandNode> cmds = new ArrayList<>();
        while (true) {
            Item token = nextNonSpace();
            if (token.kind() == end) {
                if (cmds.isEmpty()) throw error(token.pos(), "missing value for " + context);
                for (int i = 1; i < cmds.size(); i++) {
                    Node first = cmds.get(i).args().getFirst();
                    if (first instanceof BoolNode || first instanceof DotNode || first instanceof NilNode
                            || first instanceof NumberNode || first instanceof StringNode) {
                        throw error(first.pos(), "non executable command in pipeline stage " + (i + 1));
                    }
                }
                return new PipeNode(pos, assign, decl, cmds);
            }
            switch (token.kind()) {
                case BOOL, CHAR_CONSTANT, DOT, FIELD, IDENTIFIER, NUMBER, NIL, RAW_STRING, STRING, VARIABLE,
                        LEFT_PAREN -> {
                    next--;
                    cmds.add(command());
                }
                default -> throw unexpected(token, context);
            }
        }
    }

    private CommandNode command() {
        CommandNode cmd = new CommandNode(peekNonSpace().pos(), new ArrayList<>());
        while (true) {
            peekNonSpace();
            while (peek().kind() == Kind.SPACE) next++;
            Node operand = operand();
            if (operand != null) cmd.args().add(operand);
            Item token = nextItem();
            switch (token.kind()) {
                case SPACE:
                    continue;
                case RIGHT_DELIM, RIGHT_PAREN:
                    next--;
                    break;
                case PIPE:
                    break;
                default:
                    throw unexpected(token, "operand");
            }
            break;
        }
        if (cmd.args().isEmpty()) throw error(cmd.pos(), "empty command");
        return cmd;
    }

    private Node operand() {
        Node node = term();
        if (node == null) return null;
        if (peek().kind() == Kind.FIELD) {
            List<String> fields = new ArrayList<>();
            int pos = peek().pos();
            while (peek().kind() == Kind.FIELD) fields.add(nextItem().val().substring(1));
            switch (node) {
                // like Go, a chained field or variable is positioned at its first chained field
                case FieldNode f -> {
                    List<String> all = new ArrayList<>(f.ident());
                    all.addAll(fields);
                    node = new FieldNode(pos, all);
                }
                case VariableNode v -> {
                    List<String> all = new ArrayList<>(v.ident());
                    all.addAll(fields);
                    node = new VariableNode(pos, all);
                }
                case BoolNode b -> throw error(pos, "unexpected . after term " + Strings.quote(NodeText.of(b)));
                case StringNode s -> throw error(pos, "unexpected . after term " + Strings.quote(NodeText.of(s)));
                case NumberNode n -> throw error(pos, "unexpected . after term " + Strings.quote(NodeText.of(n)));
                case NilNode n -> throw error(pos, "unexpected . after term " + Strings.quote(NodeText.of(n)));
                case DotNode d -> throw error(pos, "unexpected . after term " + Strings.quote(NodeText.of(d)));
                default -> node = new ChainNode(pos, node, fields);
            }
        }
        return node;
    }

    private Node term() {
        Item token = nextNonSpace();
        switch (token.kind()) {
            case IDENTIFIER:
                if (!functions.contains(token.val())) {
                    throw error(token.pos(), "function \"" + token.val() + "\" not defined");
                }
                return new IdentifierNode(token.pos(), token.val());
            case DOT: return new DotNode(token.pos());
            case NIL: return new NilNode(token.pos());
            case VARIABLE:
                if (!vars.contains(token.val())) {
                    throw error(token.pos(), "undefined variable \"" + token.val() + "\"");
                }
                return new VariableNode(token.pos(), List.of(token.val()));
            case FIELD: return new FieldNode(token.pos(), List.of(token.val().substring(1)));
            case BOOL: return new BoolNode(token.pos(), token.val().equals("true"));
            case NUMBER: return number(token);
            case CHAR_CONSTANT: {
                String s = Strings.unquoteChar(token.val(), msg -> error(token.pos(), msg));
                return new NumberNode(token.pos(), token.val(), (long) s.codePointAt(0));
            }
            case STRING, RAW_STRING: return new StringNode(token.pos(), token.val(), unquote(token));
            case LEFT_PAREN: return pipeline("parenthesized pipeline", Kind.RIGHT_PAREN);
            default:
                next--;
                return null;
        }
    }

    private NumberNode number(Item token) {
        String text = token.val();
        String t = text.replace("_", "");
        boolean neg = t.startsWith("-");
        String body = t.startsWith("-") || t.startsWith("+") ? t.substring(1) : t;
        try {
            String lower = body.toLowerCase();
            if (lower.startsWith("0x")) return new NumberNode(token.pos(), text, sign(Long.parseLong(body.substring(2), 16), neg));
            if (lower.startsWith("0o")) return new NumberNode(token.pos(), text, sign(Long.parseLong(body.substring(2), 8), neg));
            if (lower.startsWith("0b")) return new NumberNode(token.pos(), text, sign(Long.parseLong(body.substring(2), 2), neg));
            if (lower.contains(".") || lower.contains("e")) {
                double d = Double.parseDouble(t);
                if (Double.isInfinite(d)) throw new NumberFormatException();
                return new NumberNode(token.pos(), text, d);
            }
            if (body.length() > 1 && body.startsWith("0")) return new NumberNode(token.pos(), text, sign(Long.parseLong(body, 8), neg));
            return new NumberNode(token.pos(), text, Long.parseLong(t));
        } catch (NumberFormatException e) {
            if (t.matches("[+-]?[0-9]+")) throw error(token.pos(), "integer overflow: \"" + text + "\"");
            throw error(token.pos(), "illegal number syntax: \"" + text + "\"");
        }
    }

    private static long sign(long v, boolean neg) { return neg ? -v : v; }

    private String unquote(Item item) {
        if (item.kind() == Kind.RAW_STRING) {
            String s = item.val();
            return s.substring(1, s.length() - 1).replace("\r", "");
        }
        return Strings.unquote(item.val(), msg -> error(item.pos(), msg));
    }
}
