package io.jollama.cli;

import io.jollama.server.JollamaServer;
import io.jollama.server.ServerConfig;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code jollama serve}: runs the Ollama-compatible server until killed. Settings come from the OLLAMA_* variables. */
@Command(name = "serve", aliases = {"start"}, mixinStandardHelpOptions = true,
        description = "Start the server.",
        footer = {"", "Environment variables:",
                "  OLLAMA_HOST       IP address and port for the server (default 127.0.0.1:11434)",
                "  OLLAMA_MODELS     The path to the models directory (default ~/.ollama/models)",
                "  OLLAMA_ORIGINS    A comma separated list of allowed origins",
                "  OLLAMA_NOPRUNE    Do not prune model blobs on startup",
                "  OLLAMA_DEBUG      Show additional debug information (e.g. OLLAMA_DEBUG=1)",
                "  OLLAMA_KEEP_ALIVE The duration that models stay loaded in memory (default 5m)",
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
                "  JOLLAMA_CATALOG_REFRESH Refresh period of the library catalog (default 24h, 0 = never)"})
public final class ServeCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        // OLLAMA_DEBUG=1 → debug, 2 → trace; set before the first logger is created
        String debug = ServerConfig.var(System.getenv(), "OLLAMA_DEBUG");
        if (!debug.isEmpty() && System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            String level = debug.equals("2") ? "trace" : ServerConfig.bool(debug) ? "debug" : "info";
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
        }
        ServerConfig config = ServerConfig.fromEnv();
        JollamaServer server = JollamaServer.start(config);
        String host = config.host().isEmpty() ? "0.0.0.0" : config.host();
        System.out.println("Listening on " + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port()
                + " (version " + io.jollama.engine.Version.VERSION + ", models in " + config.models() + ")");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
