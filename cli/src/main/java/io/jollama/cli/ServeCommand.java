package io.jollama.cli;

import io.jollama.server.JollamaServer;
import io.jollama.server.ServerConfig;
import io.jollama.server.create.BundledModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code jollama serve}: runs the Ollama-compatible server until killed. Settings come from the OLLAMA_* variables. */
@Command(name = "serve", aliases = {"start"}, mixinStandardHelpOptions = true,
        description = "Start the server.",
        footer = {"", "Environment variables:",
                "  OLLAMA_HOST               IP address and port for the server (default 127.0.0.1:11434)",
                "  OLLAMA_MODELS             The path to the models directory (default ~/.ollama/models)",
                "  OLLAMA_ORIGINS            A comma separated list of allowed origins",
                "  OLLAMA_NOPRUNE            Do not prune model blobs on startup",
                "  OLLAMA_DEBUG              Show additional debug information (e.g. OLLAMA_DEBUG=1)",
                "  OLLAMA_KEEP_ALIVE         The duration that models stay loaded in memory (default 5m)",
                "  OLLAMA_CONTEXT_LENGTH     Context length to use unless otherwise specified (default 4096)",
                "  OLLAMA_KV_CACHE_TYPE      Quantization type for the K/V cache (default f16)",
                "  OLLAMA_MAX_LOADED_MODELS  Maximum number of loaded models (default 3)",
                "  OLLAMA_NUM_PARALLEL       Maximum number of parallel requests per model (default 1)",
                "  OLLAMA_MAX_QUEUE          Maximum number of queued requests (default 512)",
                "  HOME                      Where ~/.ollama/id_ed25519 (the registry key) is read or created",
                "",
                "Jollama (download queue, Hugging Face import, library catalog):",
                "  JOLLAMA_DB              The server's database file (default jollama.db beside the model store)",
                "  JOLLAMA_PULL_QUEUE      true: /api/pull of a model not installed is queued (default false)",
                "  JOLLAMA_QUEUE_WINDOW    Daily window HH:MM-HH:MM (local time) for queued downloads (default: at once)",
                "  JOLLAMA_RATE_LIMIT      New queue entries per client per day, 0 = no limit (default 5)",
                "  JOLLAMA_TRUSTED_PROXIES Comma-separated proxy addresses whose X-Forwarded-For is believed",
                "  JOLLAMA_DISK_THRESHOLD  Disk use (percent) at which downloads are refused (default 90)",
                "  HF_ENDPOINT             Hugging Face base URL (default https://huggingface.co)",
                "  HF_TOKEN                Hugging Face token for gated or private repositories",
                "  JOLLAMA_LIBRARY_URL     Where the library catalog is read from (default https://ollama.com)",
                "  JOLLAMA_CATALOG_REFRESH Refresh period of the library catalog (default 24h, 0 = never)",
                "  JOLLAMA_MAX_REQUEST_BODY  Largest JSON request body in bytes (default 67108864; larger is 413)",
                "",
                "Access control (off by default; see 'jollama keys --help'):",
                "  JOLLAMA_KEYS_FILE       The API keys file (default jollama-keys.json beside the model store);",
                "                          with keys in it, every request but GET / needs 'Authorization: Bearer <key>'",
                "  JOLLAMA_REQUEST_LIMIT   Requests per minute per key (per client address without keys), 0 = no limit",
                "  JOLLAMA_TLS_CERT        PEM certificate chain: serve HTTPS (TLS 1.2+) with JOLLAMA_TLS_KEY",
                "  JOLLAMA_TLS_KEY         Its PEM private key (PKCS#8, or traditional RSA/EC)",
                "  JOLLAMA_REGISTRY_PART_SIZE      Download/upload part size in bytes (default: Ollama's plan)",
                "  JOLLAMA_REGISTRY_RETRY_DELAY_MS First retry delay of a failed part (default 1000)",
                "",
                "On its first start on an empty store, the server installs the bundled model 'tinystories'",
                "(TinyStories 260K, MIT licence), so that 'jollama run tinystories' works offline."})
public final class ServeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // OLLAMA_DEBUG=1 → debug, 2 → trace; set before the first logger is created
        Invocation invocation = Invocation.of(spec);
        String debug = ServerConfig.var(invocation.env(), "OLLAMA_DEBUG");
        if (!debug.isEmpty() && System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            String level = debug.equals("2") ? "trace" : ServerConfig.bool(debug) ? "debug" : "info";
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
        }
        ServerConfig config = ServerConfig.fromEnv(invocation.env());
        JollamaServer server = JollamaServer.start(config);
        BundledModel.installIfEmpty(server.context().store(), server.context().creator());
        String host = config.host().isEmpty() ? "0.0.0.0" : config.host();
        invocation.out().println("Jollama " + io.jollama.engine.Version.VERSION + " listening on " + server.scheme() + "://"
                + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port() + " · models in " + config.models()
                + " · " + server.context().store().list().size() + " model(s) · Ctrl-C stops");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
