package io.jollama.server.store;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A model name as Ollama parses it: {@code [scheme://][[host/]namespace/]model[:tag]}.
 * <p>
 * {@link #parse(String)} fills the defaults ({@code registry.ollama.ai}, {@code library}, {@code latest});
 * {@link #parseBare(String)} does not. Case is preserved in every part. A separator with nothing beside it
 * ({@code mm:}, {@code /nn/mm}) yields the part {@link #MISSING}, which is never valid.
 */
public record ModelName(String scheme, String host, String namespace, String model, String tag) {

    public static final String DEFAULT_HOST = "registry.ollama.ai";
    public static final String DEFAULT_NAMESPACE = "library";
    public static final String DEFAULT_TAG = "latest";
    public static final String DEFAULT_SCHEME = "https";
    /** Marks a part that a separator promised but that was empty; invalid. */
    public static final String MISSING = "!MISSING!";

    private enum Kind { HOST, NAMESPACE, MODEL, TAG }

    /** Parses a name without filling defaults: missing parts stay empty strings. */
    public static ModelName parseBare(String s) {
        String scheme = "", host = "", namespace = "", tag = "";
        String rest = s;
        if (rest.lastIndexOf(':') > rest.lastIndexOf('/')) {
            String[] c = cutPromised(rest, ":");
            rest = c[0];
            tag = c[1];
        }
        String[] c = cutPromised(rest, "/");
        if (c == null) return new ModelName(scheme, host, namespace, rest, tag);
        String model = c[1];
        rest = c[0];
        c = cutPromised(rest, "/");
        if (c == null) return new ModelName(scheme, host, rest, model, tag);
        namespace = c[1];
        rest = c[0];
        int sep = rest.indexOf("://");
        if (sep >= 0) {
            scheme = rest.substring(0, sep);
            host = rest.substring(sep + 3);
        } else {
            host = rest;
        }
        return new ModelName(scheme, host, namespace, model, tag);
    }

    /** Parses a name and fills empty parts with the defaults. The result may still be invalid: check {@link #isValid()}. */
    public static ModelName parse(String s) {
        ModelName n = parseBare(s == null ? "" : s);
        return new ModelName(
                n.scheme.isEmpty() ? DEFAULT_SCHEME : n.scheme,
                n.host.isEmpty() ? DEFAULT_HOST : n.host,
                n.namespace.isEmpty() ? DEFAULT_NAMESPACE : n.namespace,
                n.model,
                n.tag.isEmpty() ? DEFAULT_TAG : n.tag);
    }

    /** Cuts at the last {@code sep}; null when absent; an empty side becomes {@link #MISSING}. */
    private static String[] cutPromised(String s, String sep) {
        int i = s.lastIndexOf(sep);
        if (i < 0) return null;
        String before = s.substring(0, i), after = s.substring(i + sep.length());
        return new String[]{before.isEmpty() ? MISSING : before, after.isEmpty() ? MISSING : after};
    }

    /** True when host, namespace, model and tag are all present and well-formed. */
    public boolean isValid() {
        return isValidPart(Kind.HOST, host) && isValidPart(Kind.NAMESPACE, namespace)
                && isValidPart(Kind.MODEL, model) && isValidPart(Kind.TAG, tag);
    }

    public static boolean isValidHost(String s) { return isValidPart(Kind.HOST, s); }
    public static boolean isValidNamespace(String s) { return isValidPart(Kind.NAMESPACE, s); }
    public static boolean isValidModel(String s) { return isValidPart(Kind.MODEL, s); }
    public static boolean isValidTag(String s) { return isValidPart(Kind.TAG, s); }

    private static boolean isValidPart(Kind kind, String s) {
        int max = kind == Kind.HOST ? 350 : 80;
        if (s == null || s.isEmpty() || s.length() > max) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            if (alnum) continue;
            if (i == 0) return false;
            boolean ok = switch (c) {
                case '-' -> true;
                case '.' -> kind != Kind.NAMESPACE;
                case ':' -> kind == Kind.HOST;
                default -> false;
            };
            if (!ok) return false;
        }
        return true;
    }

    /** {@code host/namespace/model:tag}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        if (!host.isEmpty()) b.append(host).append('/');
        if (!namespace.isEmpty()) b.append(namespace).append('/');
        b.append(model);
        if (!tag.isEmpty()) b.append(':').append(tag);
        return b.toString();
    }

    /** The shortest display form: default host and namespace dropped, tag always shown. */
    public String displayShortest() {
        StringBuilder b = new StringBuilder();
        if (!host.equalsIgnoreCase(DEFAULT_HOST)) {
            b.append(host).append('/').append(namespace).append('/');
        } else if (!namespace.equalsIgnoreCase(DEFAULT_NAMESPACE)) {
            b.append(namespace).append('/');
        }
        return b.append(model).append(':').append(tag).toString();
    }

    /** The manifest path relative to {@code manifests/}: {@code host/namespace/model/tag}. Only for valid names. */
    public Path filepath() {
        if (!isValid()) throw new IllegalStateException("invalid name: " + this);
        return Path.of(host, namespace, model, tag);
    }

    /** Whether two names denote the same model ignoring case (Ollama's lookup rule). */
    public boolean equalsIgnoreCase(ModelName o) {
        return host.equalsIgnoreCase(o.host) && namespace.equalsIgnoreCase(o.namespace)
                && model.equalsIgnoreCase(o.model) && tag.equalsIgnoreCase(o.tag);
    }
}
