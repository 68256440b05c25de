package io.jollama.server.api;

import io.jollama.engine.Version;
import io.jollama.server.ServerContext;
import io.jollama.server.openai.OpenAiApi;
import io.jollama.server.queue.QueueApi;
import io.jollama.server.web.WebPage;

import java.util.List;
import java.util.Map;

/**
 * The one list of the server's routes. To add an endpoint, add a line here; handlers are small functions of a
 * Javalin context.
 */
public final class Routes {

    private Routes() {}

    public static List<Route> core(ServerContext s) {
        ModelApi models = new ModelApi(s.store(), s.views(), !s.config().noPrune());
        BlobApi blobs = new BlobApi(s.store());
        CreateApi create = new CreateApi(s.creator());
        InferenceApi inference = new InferenceApi(s);
        EmbedApi embed = new EmbedApi(s);
        TokenizeApi tokens = new TokenizeApi(s);
        PsApi ps = new PsApi(s);
        RegistryApi registry = s.registry();
        OpenAiApi openai = new OpenAiApi(s, inference, embed);
        QueueApi queue = new QueueApi(s.queue(), s.store(), models, registry, s.scheduler());
        WebPage web = new WebPage();
        return List.of(
                Route.get("/", web::root), // the web page for browsers, "Ollama is running" for other clients
                Route.get("/web/{file}", web::asset),
                Route.head("/", ctx -> ctx.contentType("text/plain; charset=utf-8").result("Ollama is running")),
                Route.get("/api/version", ctx -> Http.json(ctx, Map.of("version", Version.OLLAMA_API_VERSION))),
                Route.head("/api/version", ctx -> Http.json(ctx, Map.of("version", Version.OLLAMA_API_VERSION))),
                Route.get("/api/tags", queue::tags),
                Route.head("/api/tags", queue::tags),
                Route.post("/api/show", models::show),
                Route.get("/api/show", models::showGet),
                Route.post("/api/copy", models::copy),
                Route.delete("/api/delete", queue::delete),
                Route.post("/api/create", create::create),
                Route.post("/api/pull", QueueApi.answering(queue::pull)),
                Route.get("/api/queue", QueueApi.answering(queue::list)),
                Route.delete("/api/queue", QueueApi.answering(queue::remove)),
                Route.post("/api/queue/run", QueueApi.answering(queue::run)),
                Route.post("/api/hf/queue", QueueApi.answering(queue::hfQueue)),
                Route.get("/api/health", QueueApi.answering(queue::health)),
                Route.post("/api/push", registry::push),
                Route.head("/api/blobs/{digest}", blobs::head),
                Route.post("/api/blobs/{digest}", blobs::upload),
                Route.post("/api/generate", inference::generate),
                Route.post("/api/chat", inference::chat),
                Route.post("/api/embed", embed::embed),
                Route.post("/api/embeddings", embed::embeddings),
                Route.get("/api/ps", ps::ps),
                Route.post("/api/tokenize", tokens::tokenize),
                Route.post("/api/detokenize", tokens::detokenize),
                Route.post("/v1/chat/completions", OpenAiApi.openAiErrors(openai::chatCompletions)),
                Route.post("/v1/completions", OpenAiApi.openAiErrors(openai::completions)),
                Route.post("/v1/embeddings", OpenAiApi.openAiErrors(openai::embeddings)),
                Route.get("/v1/models", OpenAiApi.openAiErrors(openai::models)),
                Route.get("/v1/models/{model}", OpenAiApi.openAiErrors(openai::model)));
    }
}
