package io.jollama.server;

import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.MethodNotAllowedResponse;
import io.javalin.http.NotFoundResponse;
import io.jollama.server.api.AccessGuard;
import io.jollama.server.auth.AuthGuard;
import io.jollama.server.auth.KeyFile;
import io.jollama.server.auth.KeyRing;
import io.jollama.server.auth.RequestRateLimit;
import io.jollama.server.tls.TlsSettings;
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

    private final boolean https;
    private final List<Route> routes;

    private JollamaServer(Javalin app, ServerContext context, boolean https, List<Route> routes) {
        this.app = app;
        this.context = context;
        this.https = https;
        this.routes = List.copyOf(routes);
    }

    /** Opens the store (fixing old blob names and pruning unless {@code noPrune}), then listens with the routes of {@link Routes}. */
    public static JollamaServer start(ServerConfig config) {
        return start(config, Clock.systemDefaultZone());
    }

    /** With the clock the download queue's window and daily limits read (tests move it). */
    public static JollamaServer start(ServerConfig config, Clock clock) {
        QueueSettings queueSettings = QueueSettings.fromConfig(config); // bad settings fail before anything starts
        AuthGuard auth = new AuthGuard(new KeyRing(KeyFile.of(config)),
                RequestRateLimit.fromSetting(ServerConfig.var(config.env(), "JOLLAMA_REQUEST_LIMIT"), System::nanoTime),
                queueSettings.trustedProxies());
        TlsSettings tls = TlsSettings.fromEnv(config.env());
        ModelStore store = new ModelStore(config.models());
        store.fixBlobNames();
        store.removeLeftoverTempFiles();
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
        String bindHost = config.host().isEmpty() ? "0.0.0.0" : config.host();
        long maxBody = config.maxRequestBody();

        Javalin app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.concurrency.useVirtualThreads = true;
            c.http.compressionStrategy = CompressionStrategy.NONE;
            c.http.prefer405over404 = true;
            c.http.maxRequestSize = maxBody; // Http.body reads JSON bodies with this limit; blob uploads stream
            c.http.generateEtags = false;
            // a stop waits (up to the grace) for running requests to write their last line
            c.jetty.modifyServer(server -> {
                server.setStopTimeout(SHUTDOWN_GRACE.toMillis());
                server.insertHandler(new org.eclipse.jetty.server.handler.GracefulHandler());
            });
            if (tls != null) c.jetty.addConnector((server, http) -> tls.connector(server, http, bindHost, config.port()));
            c.events.serverStopped(catalog::close);
            c.requestLogger.http((rc, ms) -> {
                String key = AuthGuard.keyName(rc);
                log.info("{} {} {} {}ms {}{}", rc.status().getCode(), rc.method(), rc.path(),
                        String.format("%.1f", ms), rc.ip(), key == null ? "" : " key=" + key);
            });
            c.routes.before(rc -> {
                rc.attribute(Http.MAX_BODY, maxBody);
                if (!guard.admit(rc) || !auth.admit(rc)) rc.skipRemainingHandlers();
            });
            for (Route r : routes) c.routes.addHttpHandler(r.method(), r.path(), auth.guard(r));
            for (Class<? extends RuntimeException> expected : ApiErrors.EXPECTED) {
                c.routes.exception(expected, (e, rc) -> ApiErrors.answer(rc, e));
            }
            c.routes.exception(MethodNotAllowedResponse.class, (e, rc) ->
                    rc.status(405).contentType("text/plain").result("405 method not allowed"));
            c.routes.exception(NotFoundResponse.class, (e, rc) ->
                    rc.status(404).contentType("text/plain").result("404 page not found"));
            c.routes.exception(Exception.class, (e, rc) -> {
                if (e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException) {
                    // a client that left mid-body, a full disk, a closed stream: what happened, without a stack trace
                    log.warn("{} {} failed: {}", rc.method(), rc.path(), e.getMessage());
                    boolean noSpace = String.valueOf(e.getMessage()).contains("No space left on device");
                    Http.error(rc, noSpace ? 507 : 500, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
                    return;
                }
                log.error("{} {} failed", rc.method(), rc.path(), e);
                Http.error(rc, 500, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            });
        });
        app.start(bindHost, config.port());
        log.debug("Listening on {}://{}:{} (models in {})", tls == null ? "http" : "https", bindHost, app.port(), store.root());
        if (!auth.keys().enabled() && !AccessGuard.isLoopback(bindHost)) {
            log.warn("listening on {} (not only this machine) with no API keys: anyone who reaches port {} can use every "
                    + "endpoint; add a key with 'jollama keys add NAME --scope inference,read' ({})", bindHost, app.port(),
                    auth.keys().file().path());
        }
        return new JollamaServer(app, ctx, tls != null, routes);
    }

    public int port() {
        return app.port();
    }

    /** {@code https} when {@code JOLLAMA_TLS_CERT} and {@code JOLLAMA_TLS_KEY} are set, else {@code http}. */
    public String scheme() {
        return https ? "https" : "http";
    }

    /** Every route the server answers (Javalin syntax), as registered. */
    public List<Route> routes() {
        return routes;
    }

    public ServerContext context() {
        return context;
    }

    /** How long a shutdown waits for running requests to write their last line. */
    public static final java.time.Duration SHUTDOWN_GRACE = java.time.Duration.ofSeconds(5);

    /**
     * Stops the server (SIGTERM ends here): generations stop at their next token and their streams end with an error
     * line, downloads stop with their partial data kept for the next pull, then the listener closes.
     */
    @Override
    public void close() {
        context.scheduler().close();
        context.registry().stopDownloads();
        context.scheduler().awaitIdle(SHUTDOWN_GRACE);
        app.stop();
        context.queue().close();
    }
}
