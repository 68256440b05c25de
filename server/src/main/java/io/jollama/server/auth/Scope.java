package io.jollama.server.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** What an API key may do; each route needs exactly one scope ({@link RouteScopes}). */
public enum Scope {
    /** generate, chat, embed, tokenize, {@code /v1/*} */
    INFERENCE,
    /** tags, show, ps, version, the catalog's documents and search, queue and health reads */
    READ,
    /** pull, the download queue's changes, Hugging Face import, catalog refresh */
    PULL,
    /** create, copy, delete, push, blobs */
    MANAGE;

    /** The name in the key file, the CLI and error messages. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Scope parse(String s) {
        for (Scope v : values()) if (v.wire().equals(s.strip().toLowerCase(Locale.ROOT))) return v;
        throw new IllegalArgumentException("unknown scope \"" + s.strip() + "\" (scopes: inference, read, pull, manage)");
    }

    /** A comma-separated list ({@code inference,read}); at least one. */
    public static Set<Scope> parseList(String list) {
        EnumSet<Scope> out = EnumSet.noneOf(Scope.class);
        for (String s : list.split(",")) if (!s.isBlank()) out.add(parse(s));
        if (out.isEmpty()) throw new IllegalArgumentException("at least one scope is needed (inference, read, pull, manage)");
        return out;
    }
}
