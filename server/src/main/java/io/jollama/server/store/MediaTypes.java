package io.jollama.server.store;

/** The media types of Ollama manifests and their layers. */
public final class MediaTypes {
    private MediaTypes() {}

    public static final String MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String MODEL = "application/vnd.ollama.image.model";
    public static final String PROJECTOR = "application/vnd.ollama.image.projector";
    public static final String ADAPTER = "application/vnd.ollama.image.adapter";
    public static final String TEMPLATE = "application/vnd.ollama.image.template";
    /** Legacy template layer, read like {@link #TEMPLATE}. */
    public static final String PROMPT = "application/vnd.ollama.image.prompt";
    public static final String SYSTEM = "application/vnd.ollama.image.system";
    public static final String PARAMS = "application/vnd.ollama.image.params";
    public static final String MESSAGES = "application/vnd.ollama.image.messages";
    public static final String LICENSE = "application/vnd.ollama.image.license";
    public static final String EMBED = "application/vnd.ollama.image.embed";
    public static final String DRAFT = "application/vnd.ollama.image.draft";
    public static final String TENSOR = "application/vnd.ollama.image.tensor";
    public static final String JSON = "application/vnd.ollama.image.json";
}
