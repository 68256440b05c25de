package io.jollama.server.create;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.tensor.FileType;
import io.jollama.engine.tensor.GgufQuantizer;
import io.jollama.server.Json;
import io.jollama.server.Progress;
import io.jollama.server.store.Digest;
import io.jollama.server.store.Layer;
import io.jollama.server.store.Manifest;
import io.jollama.server.store.MediaTypes;
import io.jollama.server.store.ConfigBlob;
import io.jollama.server.store.ModelContents;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.ModelStore;
import io.jollama.server.store.StoreException;
import io.jollama.server.store.StoredMessage;
import io.jollama.server.store.StoredModel;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code POST /api/create}: builds a model from an existing one ({@code from}) or from uploaded GGUF blobs
 * ({@code files}), adds template/system/license/parameters/messages/adapter layers and writes the manifest
 * (spec §5.3). Nothing reaches the manifest directory unless every check passed; layers are written as blobs first
 * and pinned until the manifest referencing them is committed.
 */
public final class ModelCreator {

    private static final Pattern SPLIT = Pattern.compile("^(.*)-(\\d{5})-of-(\\d{5})\\.gguf$");

    private final ModelStore store;
    private final TemplateSupport templates;
    private final boolean prune;
    private final Puller puller;

    /** Fetches a {@code from} model that is not in the store (the registry's pull), reporting its progress. */
    @FunctionalInterface
    public interface Puller {
        void pull(ModelName name, Consumer<Progress> progress) throws IOException;
    }

    /**
     * @param templates template checking and GGUF chat-template detection
     * @param prune     remove the replaced manifest's unused blobs (false under {@code OLLAMA_NOPRUNE})
     * @param puller    pulls a missing {@code from} model, or null when there is no registry (then 400)
     */
    public ModelCreator(ModelStore store, TemplateSupport templates, boolean prune, Puller puller) {
        this.store = store;
        this.templates = templates;
        this.prune = prune;
        this.puller = puller;
    }

    public ModelCreator(ModelStore store, TemplateSupport templates, boolean prune) {
        this(store, templates, prune, null);
    }

    /**
     * Checks what Ollama checks before it starts streaming; throws {@link CreateException} on bad input.
     * @return the request with an older {@code modelfile} field folded into the ordinary fields
     */
    public CreateRequest validate(CreateRequest r) {
        ModelName name = ModelName.parse(r.targetName());
        if (!name.isValid()) throw new CreateException("invalid model name");
        if (r.modelfile() != null && !r.modelfile().isEmpty() && (r.from() == null || r.from().isEmpty())
                && (r.files() == null || r.files().isEmpty())) {
            r = fromModelfile(r);
        }
        checkFiles(r.files());
        checkParameters(r.parameters());
        checkFiles(r.draftFiles());
        checkFiles(r.adapters());
        if (r.draftQuantize() != null && !r.draftQuantize().isEmpty() && (r.draftFiles() == null || r.draftFiles().isEmpty())) {
            throw new CreateException("--draft-quantize requires a DRAFT model");
        }
        if (r.draftFiles() != null && !r.draftFiles().isEmpty()) {
            throw new CreateException("DRAFT models (speculative decoding) are not supported by this server");
        }
        return r;
    }

    /** Parameters are stored as JSON, which has no NaN or infinity (Go's decoder would not even read 1e999999). */
    private static void checkParameters(Map<String, Object> parameters) {
        if (parameters == null) return;
        for (var e : parameters.entrySet()) {
            if (e.getValue() instanceof Number n && !Double.isFinite(n.doubleValue())) {
                throw new CreateException("invalid float value [" + n + "] for parameter " + e.getKey());
            }
        }
    }

    private static void checkFiles(Map<String, String> files) {
        if (files == null) return;
        for (var e : files.entrySet()) {
            String k = e.getKey();
            if (k.indexOf('\0') >= 0) throw new CreateException("invalid file name " + Json.write(k));
            Path p;
            try {
                p = Path.of(k);
            } catch (java.nio.file.InvalidPathException bad) {
                throw new CreateException("invalid file name " + Json.write(k));
            }
            if (k.isEmpty() || p.isAbsolute() || k.startsWith("/") || !p.normalize().toString().equals(k) || k.startsWith("..")) {
                throw new CreateException("file path must be relative");
            }
            if (e.getValue() == null || !Digest.isValid(e.getValue())) throw new CreateException("invalid digest format");
        }
    }

    private CreateRequest fromModelfile(CreateRequest r) {
        Modelfile mf;
        try {
            mf = Modelfile.parse(r.modelfile());
        } catch (Modelfile.ParseException e) {
            throw new CreateException(e.getMessage());
        }
        ModelfileRequest.Fields f = ModelfileRequest.convert(mf);
        String from = f.from();
        Map<String, String> files = null;
        String blob = blobReference(from);
        if (blob != null) {
            files = Map.of("model.gguf", blob);
            from = null;
        }
        Map<String, String> adapters = null;
        if (!f.adapters().isEmpty()) {
            adapters = new LinkedHashMap<>();
            int i = 0;
            for (String a : f.adapters()) {
                String d = blobReference(a);
                if (d == null) throw new CreateException("adapter " + a + " is not a blob of this server; upload it with /api/blobs");
                adapters.put("adapter" + (i++ == 0 ? "" : i) + ".gguf", d);
            }
        }
        var mapper = Json.MAPPER;
        JsonNode license = f.licenses().isEmpty() ? r.license() : mapper.valueToTree(f.licenses());
        return new CreateRequest(r.model(), r.name(), from, files, adapters,
                or(r.template(), f.template()), or(r.system(), f.system()), license,
                f.parameters().isEmpty() ? r.parameters() : merge(f.parameters(), r.parameters()),
                f.messages().isEmpty() ? r.messages() : f.messages(),
                r.quantize(), r.quantization(), or(r.renderer(), f.renderer()), or(r.parser(), f.parser()),
                or(r.requires(), f.requires()), r.stream(), null, r.draftQuantize(), r.draftFiles());
    }

    /** {@code @sha256:<hex>} or a path to a blob of this store → its digest; null for model names. */
    private String blobReference(String s) {
        if (s == null) return null;
        if (s.startsWith("@") && Digest.isValid(s.substring(1))) return Digest.canonical(s.substring(1));
        try {
            Path p = Path.of(s);
            String f = p.getFileName() == null ? "" : p.getFileName().toString();
            if (p.isAbsolute() && Digest.isValid(f) && p.getParent() != null
                    && p.getParent().toAbsolutePath().normalize().equals(store.blobsDir().normalize())) {
                return Digest.canonical(f);
            }
        } catch (RuntimeException e) {
            return null;
        }
        return null;
    }

    private static String or(String a, String b) {
        return a != null && !a.isEmpty() ? a : b;
    }

    private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> m = new LinkedHashMap<>(base);
        if (over != null) m.putAll(over);
        return m;
    }

    /** A layer to be, with its content when it is a new small blob (written just before the manifest). */
    private record Pending(Layer layer, byte[] content) {}

    /**
     * Creates the model, reporting progress to {@code progress}. Throws {@link CreateException} (bad input) or
     * {@link StoreException} (I/O); nothing is committed then.
     */
    public StoredModel create(CreateRequest r, Consumer<Progress> progress) throws IOException {
        ModelName name = ModelName.parse(r.targetName());
        boolean hasFrom = r.from() != null && !r.from().isEmpty();
        boolean hasFiles = r.files() != null && !r.files().isEmpty();
        if (!hasFrom && !hasFiles) throw new CreateException("neither 'from' or 'files' was specified");
        List<String> licenses = licenses(r.license());

        List<String> toPin = new ArrayList<>();
        if (hasFiles) toPin.addAll(r.files().values());
        if (r.adapters() != null) toPin.addAll(r.adapters().values());
        try (ModelStore.Pin lease = store.pin(toPin)) {
            List<Pending> layers = new ArrayList<>();
            ConfigBlob config;
            Map<String, Object> params = new LinkedHashMap<>();
            String autodetected = null;

            if (hasFiles) {
                FromFiles ff = isSafetensors(r.files()) ? fromSafetensors(r.files(), r.quantizeType(), progress, lease)
                        : fromFiles(r.files(), progress);
                ff.layers.forEach(l -> layers.add(new Pending(l, null)));
                config = ff.config;
                if (ff.detected != null) {
                    autodetected = ff.detected.name();
                    layers.add(new Pending(new Layer(MediaTypes.TEMPLATE, Digest.of(bytes(ff.detected.template())),
                            bytes(ff.detected.template()).length), bytes(ff.detected.template())));
                    if (ff.detected.stop() != null && !ff.detected.stop().isEmpty()) {
                        params.put("stop", new ArrayList<>(ff.detected.stop()));
                    }
                    progress.accept(Progress.status("using autodetected template " + autodetected));
                }
            } else {
                ModelName base = ModelName.parse(r.from());
                if (!base.isValid()) throw new CreateException("invalid model name");
                // find and pin in one step, so a concurrent delete cannot take the base model's blobs in between
                Optional<StoredModel> found = lease.pinModel(base);
                if (found.isEmpty() && puller != null) {
                    puller.pull(base, progress);
                    found = lease.pinModel(base);
                }
                if (found.isEmpty()) {
                    throw new CreateException("model '" + base.displayShortest() + "' not found; pull it first");
                }
                ModelContents bc = ModelContents.load(store, found.get());
                config = bc.config();
                String parent = found.get().name().displayShortest();
                for (Layer l : found.get().manifest().layers()) {
                    if (l.mediaType().equals(MediaTypes.PARAMS)) continue; // merged with the request's below
                    layers.add(new Pending(l.withFrom(parent), null));
                }
                params.putAll(bc.params());
            }

            // checked before anything is written (quantization below writes a blob)
            if (r.template() != null && !r.template().isEmpty()) {
                try {
                    templates.validate(r.template());
                } catch (IllegalArgumentException e) {
                    throw new CreateException("template error: " + e.getMessage());
                }
            }

            // adapters
            if (r.adapters() != null && isSafetensors(r.adapters())) {
                Pending converted = convertAdapter(r.adapters(), layers, progress, lease);
                layers.removeIf(pl -> pl.layer().mediaType().equals(MediaTypes.ADAPTER));
                layers.add(converted);
            } else if (r.adapters() != null && !r.adapters().isEmpty()) {
                if (r.adapters().size() > 1) throw new CreateException("only one adapter is currently supported");
                for (var e : new TreeMap<>(r.adapters()).entrySet()) {
                    String d = Digest.canonical(e.getValue());
                    Path p = requireBlob(d);
                    if (!isGguf(p)) throw new CreateException("supplied file was not in GGUF format");
                    checkAdapter(layers, p);
                    layers.removeIf(pl -> pl.layer().mediaType().equals(MediaTypes.ADAPTER));
                    layers.add(new Pending(new Layer(MediaTypes.ADAPTER, d, Files.size(p), e.getKey(), null), null));
                }
            }

            // quantization of the model layer
            String q = r.quantizeType();
            if (!q.isEmpty()) config = quantize(q, config, layers, progress, lease);

            if (r.template() != null && !r.template().isEmpty()) {
                replace(layers, MediaTypes.TEMPLATE, textLayer(MediaTypes.TEMPLATE, r.template()));
                layers.removeIf(pl -> pl.layer().mediaType().equals(MediaTypes.PROMPT));
            }
            if (r.system() != null && !r.system().isEmpty()) replace(layers, MediaTypes.SYSTEM, textLayer(MediaTypes.SYSTEM, r.system()));
            for (String lic : licenses) layers.add(textLayer(MediaTypes.LICENSE, lic));

            if (r.parameters() != null) params.putAll(r.parameters());
            if (!params.isEmpty()) layers.add(jsonLayer(MediaTypes.PARAMS, new TreeMap<>(params)));
            if (r.messages() != null && !r.messages().isEmpty()) {
                List<StoredMessage> msgs = new ArrayList<>();
                for (StoredMessage m : r.messages()) {
                    String role = m.role() == null ? "" : m.role().toLowerCase(Locale.ROOT);
                    msgs.add(new StoredMessage(role, m.content() == null ? "" : m.content(), m.thinking(), m.images(),
                            m.toolCalls(), m.toolName(), m.toolCallId()));
                }
                replace(layers, MediaTypes.MESSAGES, jsonLayer(MediaTypes.MESSAGES, msgs));
            }

            config = config.withRendererParserRequires(or(r.renderer(), config.renderer()), or(r.parser(), config.parser()),
                    or(r.requires(), config.requires()));
            Pending configLayer = jsonLayer(MediaTypes.CONFIG, config);

            // statuses for all layers together, then write the new ones
            List<Layer> finalLayers = new ArrayList<>();
            List<Pending> all = new ArrayList<>(layers);
            all.add(configLayer);
            for (Pending p : all) {
                String d = p.layer().digest();
                lease.add(d);
                boolean exists = store.hasBlob(d);
                progress.accept(Progress.status((exists ? "using existing layer " : "creating new layer ") + d));
                if (!exists) {
                    if (p.content() == null) throw new StoreException("blob " + d + " is missing");
                    store.writeBlob(p.layer().mediaType(), p.content());
                }
                store.touch(d);
                if (p != configLayer) finalLayers.add(p.layer());
            }
            progress.accept(Progress.status("writing manifest"));
            StoredModel stored = store.commitManifest(name, Manifest.of(configLayer.layer(), finalLayers), prune);
            progress.accept(Progress.SUCCESS);
            return stored;
        }
    }

    /** A PEFT adapter directory converted to a GGUF adapter for the base model among {@code layers}, as Ollama does on create. */
    private Pending convertAdapter(Map<String, String> files, List<Pending> layers, Consumer<Progress> progress,
                                   ModelStore.Pin lease) throws IOException {
        List<Layer> models = layers.stream().map(Pending::layer).filter(l -> l.mediaType().equals(MediaTypes.MODEL)).toList();
        if (models.size() != 1) throw new CreateException(models.isEmpty() ? "an adapter needs a base model" : "adapters on split models are not supported");
        Map<String, Path> paths = new LinkedHashMap<>();
        for (var e : new TreeMap<>(files).entrySet()) paths.put(e.getKey(), requireBlob(Digest.canonical(e.getValue())));
        progress.accept(Progress.status("converting adapter"));
        Path tmp = io.jollama.server.store.TempFiles.create(store.blobsDir(), "tmp-convert-", ".gguf");
        try {
            new HfConverter(paths, store.blobsDir()).convertAdapter(GgufFile.readHeader(store.blobPath(models.getFirst().digest())), tmp);
            checkAdapter(layers, tmp);
            String d = lease.adoptBlob(tmp);
            return new Pending(new Layer(MediaTypes.ADAPTER, d, Files.size(store.blobPath(d)), null, null), null);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The adapter must fit the model it is created on, as llama.cpp checks it when it loads (architecture, names, shapes). */
    private void checkAdapter(List<Pending> layers, Path adapter) throws IOException {
        List<Layer> models = layers.stream().map(Pending::layer).filter(l -> l.mediaType().equals(MediaTypes.MODEL)).toList();
        if (models.isEmpty()) throw new CreateException("an adapter needs a base model");
        try {
            GgufFile a = GgufFile.readHeader(adapter);
            GgufFile base = models.size() == 1 ? GgufFile.readHeader(store.blobPath(models.getFirst().digest()))
                    : GgufFile.openSplit(models.stream().map(l -> store.blobPath(l.digest())).toList(), true);
            try {
                io.jollama.engine.lora.LoraMerge.pairs(base, a);
            } finally {
                if (models.size() > 1) base.close();
            }
        } catch (io.jollama.engine.gguf.GgufFormatException e) {
            throw new CreateException("invalid adapter: " + e.getMessage());
        }
    }

    private Path requireBlob(String digest) {
        if (!store.hasBlob(digest)) throw new CreateException("blob " + Digest.canonical(digest) + " not found; upload it with POST /api/blobs first");
        return store.blobPath(digest);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Pending textLayer(String mediaType, String text) {
        byte[] b = bytes(text);
        return new Pending(new Layer(mediaType, Digest.of(b), b.length), b);
    }

    private static Pending jsonLayer(String mediaType, Object value) {
        byte[] b = Json.writeLine(value);
        return new Pending(new Layer(mediaType, Digest.of(b), b.length), b);
    }

    private static void replace(List<Pending> layers, String mediaType, Pending p) {
        layers.removeIf(pl -> pl.layer().mediaType().equals(mediaType));
        layers.add(p);
    }

    private static List<String> licenses(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n == null || n.isNull() || n.isMissingNode()) return out;
        if (n.isString()) {
            if (!n.asString().isEmpty()) out.add(n.asString());
        } else if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isString()) throw new CreateException("license must be a string or an array of strings");
                out.add(e.asString());
            }
        } else {
            throw new CreateException("license must be a string or an array of strings");
        }
        return out;
    }

    private static boolean isGguf(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] m = in.readNBytes(4);
            return m.length == 4 && m[0] == 'G' && m[1] == 'G' && m[2] == 'U' && m[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ files

    private record FromFiles(List<Layer> layers, ConfigBlob config, TemplateSupport.Named detected) {}

    private record GgufPart(String file, String digest, Path path, GgufFile header) {}

    private FromFiles fromFiles(Map<String, String> files, Consumer<Progress> progress) throws IOException {
        List<GgufPart> models = new ArrayList<>(), projectors = new ArrayList<>(), adapters = new ArrayList<>();
        for (var e : new TreeMap<>(files).entrySet()) {
            String file = e.getKey();
            String d = Digest.canonical(e.getValue());
            Path p = requireBlob(d);
            String lower = file.toLowerCase(Locale.ROOT);
            if (lower.endsWith(".safetensors")) {
                throw new CreateException("safetensors import is not supported by this server; convert " + file + " to GGUF");
            }
            if (!lower.endsWith(".gguf") && !isGguf(p)) {
                if (lower.endsWith(".json") || lower.endsWith(".model") || lower.endsWith(".jinja")) continue; // safetensors companions
                throw new CreateException("unknown type");
            }
            if (!isGguf(p)) throw new CreateException("supplied file was not in GGUF format");
            progress.accept(Progress.status("parsing GGUF"));
            GgufFile h;
            try {
                h = GgufFile.readHeader(p);
            } catch (IOException e2) {
                throw new CreateException("supplied file was not in GGUF format: " + e2.getMessage());
            }
            String type = h.getString("general.type", "");
            String arch = h.getString("general.architecture", "");
            GgufPart part = new GgufPart(file, d, p, h);
            if (type.equals("adapter")) adapters.add(part);
            else if (type.equals("mmproj") || type.equals("projector") || arch.equals("clip")) projectors.add(part);
            else models.add(part);
        }
        if (models.isEmpty()) throw new CreateException("no model file among the files: need a GGUF model");
        checkSplits(models);

        List<Layer> layers = new ArrayList<>();
        for (GgufPart m : models) layers.add(new Layer(MediaTypes.MODEL, m.digest, Files.size(m.path), m.file, null));
        for (GgufPart m : projectors) layers.add(new Layer(MediaTypes.PROJECTOR, m.digest, Files.size(m.path), m.file, null));
        for (GgufPart m : adapters) layers.add(new Layer(MediaTypes.ADAPTER, m.digest, Files.size(m.path), m.file, null));

        GgufFile primary = models.getFirst().header;
        LinkedHashSet<String> families = new LinkedHashSet<>();
        for (GgufPart m : models) families.add(GgufFacts.architecture(m.header));
        long params = models.size() == 1 ? GgufFacts.parameterCount(primary) : splitParameterCount(models);
        ConfigBlob config = ConfigBlob.gguf(GgufFacts.architecture(primary), new ArrayList<>(families),
                GgufFacts.humanNumber(params), GgufFacts.fileTypeName(primary));

        TemplateSupport.Named detected = null;
        String jinja = primary.getString("tokenizer.chat_template", "");
        if (!jinja.isEmpty()) detected = templates.detect(jinja).orElse(null);
        return new FromFiles(layers, config, detected);
    }

    private static boolean isSafetensors(Map<String, String> files) {
        return files.keySet().stream().anyMatch(f -> f.toLowerCase(Locale.ROOT).endsWith(".safetensors"));
    }

    /**
     * A Hugging Face directory (safetensors shards with config.json and the tokenizer files) converted to one GGUF
     * blob, as Ollama does on create. A float {@code quantize} (f32, f16, bf16) is the conversion's output type;
     * otherwise the conversion writes llama.cpp's "auto" type and the quantization step below quantizes it.
     */
    private FromFiles fromSafetensors(Map<String, String> files, String quantize, Consumer<Progress> progress,
                                      ModelStore.Pin lease) throws IOException {
        Map<String, Path> paths = new LinkedHashMap<>();
        for (var e : new TreeMap<>(files).entrySet()) paths.put(e.getKey(), requireBlob(Digest.canonical(e.getValue())));
        io.jollama.engine.gguf.GgmlType outType = switch (quantize.toUpperCase(Locale.ROOT)) {
            case "F32" -> io.jollama.engine.gguf.GgmlType.F32;
            case "F16" -> io.jollama.engine.gguf.GgmlType.F16;
            case "BF16" -> io.jollama.engine.gguf.GgmlType.BF16;
            default -> null;
        };
        progress.accept(Progress.status("converting model"));
        Path tmp = io.jollama.server.store.TempFiles.create(store.blobsDir(), "tmp-convert-", ".gguf");
        try {
            HfConverter converter = new HfConverter(paths, store.blobsDir());
            converter.convert(tmp, outType);
            GgufFile header;
            try {
                header = GgufFile.readHeader(tmp);
            } catch (IOException e) {
                throw new StoreException("the converted model cannot be read back: " + e.getMessage());
            }
            String arch0 = converter.architecture();
            int blocks = header.getInt(arch0 + ".block_count", 0);
            for (String t : new String[]{"token_embd.weight", "blk.0.attn_norm.weight", "blk." + (blocks - 1) + ".attn_norm.weight"}) {
                if (!header.hasTensor(t)) throw new CreateException("the safetensors files have no tensor for " + t + "; the model is incomplete");
            }
            String d = lease.adoptBlob(tmp);
            Layer layer = new Layer(MediaTypes.MODEL, d, Files.size(store.blobPath(d)), null, null);
            String arch = GgufFacts.architecture(header);
            ConfigBlob config = ConfigBlob.gguf(arch, new ArrayList<>(List.of(arch)),
                    GgufFacts.humanNumber(GgufFacts.parameterCount(header)), GgufFacts.fileTypeName(header));
            TemplateSupport.Named detected = null;
            String jinja = header.getString("tokenizer.chat_template", "");
            if (!jinja.isEmpty()) detected = templates.detect(jinja).orElse(null);
            return new FromFiles(List.of(layer), config, detected);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static long splitParameterCount(List<GgufPart> parts) {
        GgufFile first = parts.getFirst().header;
        if (first.has("general.parameter_count")) return GgufFacts.parameterCount(first);
        long n = 0;
        for (GgufPart p : parts) for (var t : p.header.tensors()) n += t.elementCount();
        return n;
    }

    /** Split GGUFs ({@code prefix-00001-of-0000N.gguf}) must be complete and in order; the first part comes first. */
    private static void checkSplits(List<GgufPart> models) {
        if (models.size() == 1) return;
        String prefix = null;
        int count = -1;
        for (GgufPart m : models) {
            Matcher mm = SPLIT.matcher(m.file);
            int splitCount = m.header.getInt("split.count", 0);
            if (!mm.matches() || splitCount <= 1) {
                throw new CreateException("more than one model file given (" + m.file + "), and they are not parts of one split GGUF");
            }
            if (prefix == null) {
                prefix = mm.group(1);
                count = Integer.parseInt(mm.group(3));
            } else if (!prefix.equals(mm.group(1)) || count != Integer.parseInt(mm.group(3))) {
                throw new CreateException("model files belong to different split GGUFs: " + m.file);
            }
            if (splitCount != count || m.header.getInt("split.no", -1) != Integer.parseInt(mm.group(2)) - 1) {
                throw new CreateException("split metadata of " + m.file + " does not match its file name");
            }
        }
        if (models.size() != count) {
            throw new CreateException("split GGUF " + prefix + " is incomplete: " + models.size() + " of " + count + " parts given");
        }
    }

    // ------------------------------------------------------------------ quantization

    /** Quantizes the model layer with the engine's quantizer (llama-quantize's rules); a no-op for the same type. */
    private ConfigBlob quantize(String requested, ConfigBlob config, List<Pending> layers, Consumer<Progress> progress,
                                 ModelStore.Pin lease) throws IOException {
        FileType target;
        try {
            target = FileType.parse(requested);
        } catch (IllegalArgumentException e) {
            throw new CreateException(e.getMessage());
        }
        int idx = -1;
        for (int i = 0; i < layers.size(); i++) if (layers.get(i).layer().mediaType().equals(MediaTypes.MODEL)) { idx = i; break; }
        if (idx < 0) throw new CreateException("no model layer to quantize");
        if (layers.stream().filter(p -> p.layer().mediaType().equals(MediaTypes.MODEL)).count() > 1) {
            throw new CreateException("quantizing split GGUF models is not supported");
        }
        Layer model = layers.get(idx).layer();
        Path in = store.blobPath(model.digest());
        String source = GgufFacts.inferredFileTypeName(GgufFile.readHeader(in));
        if (source.equals(target.displayName)) return config;
        if (!List.of("F16", "BF16", "F32").contains(source)) throw new CreateException(GgufQuantizer.ONLY_FLOAT_SOURCES);
        String status = "quantizing " + source + " model to " + target.displayName;
        Path tmp = io.jollama.server.store.TempFiles.create(store.blobsDir(), "tmp-quant-", ".part");
        try {
            progress.accept(new Progress(status, "0000000000000000000", model.size(), 0));
            try {
                GgufQuantizer.quantize(in, tmp, target, p -> progress.accept(new Progress(status, "0000000000000000000",
                        p.bytesTotal(), p.bytesDone())));
            } catch (IllegalArgumentException e) {
                throw new CreateException(e.getMessage());
            }
            progress.accept(Progress.status("verifying conversion"));
            GgufFile.readHeader(tmp);
            String d = lease.adoptBlob(tmp);
            layers.set(idx, new Pending(new Layer(MediaTypes.MODEL, d, Files.size(store.blobPath(d)), model.from(), model.name()), null));
            return config.withFileType(target.displayName);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
