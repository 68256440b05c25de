package io.jollama.server.queue;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.javalin.http.Context;
import io.jollama.server.Json;
import io.jollama.server.api.Http;
import io.jollama.server.api.ModelApi;
import io.jollama.server.api.ModelViews;
import io.jollama.server.hf.GgufChoice;
import io.jollama.server.hf.HfException;
import io.jollama.server.hf.HfImporter;
import io.jollama.server.api.RegistryApi;
import io.jollama.server.sched.Scheduler;
import io.jollama.server.store.ModelName;
import io.jollama.server.store.ModelStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * ohhhllama's extensions, in-process (QUEUE-HF-GALLERY.md §2.3 with Jollama's corrections): queued pulls,
 * {@code GET/DELETE /api/queue}, {@code POST /api/queue/run}, {@code POST /api/hf/queue}, {@code GET /api/health},
 * {@code [QUEUED]} entries in {@code /api/tags} and their removal through {@code /api/delete}. Errors of the
 * extension endpoints are {@code {"error": short, "message": detail}}.
 */
public final class QueueApi {

    private static final Logger log = LoggerFactory.getLogger(QueueApi.class);

    private final DownloadQueue queue;
    private final ModelStore store;
    private final ModelApi models;
    private final RegistryApi registry;
    private final Scheduler scheduler;

    public QueueApi(DownloadQueue queue, ModelStore store, ModelApi models, RegistryApi registry, Scheduler scheduler) {
        this.queue = queue;
        this.store = store;
        this.models = models;
        this.registry = registry;
        this.scheduler = scheduler;
    }

    /** An extension endpoint's error. */
    public static final class ExtensionError extends RuntimeException {
        final int status;
        final Map<String, Object> body;

        ExtensionError(int status, String error, String message, Map<String, Object> extra) {
            super(error + ": " + message, null, false, false);
            this.status = status;
            this.body = new LinkedHashMap<>();
            body.put("error", error);
            body.put("message", message);
            if (extra != null) body.putAll(extra);
        }

        public int status() {
            return status;
        }

        public Map<String, Object> body() {
            return body;
        }
    }

    private static ExtensionError error(int status, String error, String message) {
        return new ExtensionError(status, error, message, null);
    }

    /** Runs a handler, answering its {@link ExtensionError}s in the extension shape. */
    public static io.javalin.http.Handler answering(io.javalin.http.Handler h) {
        return ctx -> {
            try {
                h.handle(ctx);
            } catch (ExtensionError e) {
                Http.json(ctx, e.status, e.body);
            }
        };
    }

    // ------------------------------------------------------------------ pull

    record PullBody(String model, String name, Boolean insecure, Boolean stream, Boolean queue) {}

    /**
     * {@code POST /api/pull}: with {@code JOLLAMA_PULL_QUEUE} (or {@code "queue": true} in the body, Jollama's
     * extension the CLI's {@code pull --queue} uses) a model that is not installed is queued: 202 with ohhhllama's
     * {@code queued}/{@code already_queued} body. Everything else is Ollama's immediate pull.
     */
    public void pull(Context ctx) {
        PullBody r;
        try {
            r = Json.MAPPER.readValue(ctx.bodyAsBytes(), PullBody.class);
        } catch (JacksonException | IllegalArgumentException e) {
            registry.pull(ctx); // Ollama's own answer to a bad body
            return;
        }
        boolean queued = r != null && ((r.queue() != null && r.queue()) || queue.settings().pullQueue());
        if (!queued) {
            registry.pull(ctx);
            return;
        }
        String raw = Http.either(r.model(), r.name()).strip();
        ModelName name = ModelName.parse(raw);
        if (raw.isEmpty()) throw error(400, "model name required", "the body needs \"model\" (or \"name\")");
        if (!name.isValid()) throw error(400, "invalid model name", "\"" + raw + "\" is not a valid model name");
        name = store.resolve(name);
        if (store.find(name).isPresent()) { // installed: an update is an ordinary pull, as ohhhllama forwards it
            registry.pull(ctx);
            return;
        }
        String model = name.displayShortest();
        boolean stream = r.stream() == null || r.stream();
        Map<String, Object> out = enqueue(ctx, new QueueEntry.Request(QueueEntry.Kind.OLLAMA, model, null, null,
                r.insecure() != null && r.insecure(), client(ctx)), "Model " + model, null);
        answer(ctx, out, stream);
    }

    /**
     * The 202 answer. Streaming clients get it as the only NDJSON line, with {@code "done": true}: ollama-js
     * rejects a pull stream that ends without {@code done} or {@code status: "success"}, and claiming success for a
     * model that is not there yet would mislead the client.
     */
    private static void answer(Context ctx, Map<String, Object> body, boolean stream) {
        ctx.status(202);
        if (stream) {
            Map<String, Object> line = new LinkedHashMap<>(body);
            line.put("done", true);
            ctx.contentType(io.jollama.server.ndjson.NdjsonWriter.CONTENT_TYPE);
            ctx.result((Json.write(line) + "\n").getBytes(StandardCharsets.UTF_8));
        } else {
            ctx.contentType(Http.JSON_UTF8);
            ctx.result(Json.write(body));
        }
    }

    /**
     * ohhhllama's order: disk (507), rate limit (429), duplicate ({@code already_queued}, not counted), insert.
     * {@code resolved} (an import checked at Hugging Face) supplies the size to check against the free space.
     */
    private Map<String, Object> enqueue(Context ctx, QueueEntry.Request req, String what, GgufChoice resolved) {
        QueueStore st = queue.store();
        DiskCheck disk = DiskCheck.of(store.root(), queue.settings().diskThreshold());
        if (disk.critical()) {
            throw new ExtensionError(507, "insufficient storage", "Disk usage at " + disk.usedPercent() + "% (threshold: "
                    + disk.threshold() + "%)", Map.of("disk", disk));
        }
        if (resolved != null && disk.freeBytes() != null && resolved.size() > disk.freeBytes()) {
            throw new ExtensionError(507, "insufficient storage", what + " needs " + human(resolved.size())
                    + " but only " + human(disk.freeBytes()) + " is free", Map.of("disk", disk));
        }
        int limit = queue.settings().rateLimit();
        LocalDate today = LocalDate.now(queue.clock());
        int used = requireRateLimitLeft(st, req.requester());
        Map<String, Object> out = new LinkedHashMap<>();
        Optional<QueueEntry> dup = duplicate(st, req);
        if (dup.isPresent()) {
            out.put("status", "already_queued");
            out.put("message", what + " is already in the download queue");
            out.put("queue_id", dup.get().id());
            out.put("model", dup.get().model());
            if (limit > 0) out.put("rate_limit", Map.of("remaining", limit - used, "limit", limit));
            return out;
        }
        long id = st.add(req, queue.clock().instant());
        if (limit > 0) st.countRequest(req.requester(), today);
        queue.wake();
        out.put("status", "queued");
        out.put("message", what + " added to download queue");
        out.put("queue_id", id);
        out.put("model", req.model());
        if (limit > 0) out.put("rate_limit", Map.of("remaining", limit - used - 1, "limit", limit));
        return out;
    }

    /** 429 when the client has used up today's new entries; else how many it used. */
    private int requireRateLimitLeft(QueueStore st, String client) {
        int limit = queue.settings().rateLimit();
        if (limit <= 0) return 0;
        int used = st.requestsOn(client, LocalDate.now(queue.clock()));
        if (used >= limit) {
            throw new ExtensionError(429, "rate limit exceeded", "Maximum " + limit + " model requests per day",
                    Map.of("remaining", 0));
        }
        return used;
    }

    private static Optional<QueueEntry> duplicate(QueueStore st, QueueEntry.Request req) {
        Optional<QueueEntry> same = st.findActive(req.model());
        if (same.isPresent() || req.kind() != QueueEntry.Kind.HUGGINGFACE) return same;
        return st.active(10_000).stream().filter(e -> e.kind() == QueueEntry.Kind.HUGGINGFACE
                && e.repo().equalsIgnoreCase(req.repo()) && e.quant().equalsIgnoreCase(req.quant())).findFirst();
    }

    /**
     * The requester the daily limit counts: {@code key:<name>} when API keys are on, else the client address (the
     * socket address, or the first {@code X-Forwarded-For} entry when the peer is a trusted proxy).
     */
    String client(Context ctx) {
        String key = io.jollama.server.auth.AuthGuard.keyName(ctx);
        if (key != null) return "key:" + key;
        return io.jollama.server.auth.AuthGuard.clientAddress(ctx, queue.settings().trustedProxies());
    }

    // ------------------------------------------------------------------ Hugging Face

    /** {@code POST /api/hf/queue {repo_id|model, quant?, name?}}. */
    public void hfQueue(Context ctx) {
        JsonNode body = jsonBody(ctx);
        String repo = text(body, "repo_id");
        if (repo.isEmpty()) repo = text(body, "model");
        if (repo.isEmpty()) throw error(400, "repo_id required", "the body needs \"repo_id\": a Hugging Face repository such as \"bartowski/Llama-3.2-1B-Instruct-GGUF\"");
        if (repo.startsWith("hf.co/") || repo.startsWith("huggingface.co/")) repo = repo.substring(repo.indexOf('/') + 1);
        if (!HfImporter.isValidRepo(repo)) throw error(400, "invalid repo_id", "\"" + repo + "\" is not a Hugging Face repository id (owner/name)");
        String quant = text(body, "quant");
        if (quant.isEmpty()) quant = GgufChoice.DEFAULT_QUANT;
        if (!quant.matches("[A-Za-z0-9_.-]{1,128}")) throw error(400, "invalid quant", "\"" + quant + "\" is not a quantization name such as Q4_K_M");
        String chosen = text(body, "name");
        if (!chosen.isEmpty() && !ModelName.parse(chosen).isValid()) {
            throw error(400, "invalid name", "\"" + chosen + "\" is not a valid model name");
        }
        String client = client(ctx);
        String defaultName = HfImporter.defaultName(repo, quant);
        String model = chosen.isEmpty() ? defaultName : chosen;
        // the request is checked at Hugging Face now (repository, gated, quant), unless it cannot be reached
        GgufChoice choice = null;
        QueueStore st = queue.store();
        requireRateLimitLeft(st, client); // before asking Hugging Face anything
        if (duplicate(st, new QueueEntry.Request(QueueEntry.Kind.HUGGINGFACE, model, repo, quant, false, client)).isEmpty()) {
            try {
                choice = queue.hf().check(repo, quant);
                if (chosen.isEmpty()) model = HfImporter.defaultName(repo, choice.quant());
            } catch (HfException e) {
                if (e.permanent()) throw error(e.status(), e.error(), e.getMessage());
                log.warn("hf queue: {} not checked: {}", repo, e.getMessage());
            } catch (IOException e) {
                log.warn("hf queue: Hugging Face unreachable, {} queued unchecked: {}", repo, e.toString());
            }
        }
        if (!ModelName.parse(model).isValid()) {
            throw error(400, "invalid name", "\"" + model + "\" is not a valid model name; choose one with \"name\"");
        }
        Map<String, Object> out = enqueue(ctx, new QueueEntry.Request(QueueEntry.Kind.HUGGINGFACE, model, repo, quant,
                false, client), "HuggingFace model " + repo, choice);
        out.put("type", "huggingface");
        out.put("repo_id", repo);
        out.put("quant", choice == null ? quant : choice.quant());
        if (choice != null) {
            out.put("files", choice.all().stream().map(f -> f.path()).toList());
            out.put("size", choice.size());
        }
        answer(ctx, out, false);
    }

    // ------------------------------------------------------------------ queue

    @JsonPropertyOrder({"id", "model", "type", "repo_id", "quant", "requester_ip", "status", "error", "attempts",
            "completed", "total", "created_at", "updated_at"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EntryView(@JsonProperty("id") long id, @JsonProperty("model") String model,
                            @JsonProperty("type") String type, @JsonProperty("repo_id") String repo,
                            @JsonProperty("quant") String quant, @JsonProperty("requester_ip") String requester,
                            @JsonProperty("status") String status, @JsonProperty("error") String error,
                            @JsonProperty("attempts") int attempts, @JsonProperty("completed") long completed,
                            @JsonProperty("total") long total, @JsonProperty("created_at") String createdAt,
                            @JsonProperty("updated_at") String updatedAt) {}

    @JsonPropertyOrder({"id", "model", "status", "error", "updated_at"})
    public record RecentView(@JsonProperty("id") long id, @JsonProperty("model") String model,
                             @JsonProperty("status") String status, @JsonProperty("error") String error,
                             @JsonProperty("updated_at") String updatedAt) {}

    private EntryView view(QueueEntry e) {
        return new EntryView(e.id(), e.model(), e.kind().wire(), e.repo(), e.quant(), e.requester(), e.status().wire(),
                e.error(), e.attempts(), e.completed(), e.total(), ts(e.createdAt()), ts(e.updatedAt()));
    }

    private String ts(java.time.Instant t) {
        return Http.timestamp(t, queue.clock().getZone());
    }

    /** {@code GET /api/queue}: counts, the queue (oldest first, 50) with progress, recent results (newest first, 10). */
    public void list(Context ctx) {
        QueueStore st = queue.store();
        Map<String, Object> counts = new LinkedHashMap<>();
        st.counts().forEach((k, v) -> counts.put(k.wire(), v));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("counts", counts);
        out.put("queue", st.active(50).stream().map(this::view).toList());
        out.put("recent", st.recent(10).stream().map(e -> new RecentView(e.id(), e.model(), e.status().wire(), e.error(),
                ts(e.updatedAt()))).toList());
        out.put("window", Map.of("setting", queue.settings().window().toString(), "open", queue.windowOpen()));
        Http.json(ctx, out);
    }

    /** {@code DELETE /api/queue {name|model}}: removes pending entries; 404 when none (downloading ones stay). */
    public void remove(Context ctx) {
        JsonNode body = jsonBody(ctx);
        String name = text(body, "name");
        if (name.isEmpty()) name = text(body, "model");
        if (name.isEmpty()) throw error(400, "model name required", "the body needs \"name\" (or \"model\")");
        int n = removePending(name);
        if (n == 0) throw error(404, "not in queue", "Model " + name + " not in queue (or already processing)");
        Http.json(ctx, Map.of("status", "deleted", "message", "Model " + name + " removed from download queue"));
    }

    private int removePending(String name) {
        QueueStore st = queue.store();
        int n = st.deletePending(name);
        ModelName parsed = ModelName.parse(name);
        if (n == 0 && parsed.isValid()) n = st.deletePending(parsed.displayShortest());
        return n;
    }

    /** {@code POST /api/queue/run}: process the queue now, whatever the window says. */
    public void run(Context ctx) {
        int pending = queue.store().counts().get(QueueEntry.Status.PENDING);
        queue.runNow();
        Http.json(ctx, 202, Map.of("status", "running", "message", "processing the download queue now", "pending", pending));
    }

    // ------------------------------------------------------------------ tags and delete

    /** {@code GET /api/tags} with a {@code * <model> [QUEUED]} entry for each queued model not installed. */
    public void tags(Context ctx) {
        List<ModelApi.ListModel> list = new ArrayList<>(models.listModels());
        if (queue.opened()) {
            java.util.Set<String> installed = new java.util.HashSet<>();
            for (ModelApi.ListModel m : list) installed.add(m.name());
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (QueueEntry e : queue.store().active(1000)) {
                if (installed.contains(e.model()) || !seen.add(e.model())) continue;
                list.add(new ModelApi.ListModel("* " + e.model() + " [QUEUED]", e.model(), null, null, ts(e.createdAt()), 0,
                        "pending", new ModelViews.Details("", "pending", "queued", List.of("queued"), "unknown", "N/A", 0, 0),
                        List.of()));
            }
        }
        Http.json(ctx, new ModelApi.ListResponse(list));
    }

    /** {@code DELETE /api/delete}: a queued entry ({@code * m [QUEUED]} or a pending name not installed) leaves the queue. */
    public void delete(Context ctx) {
        if (queue.opened()) {
            try {
                JsonNode body = Json.MAPPER.readTree(ctx.bodyAsBytes());
                String raw = text(body, "model");
                if (raw.isEmpty()) raw = text(body, "name");
                String cleaned = raw.strip();
                boolean marked = cleaned.startsWith("* ") || cleaned.endsWith(" [QUEUED]");
                if (cleaned.startsWith("* ")) cleaned = cleaned.substring(2);
                if (cleaned.endsWith(" [QUEUED]")) cleaned = cleaned.substring(0, cleaned.length() - 9);
                cleaned = cleaned.strip();
                ModelName n = ModelName.parse(cleaned);
                boolean installed = n.isValid() && store.find(n).isPresent();
                if (!cleaned.isEmpty() && (marked || !installed) && removePending(cleaned) > 0) {
                    Http.json(ctx, Map.of("status", "success"));
                    return;
                }
            } catch (JacksonException | IllegalArgumentException notJson) {
                // Ollama's delete reports the bad body
            }
        }
        models.delete(ctx);
    }

    // ------------------------------------------------------------------ health

    /** {@code GET /api/health}: always 200; {@code healthy | degraded | unhealthy} from the checks (spec 2.7). */
    public void health(Context ctx) {
        String overall = "healthy";
        Map<String, Object> checks = new LinkedHashMap<>();
        checks.put("server", Map.of("status", "ok"));
        Map<String, Object> backend = new LinkedHashMap<>();
        try {
            int installed = store.list().size();
            backend.put("status", "ok");
            backend.put("models", installed);
            backend.put("loaded", scheduler.status().size());
        } catch (RuntimeException e) {
            backend.put("status", "error");
            backend.put("error", e.getMessage());
            overall = "unhealthy";
        }
        checks.put("backend", backend);
        DiskCheck disk = DiskCheck.of(store.root(), queue.settings().diskThreshold());
        checks.put("disk", disk);
        switch (disk.status()) {
            case "critical" -> overall = "unhealthy";
            case "warning", "error" -> { if (overall.equals("healthy")) overall = "degraded"; }
            default -> { }
        }
        Map<String, Object> db = new LinkedHashMap<>();
        try {
            queue.store().ping();
            db.put("status", "ok");
        } catch (RuntimeException e) {
            db.put("status", "error");
            db.put("error", e.getMessage());
            if (overall.equals("healthy")) overall = "degraded";
        }
        db.put("path", queue.settings().db().toString());
        checks.put("database", db);
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("window", queue.settings().window().toString());
        q.put("window_open", queue.windowOpen());
        QueueEntry cur = queue.current();
        if (cur != null) q.put("downloading", cur.model());
        checks.put("queue", q);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", overall);
        out.put("checks", checks);
        out.put("timestamp", ts(queue.clock().instant()));
        Http.json(ctx, out);
    }

    // ------------------------------------------------------------------ plumbing

    private static JsonNode jsonBody(Context ctx) {
        byte[] b = ctx.bodyAsBytes();
        if (b.length == 0) throw error(400, "missing request body", "send a JSON object");
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(b);
        } catch (JacksonException e) {
            throw error(400, "invalid JSON", Json.decodeError(e));
        }
        if (n == null || !n.isObject()) throw error(400, "invalid JSON", "the body must be a JSON object");
        return n;
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return "";
        if (!v.isString()) throw error(400, "invalid " + field, "\"" + field + "\" must be a string");
        return v.asString().strip();
    }

    private static String human(long n) {
        return String.format(java.util.Locale.ROOT, "%.1f GB", n / 1e9);
    }

}
