package io.jollama.server;

import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.MethodNotAllowedResponse;
import io.javalin.http.NotFoundResponse;
import io.jollama.server.api.AccessGuard;
import io.jollama.server.api.ApiErrors;
import io.jollama.server.api.Http;
import io.jollama.server.api.RegistryApi;
import io.jollama.server.api.ModelViews;
import io.jollama.server.api.Route;
import io.jollama.server.api.Routes;
import io.jollama.server.catalog.Catalog;
import io.jollama.server.catalog.CatalogApi;
import io.jollama.server.catalog.QueuedModels;
import io.jollama.server.sched.Scheduler;
import io.jollama.server.sched.SchedulerSettings;
import io.jollama.server.create.ModelCreator;
import io.jollama.server.create.TemplateSupport;
import io.jollama.server.registry.ServerRegistry;
import io.jollama.server.store.ModelStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.jollama.server.hf.HfClient;
import io.jollama.server.hf.HfImporter;
import io.jollama.server.queue.DownloadQueue;
import io.jollama.server.queue.QueueSettings;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP server: Javalin (Jetty, virtual threads) with Ollama's routes, CORS/Host guard, error mapping and logging.
 * <pre>{@code
 * try (JollamaServer s = JollamaServer.start(ServerConfig.local(0, dir))) { ... s.port() ... }
 * }</pre>
 */
public final class JollamaServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JollamaServer.class);

    private final Javalin app;
    private final ServerContext context;

    private JollamaServer(Javalin app, ServerContext context) {
        this.app = app;
        this.context = context;
    }

    /** Opens the store (fixing old blob names and pruning unless {@code noPrune}), then listens with the routes of {@link Routes}. */
    public static JollamaServer start(ServerConfig config) {
        return start(config, Clock.systemDefaultZone());
    }

    /** With the clock the download queue's window and daily limits read (tests move it). */
    public static JollamaServer start(ServerConfig config, Clock clock) {
        QueueSettings queueSettings = QueueSettings.fromConfig(config); // bad settings fail before anything starts
        ModelStore store = new ModelStore(config.models());
        store.fixBlobNames();
        if (!config.noPrune()) store.prune(ServerConfig.PRUNE_GRACE);
        RegistryApi registry = new RegistryApi(store, ServerRegistry.create(store, config));
        ModelCreator creator = new ModelCreator(store, TemplateSupport.GO, !config.noPrune(), registry::pullFrom);
        HfImporter hf = new HfImporter(new HfClient(queueSettings.hfEndpoint(), queueSettings.hfToken(),
                ServerRegistry.userAgent()), store, creator);
        DownloadQueue queue = new DownloadQueue(queueSettings, clock, store, registry, hf);
        ServerContext ctx = new ServerContext(config, store, new ModelViews(), creator, registry,
                new Scheduler(SchedulerSettings.fromEnv(config.env())), queue);
        List<Route> routes = new ArrayList<>(Routes.core(ctx));
        Catalog catalog = Catalog.forServer(config, store, queue::queuedNames);
        routes.addAll(CatalogApi.routes(catalog, CatalogApi.handlerOf(routes, "/api/pull")));
        AccessGuard guard = new AccessGuard(config.origins(), config.host());

        Javalin app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.concurrency.useVirtualThreads = true;
            c.http.compressionStrategy = CompressionStrategy.NONE;
            c.http.prefer405over404 = true;
            c.http.maxRequestSize = 1L << 30; // JSON bodies with images; blob uploads stream and are not bounded by this
            c.http.generateEtags = false;
            c.events.serverStopped(catalog::close);
            c.requestLogger.http((rc, ms) -> log.info("{} {} {} {}ms", rc.status().getCode(), rc.method(), rc.path(),
                    String.format("%.1f", ms)));
            c.routes.before(rc -> {
                if (!guard.admit(rc)) rc.skipRemainingHandlers();
            });
            for (Route r : routes) c.routes.addHttpHandler(r.method(), r.path(), r.handler());
            for (Class<? extends RuntimeException> expected : ApiErrors.EXPECTED) {
                c.routes.exception(expected, (e, rc) -> ApiErrors.answer(rc, e));
            }
            c.routes.exception(MethodNotAllowedResponse.class, (e, rc) ->
                    rc.status(405).contentType("text/plain").result("405 method not allowed"));
            c.routes.exception(NotFoundResponse.class, (e, rc) ->
                    rc.status(404).contentType("text/plain").result("404 page not found"));
            c.routes.exception(Exception.class, (e, rc) -> {
                log.error("{} {} failed", rc.method(), rc.path(), e);
                Http.error(rc, 500, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            });
        });
        app.start(config.host().isEmpty() ? "0.0.0.0" : config.host(), config.port());
        log.info("Listening on {}:{} (models in {})", config.host().isEmpty() ? "0.0.0.0" : config.host(), app.port(), store.root());
        return new JollamaServer(app, ctx);
    }

    public int port() {
        return app.port();
    }

    public ServerContext context() {
        return context;
    }

    @Override
    public void close() {
        app.stop();
        context.queue().close();
        context.scheduler().close();
    }
}
