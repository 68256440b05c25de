package io.jollama.server.create;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Ollama's Modelfile: a list of commands ({@code FROM} is stored as {@code model}, {@code PARAMETER k v} as {@code k},
 * {@code MESSAGE role text} as {@code message} with argument {@code "role: text"}).
 * {@link #parse} follows Ollama's parser rune by rune; {@link #toString()} prints it back so that it parses again to
 * the same commands.
 */
public record Modelfile(List<Command> commands) {

    /** One instruction. */
    public record Command(String name, String args) {
        /** The instruction as a Modelfile line (without the newline). */
        @Override
        public String toString() {
            return switch (name) {
                case "model" -> "FROM " + args;
                case "license", "template", "system", "adapter", "renderer", "parser", "requires", "draft" ->
                        name.toUpperCase(Locale.ROOT) + " " + quote(args);
                case "message" -> {
                    int i = args.indexOf(": ");
                    String role = i < 0 ? args : args.substring(0, i);
                    String text = i < 0 ? "" : args.substring(i + 2);
                    yield "MESSAGE " + role + " " + quote(text);
                }
                default -> "PARAMETER " + name + " " + quote(args);
            };
        }
    }

    /** A Modelfile syntax error; {@link #getMessage()} is the text Ollama gives. */
    public static final class ParseException extends Exception {
        public ParseException(String message) {
            super(message);
        }
    }

    static final String INVALID_COMMAND = "command must be one of \"from\", \"license\", \"template\", \"system\", \"adapter\", "
            + "\"draft\", \"renderer\", \"parser\", \"parameter\", \"message\", or \"requires\"";
    static final String INVALID_ROLE = "message role must be one of \"system\", \"user\", or \"assistant\"";
    private static final Set<String> COMMANDS = Set.of("from", "license", "template", "system", "adapter", "draft",
            "renderer", "parser", "parameter", "message", "requires");
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    public Modelfile {
        commands = List.copyOf(commands);
    }

    /** Every line followed by a newline. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Command c : commands) b.append(c).append('\n');
        return b.toString();
    }

    /** Quotes an argument the way Ollama prints it: only when it has a newline or a leading/trailing space. */
    static String quote(String s) {
        if (s.contains("\n") || s.startsWith(" ") || s.endsWith(" ")) {
            return s.contains("\"") ? "\"\"\"" + s + "\"\"\"" : "\"" + s + "\"";
        }
        return s;
    }

    /** Decodes bytes as UTF-8, or UTF-16 when they start with a UTF-16 byte-order mark, then parses. */
    public static Modelfile parse(byte[] bytes) throws ParseException {
        String text;
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xFE) {
            text = new String(bytes, 2, bytes.length - 2, StandardCharsets.UTF_16LE);
        } else if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFE && (bytes[1] & 0xFF) == 0xFF) {
            text = new String(bytes, 2, bytes.length - 2, StandardCharsets.UTF_16BE);
        } else {
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new ParseException("invalid utf-8 in Modelfile");
            }
            if (text.startsWith("\uFEFF")) text = text.substring(1);
        }
        return parse(text);
    }

    private enum State { NIL, NAME, VALUE, PARAMETER, MESSAGE, COMMENT }

    /** Parses Modelfile text. */
    public static Modelfile parse(String text) throws ParseException {
        List<Command> cmds = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        State curr = State.NIL;
        String cmdName = null;
        String role = "";
        int line = 1;
        int[] cps = text.codePoints().toArray();
        for (int r : cps) {
            if (isNewline(r)) line++;
            State next;
            switch (curr) {
                case NIL -> next = r == '#' ? State.COMMENT : (isSpace(r) || isNewline(r)) ? State.NIL : State.NAME;
                case NAME -> {
                    if (isAlpha(r)) next = State.NAME;
                    else if (isSpace(r)) next = State.VALUE;
                    else throw new ParseException("(line " + line + "): " + INVALID_COMMAND);
                }
                case VALUE -> next = isNewline(r) ? State.NIL : State.VALUE;
                case PARAMETER -> {
                    if (isAlpha(r) || isDigit(r) || r == '_') next = State.PARAMETER;
                    else if (isSpace(r)) next = State.VALUE;
                    else throw new ParseException("unexpected EOF: " + b);
                }
                case MESSAGE -> {
                    if (isAlpha(r)) next = State.MESSAGE;
                    else if (isSpace(r)) next = State.VALUE;
                    else throw new ParseException("unexpected EOF: " + b);
                }
                case COMMENT -> next = isNewline(r) ? State.NIL : State.COMMENT;
                default -> throw new AssertionError(curr);
            }
            // characters that only move the state along are not part of any token
            boolean keep = switch (curr) {
                case NIL -> next == State.NAME;
                case COMMENT -> false;
                case NAME, PARAMETER, MESSAGE -> next == curr;
                case VALUE -> true;
            };

            if (next != curr) {
                switch (curr) {
                    case NAME -> {
                        String s = b.toString().toLowerCase(Locale.ROOT);
                        if (!COMMANDS.contains(s)) throw new ParseException("(line " + line + "): " + INVALID_COMMAND);
                        switch (s) {
                            case "from" -> cmdName = "model";
                            case "parameter" -> next = State.PARAMETER;
                            case "message" -> { next = State.MESSAGE; cmdName = "message"; }
                            default -> cmdName = s;
                        }
                    }
                    case PARAMETER -> cmdName = b.toString();
                    case MESSAGE -> {
                        if (!ROLES.contains(b.toString())) throw new ParseException("(line " + line + "): " + INVALID_ROLE);
                        role = b.toString();
                    }
                    case VALUE -> {
                        String s = unquote(b.toString().strip());
                        if (s == null) {
                            // an open quote: the newline belongs to the value, which goes on
                            b.appendCodePoint(r);
                            continue;
                        }
                        if (!role.isEmpty()) {
                            s = role + ": " + s;
                            role = "";
                        }
                        cmds.add(new Command(cmdName, s));
                    }
                    default -> { }
                }
                b.setLength(0);
                curr = next;
                keep = next == State.NAME; // the first letter of a new name; nothing else carries over
            }
            if (keep && isPrint(r)) b.appendCodePoint(r);
        }
        switch (curr) {
            case NIL, COMMENT -> { }
            case VALUE -> {
                String s = unquote(b.toString().strip());
                if (s == null) throw new ParseException("unexpected EOF");
                if (!role.isEmpty()) s = role + ": " + s;
                cmds.add(new Command(cmdName, s));
            }
            default -> throw new ParseException("unexpected EOF");
        }
        for (Command c : cmds) if (c.name().equals("model")) return new Modelfile(cmds);
        throw new ParseException("no FROM line");
    }

    /** Removes {@code """..."""} or {@code "..."}; null when a quote is opened and not closed. */
    static String unquote(String s) {
        if (s.startsWith("\"\"\"")) {
            return s.length() >= 6 && s.endsWith("\"\"\"") ? s.substring(3, s.length() - 3) : null;
        }
        if (s.startsWith("\"")) {
            return s.length() >= 2 && s.endsWith("\"") ? s.substring(1, s.length() - 1) : null;
        }
        return s;
    }

    private static boolean isAlpha(int r) { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
    private static boolean isDigit(int r) { return r >= '0' && r <= '9'; }
    private static boolean isSpace(int r) { return r == ' ' || r == '\t'; }
    private static boolean isNewline(int r) { return r == '\r' || r == '\n'; }

    /** Go's strconv.IsPrint: graphic characters and the ASCII space (so tabs and other controls are dropped). */
    private static boolean isPrint(int r) {
        if (r == ' ') return true;
        if (Character.isISOControl(r) || Character.isWhitespace(r) || Character.isSpaceChar(r)) return false;
        int t = Character.getType(r);
        return t != Character.UNASSIGNED && t != Character.SURROGATE && t != Character.PRIVATE_USE && t != Character.FORMAT;
    }
}
