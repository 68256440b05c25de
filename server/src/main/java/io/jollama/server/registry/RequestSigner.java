package io.jollama.server.registry;

import java.net.URI;

/** Produces the {@code Authorization} value Ollama sends to a token endpoint ({@code <pubkey>:<signature>}). */
@FunctionalInterface
public interface RequestSigner {

    /** Returns the header value for a GET of {@code url}, or null to send the token request unsigned. */
    String authorization(String method, URI url);

    RequestSigner NONE = (method, url) -> null;
}
