package io.jollama.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.javalin.http.Context;
import io.jollama.engine.gguf.GgufFile;
import io.jollama.server.Json;
import io.jollama.server.create.GgufFacts;
import io.jollama.server.create.Modelfile;
import io.jollama.server.store.ModelContents;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.Manifests;
import io.jollama.server.store.ModelStore;
import io.jollama.server.store.StoreException;
import io.jollama.server.store.StoredModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code /api/tags}, {@code /api/show}, {@code /api/copy}, {@code /api/delete}. */
public final class ModelApi {

    private static final Logger log = LoggerFactory.getLogger(ModelApi.class);

    private final ModelStore store;
    private final ModelViews views;
    private final boolean prune;

    /** @param prune remove blobs a copy leaves unreferenced (false under {@code OLLAMA_NOPRUNE}) */
    public ModelApi(ModelStore store, ModelViews views, boolean prune) {
        this.store = store;
        this.views = views;
        this.prune = prune;
    }

    // ------------------------------------------------------------------ tags

    @JsonPropertyOrder({"name", "model", "remote_model", "remote_host", "modified_at", "size", "digest", "details", "capabilities"})
    public record ListModel(
            @JsonProperty("name") String name,
            @JsonProperty("model") String model,
            @JsonProperty("remote_model") @JsonInclude(JsonInclude.Include.NON_EMPTY) String remoteModel,
            @JsonProperty("remote_host") @JsonInclude(JsonInclude.Include.NON_EMPTY) String remoteHost,
            @JsonProperty("modified_at") String modifiedAt,
            @JsonProperty("size") long size,
            @JsonProperty("digest") String digest,
            @JsonProperty("details") ModelViews.Details details,
            @JsonProperty("capabilities") @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> capabilities) {
    }

    public record ListResponse(@JsonProperty("models") List<ListModel> models) {}

    public void tags(Context ctx) {
        Http.json(ctx, new ListResponse(listModels()));
    }

    /** The installed models as {@code /api/tags} lists them. */
    public List<ListModel> listModels() {
        List<ListModel> models = new ArrayList<>();
        for (Manifests.Entry e : store.list()) {
            if (e.model() == null) {
                log.warn("skipping model {}: {}", e.name().displayShortest(), e.error());
                continue;
            }
            StoredModel sm = e.model();
            String display = sm.name().displayShortest();
            ModelViews.Details details = null;
            List<String> caps = List.of();
            String remoteModel = null, remoteHost = null;
            try {
                ModelContents c = ModelContents.load(store, sm);
                details = views.details(c, "");
                caps = views.capabilities(c);
                remoteModel = c.config().remoteModel();
                remoteHost = c.config().remoteHost();
            } catch (StoreException ex) {
                log.warn("model {} is incomplete: {}", display, ex.getMessage());
                details = new ModelViews.Details("", "", "", null, "", "", 0, 0);
            }
            models.add(new ListModel(display, display, remoteModel, remoteHost, Http.timestamp(sm.modified()),
                    sm.manifest().totalSize(), sm.digest(), details, caps));
        }
        return models;
    }

    // ------------------------------------------------------------------ show

    public record ShowRequest(String model, String name, Boolean verbose, String system, Map<String, Object> options) {
        static final ShowRequest EMPTY = new ShowRequest(null, null, null, null, null);
    }

    /** A message as show lists it: role and content only. */
    public record ShowMessage(@JsonProperty("role") String role, @JsonProperty("content") String content) {}

    /**
     * {@code api.ShowResponse} in Go field order; the flat fields after {@code requires} are only filled for the older
     * {@code GET /api/show?name=} form.
     */
    @JsonPropertyOrder({"license", "modelfile", "parameters", "template", "system", "renderer", "parser", "details",
            "messages", "remote_model", "remote_host", "model_info", "projector_info", "tensors", "capabilities",
            "modified_at", "requires", "name", "size", "digest", "format", "family", "parameter_size",
            "quantization_level", "model_file"})
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record ShowResponse(
            @JsonProperty("license") String license,
            @JsonProperty("modelfile") String modelfile,
            @JsonProperty("parameters") String parameters,
            @JsonProperty("template") String template,
            @JsonProperty("system") String system,
            @JsonProperty("renderer") String renderer,
            @JsonProperty("parser") String parser,
            @JsonProperty("details") ModelViews.Details details,
            @JsonProperty("messages") List<ShowMessage> messages,
            @JsonProperty("remote_model") String remoteModel,
            @JsonProperty("remote_host") String remoteHost,
            @JsonProperty("model_info") @JsonInclude(JsonInclude.Include.ALWAYS) Map<String, Object> modelInfo,
            @JsonProperty("projector_info") Map<String, Object> projectorInfo,
            @JsonProperty("tensors") List<GgufFacts.TensorView> tensors,
            @JsonProperty("capabilities") List<String> capabilities,
            @JsonProperty("modified_at") String modifiedAt,
            @JsonProperty("requires") String requires,
            @JsonProperty("name") String name,
            @JsonProperty("size") @JsonInclude(JsonInclude.Include.NON_NULL) Long size,
            @JsonProperty("digest") String digest,
            @JsonProperty("format") @JsonInclude(JsonInclude.Include.NON_NULL) String format,
            @JsonProperty("family") @JsonInclude(JsonInclude.Include.NON_NULL) String family,
            @JsonProperty("parameter_size") @JsonInclude(JsonInclude.Include.NON_NULL) String parameterSize,
            @JsonProperty("quantization_level") @JsonInclude(JsonInclude.Include.NON_NULL) String quantizationLevel,
            @JsonProperty("model_file") @JsonInclude(JsonInclude.Include.NON_NULL) String modelFile) {

        ShowResponse withLegacyFields(StoredModel sm, String modelPath) {
            return new ShowResponse(license, modelfile, parameters, template, system, renderer, parser, details, messages,
                    remoteModel, remoteHost, modelInfo, projectorInfo, tensors, capabilities, modifiedAt, requires,
                    sm.name().displayShortest(), sm.manifest().totalSize(), sm.digest(), details.format(), details.family(),
                    details.parameterSize(), details.quantizationLevel(), modelPath);
        }
    }

    public void show(Context ctx) {
        ShowRequest r = Http.decode(ctx, ShowRequest.class, ShowRequest.EMPTY);
        String raw = Http.either(r.model(), r.name());
        if (raw.isEmpty()) throw ApiException.badRequest("model is required");
        Http.json(ctx, showResponse(lookup(raw), raw, Boolean.TRUE.equals(r.verbose()), r.system(), r.options(), ctx.userAgent()).response());
    }

    /** {@code GET /api/show?name=...}: older clients; the show object plus flat fields. Without a name: 405 as Ollama. */
    public void showGet(Context ctx) {
        String raw = ctx.queryParam("name");
        if (raw == null || raw.isEmpty()) raw = ctx.queryParam("model");
        if (raw == null || raw.isEmpty()) {
            ctx.status(405).contentType("text/plain").result("405 method not allowed");
            return;
        }
        boolean verbose = Boolean.parseBoolean(ctx.queryParam("verbose"));
        StoredModel sm = lookup(raw);
        Shown shown = showResponse(sm, raw, verbose, null, null, ctx.userAgent());
        String path = shown.contents().modelPath() == null ? "" : shown.contents().modelPath().toString();
        Http.json(ctx, shown.response().withLegacyFields(sm, path));
    }

    private StoredModel lookup(String raw) {
        ModelName name = ModelName.parse(raw);
        if (!name.isValid()) throw ApiException.badRequest("invalid model name");
        Optional<StoredModel> found = store.find(name);
        if (found.isEmpty()) throw ApiException.notFound("model '" + name.displayShortest() + "' not found");
        return found.get();
    }

    private record Shown(ShowResponse response, ModelContents contents) {}

    private Shown showResponse(StoredModel sm, String raw, boolean verbose, String systemOverride, Map<String, Object> options, String userAgent) {
        ModelContents m = ModelContents.load(store, sm);
        GgufFile h = views.requireHeader(m);

        Map<String, Object> params = new LinkedHashMap<>(m.params());
        if (options != null) params.putAll(options);
        String system = systemOverride != null && !systemOverride.isEmpty() ? systemOverride : m.system();
        String template = m.template() == null ? DEFAULT_TEMPLATE : m.template();
        String modelfile = "# Modelfile generated by \"ollama show\"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM "
                + sm.name().displayShortest() + "\n\n" + reconstruct(m, template, system, params);
        List<ShowMessage> msgs = m.messages().stream().map(x -> new ShowMessage(x.role(), x.content())).toList();
        Map<String, Object> info = h == null ? new LinkedHashMap<>() : GgufFacts.modelInfo(h, verbose);
        if (userAgent != null && userAgent.startsWith("GitHubCopilotChat/")) info.put("general.basename", raw);
        Map<String, Object> projector = null;
        if (!m.projectorPaths().isEmpty()) {
            GgufFile ph = views.header(m.projectorPaths().getFirst());
            if (ph != null) projector = GgufFacts.modelInfo(ph, verbose);
        }
        ShowResponse resp = new ShowResponse(
                m.licenses().isEmpty() ? null : String.join("\n", m.licenses()),
                modelfile, parameterLines(params), template, system, m.config().renderer(), m.config().parser(),
                views.details(m, m.parentModel()), msgs, m.config().remoteModel(), m.config().remoteHost(), info, projector,
                h == null ? null : GgufFacts.tensors(h), views.capabilities(m), Http.timestamp(sm.modified()),
                m.config().requires(), null, null, null, null, null, null, null, null);
        return new Shown(resp, m);
    }

    /** Ollama's default template when a model has none. */
    public static final String DEFAULT_TEMPLATE = "{{ .Prompt }}";

    /** The Modelfile of a stored model (§5.4): blob paths for FROM/ADAPTER, then template, system, params, licenses, messages. */
    static String reconstruct(ModelContents m, String template, String system, Map<String, Object> params) {
        List<Modelfile.Command> cmds = new ArrayList<>();
        cmds.add(new Modelfile.Command("model", m.modelPath() == null ? m.stored().name().displayShortest() : m.modelPath().toString()));
        m.adapterPaths().forEach(a -> cmds.add(new Modelfile.Command("adapter", a.toString())));
        m.projectorPaths().forEach(p -> cmds.add(new Modelfile.Command("model", p.toString())));
        if (template != null) cmds.add(new Modelfile.Command("template", template));
        if (system != null && !system.isEmpty()) cmds.add(new Modelfile.Command("system", system));
        if (m.config().renderer() != null && !m.config().renderer().isEmpty()) cmds.add(new Modelfile.Command("renderer", m.config().renderer()));
        if (m.config().parser() != null && !m.config().parser().isEmpty()) cmds.add(new Modelfile.Command("parser", m.config().parser()));
        params.forEach((k, v) -> {
            if (v instanceof List<?> l) l.forEach(e -> cmds.add(new Modelfile.Command(k, plain(e))));
            else cmds.add(new Modelfile.Command(k, plain(v)));
        });
        m.licenses().forEach(l -> cmds.add(new Modelfile.Command("license", l)));
        for (var msg : m.messages()) {
            cmds.add(new Modelfile.Command("message", msg.role() + ": " + (msg.content() == null ? "" : msg.content())));
        }
        return new Modelfile(cmds).toString();
    }

    /** Go's {@code %v}. */
    private static String plain(Object v) {
        if (v instanceof Double d) return Json.goFloat(d, false);
        if (v instanceof Float f) return Json.goFloat(f, true);
        return String.valueOf(v);
    }

    /** Go's {@code %#v}: strings quoted, numbers bare. */
    private static String goSyntax(Object v) {
        if (v instanceof String s) return Json.write(s).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&");
        return plain(v);
    }

    /** One line per value, key left-justified in 30 columns, arrays one line per element. */
    static String parameterLines(Map<String, Object> params) {
        List<String> lines = new ArrayList<>();
        params.forEach((k, v) -> {
            if (v instanceof List<?> l) l.forEach(e -> lines.add(String.format("%-30s %s", k, goSyntax(e))));
            else lines.add(String.format("%-30s %s", k, goSyntax(v)));
        });
        return String.join("\n", lines);
    }

    // ------------------------------------------------------------------ copy / delete

    public record CopyRequest(String source, String destination) {
        static final CopyRequest EMPTY = new CopyRequest(null, null);
    }

    public void copy(Context ctx) {
        CopyRequest r = Http.decode(ctx, CopyRequest.class, CopyRequest.EMPTY);
        String s = r.source() == null ? "" : r.source(), d = r.destination() == null ? "" : r.destination();
        ModelName src = ModelName.parse(s);
        if (!src.isValid()) throw ApiException.badRequest("source " + goQuote(s) + " is invalid");
        ModelName dst = ModelName.parse(d);
        if (!dst.isValid()) throw ApiException.badRequest("destination " + goQuote(d) + " is invalid");
        if (!store.copy(src, dst, prune)) throw ApiException.notFound("model " + goQuote(s) + " not found");
        ctx.status(200);
    }

    public record DeleteRequest(String model, String name) {
        static final DeleteRequest EMPTY = new DeleteRequest(null, null);
    }

    public void delete(Context ctx) {
        DeleteRequest r = Http.decode(ctx, DeleteRequest.class, DeleteRequest.EMPTY);
        String raw = Http.either(r.model(), r.name());
        if (raw.isEmpty()) throw ApiException.badRequest("model is required");
        ModelName n = ModelName.parse(cloudToLegacyTag(raw));
        if (!n.isValid()) throw ApiException.badRequest("name " + goQuote(raw) + " is invalid");
        if (!store.delete(n)) throw ApiException.notFound("model '" + raw + "' not found");
        ctx.status(200);
    }

    /** {@code m:t:cloud} → {@code m:t-cloud} (the tag under which Ollama stores cloud stubs); other names unchanged. */
    static String cloudToLegacyTag(String raw) {
        String s = raw.strip();
        int c = s.lastIndexOf(':');
        if (c > 0 && s.substring(c + 1).equalsIgnoreCase("cloud")) {
            String base = s.substring(0, c);
            int c2 = base.lastIndexOf(':');
            if (c2 > base.lastIndexOf('/')) return base + "-cloud";
        }
        return s;
    }

    /** Go's {@code %q} for ordinary strings. */
    static String goQuote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(ch);
            }
        }
        return b.append('"').toString();
    }
}
