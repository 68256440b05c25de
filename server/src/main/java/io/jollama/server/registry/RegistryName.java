package io.jollama.server.registry;

import java.net.URI;

/**
 * The parts of a model name the registry protocol needs: where the registry is ({@code host}, possibly with
 * {@code :port}), the repository ({@code namespace/model}) and the tag. {@code scheme} is the one typed in the
 * name, or empty; only {@code http} matters (it needs {@code insecure}).
 */
public record RegistryName(String scheme, String host, String namespace, String model, String tag) {

    public static final String DEFAULT_HOST = "registry.ollama.ai";

    public RegistryName {
        scheme = scheme == null ? "" : scheme;
        for (String part : new String[] {host, namespace, model, tag}) {
            if (part == null || part.isEmpty()) throw new IllegalArgumentException("invalid model name");
        }
    }

    public static RegistryName of(String host, String namespace, String model, String tag) {
        return new RegistryName("", host, namespace, model, tag);
    }

    /** {@code namespace/model}, the repository path of the registry API. */
    public String repository() {
        return namespace + "/" + model;
    }

    /** {@code <scheme>://<host>}: https unless {@code insecure}, which forces plain http for every request. */
    public URI baseUri(boolean insecure) {
        return URI.create((insecure ? "http" : "https") + "://" + host);
    }

    /** {@code <base>/v2/<namespace>/<model>/<kind>/<reference>}. */
    URI apiUri(boolean insecure, String kind, String reference) {
        return URI.create(baseUri(insecure) + "/v2/" + repository() + "/" + kind + "/" + reference);
    }

    /** Ollama's display form: defaults left out, the tag always shown. */
    public String displayShortest() {
        if (!host.equalsIgnoreCase(DEFAULT_HOST)) return host + "/" + namespace + "/" + model + ":" + tag;
        if (!namespace.equalsIgnoreCase("library")) return namespace + "/" + model + ":" + tag;
        return model + ":" + tag;
    }

    @Override
    public String toString() {
        return host + "/" + namespace + "/" + model + ":" + tag;
    }
}
