package io.jollama.cli;

import io.jollama.client.OllamaClient;
import io.jollama.client.OllamaException;
import io.jollama.server.tls.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code jollama keys} on a store, and {@code jollama serve} with keys and HTTPS (a self-signed certificate) used by
 * the CLI and the typed client: the servers as real processes bound to every interface, the other commands in the
 * test JVM with the environment given (one as a process).
 */
class KeysCommandTest {

    @TempDir
    Path tmp;

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    Cli.Result keys(Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of("keys"));
        all.addAll(List.of(args));
        return new Cli("127.0.0.1:1", tmp.resolve("home")).runWithEnv(env, all.toArray(String[]::new));
    }

    /** Starts {@code jollama serve}; returns the process after its banner, with the lines read so far. */
    Process serve(Map<String, String> env, List<String> lines) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Cli.command(List.of("serve"))).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("HOME", tmp.resolve("home").toString());
        pb.environment().put("JOLLAMA_CATALOG_REFRESH", "0");
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            synchronized (lines) {
                lines.add(line);
            }
            if (line.startsWith("Jollama ")) break;
        }
        Thread.ofVirtual().start(() -> out.lines().forEach(l -> {
            synchronized (lines) {
                lines.add(l);
            }
        }));
        return p;
    }

    @Test
    void keysCommandsManageTheStoresKeyFile() throws Exception {
        Files.createDirectories(tmp.resolve("home"));
        Map<String, String> env = Map.of("OLLAMA_MODELS", tmp.resolve("store/models").toString());
        Cli.Result empty = keys(env, "list");
        assertEquals(0, empty.code(), empty.toString());
        assertTrue(empty.out().contains("No API keys"), empty.toString());

        Cli.Result add = keys(env, "add", "alice", "--scope", "inference,read");
        assertEquals(0, add.code(), add.toString());
        String[] lines = add.out().strip().split("\n");
        String key = lines[lines.length - 1];
        assertTrue(key.matches("jk_[A-Za-z0-9_-]{43}"), "the key alone on the last line: " + add);
        assertTrue(add.out().contains("Access control is on"), add.toString());
        assertTrue(Files.exists(tmp.resolve("store/jollama-keys.json")));
        assertFalse(Files.readString(tmp.resolve("store/jollama-keys.json")).contains(key.substring(3)));

        Cli.Result again = keys(env, "add", "alice", "--scope", "read");
        assertEquals(1, again.code());
        assertTrue(again.err().contains("a key named \"alice\" exists"), again.toString());
        Cli.Result badScope = keys(env, "add", "bob", "--scope", "admin");
        assertEquals(1, badScope.code());
        assertTrue(badScope.err().contains("unknown scope \"admin\""), badScope.toString());

        assertEquals(0, keys(env, "add", "bob", "--scope", "pull").code());
        Cli.Result list = keys(env, "list");
        assertTrue(list.out().matches("(?s)NAME\\s+SCOPES\\s+CREATED\\nalice\\s+inference,read\\s+.*\\nbob\\s+pull\\s+.*"), list.toString());
        assertFalse(list.out().contains(key));

        assertEquals(0, keys(env, "rm", "alice").code());
        Cli.Result last = keys(env, "rm", "bob");
        assertTrue(last.out().contains("access control is off"), last.toString());
    }

    @Test
    void theCliAndClientUseAKeyAndHttpsWithARunningServer() throws Exception {
        Files.createDirectories(tmp.resolve("home"));
        TestCertificates cert = TestCertificates.create(tmp.resolve("tls"), "EC");
        Map<String, String> store = Map.of("OLLAMA_MODELS", tmp.resolve("store/models").toString());
        Cli.Result add = keys(store, "add", "ops", "--scope", "read,manage");
        String[] lines = add.out().strip().split("\n");
        String key = lines[lines.length - 1];
        String other = keys(store, "add", "reader", "--scope", "read").out().strip().lines().reduce((a, b) -> b).orElseThrow();

        int port = freePort();
        Map<String, String> env = new HashMap<>(store);
        env.putAll(cert.serverEnv());
        env.put("OLLAMA_HOST", "0.0.0.0:" + port);
        List<String> log = new ArrayList<>();
        Process serve = serve(env, log);
        try {
            String banner = log.getLast();
            assertTrue(banner.contains("listening on https://0.0.0.0:" + port), banner);
            synchronized (log) {
                assertTrue(log.stream().noneMatch(l -> l.contains("with no API keys")), "keys are configured: " + log);
            }

            Cli cli = new Cli("https://127.0.0.1:" + port, tmp.resolve("home"));
            Map<String, String> trust = Map.of("JOLLAMA_CA_CERT", cert.certificate().toString());
            Cli.Result noKey = cli.exec(Cli.command(List.of("list")), null, trust);
            assertEquals(1, noKey.code(), noKey.toString());
            assertTrue(noKey.err().contains("unauthorized") && noKey.err().contains("JOLLAMA_API_KEY"), noKey.toString());

            Map<String, String> withKey = new HashMap<>(trust);
            withKey.put("JOLLAMA_API_KEY", key);
            Cli.Result list = cli.runWithEnv(withKey, "list");
            assertEquals(0, list.code(), list.toString());
            assertTrue(list.out().contains("tinystories:latest"), list.toString());
            Cli.Result cp = cli.runWithEnv(withKey, "cp", "tinystories", "mine");
            assertEquals(0, cp.code(), cp.toString());

            Map<String, String> readOnly = new HashMap<>(trust);
            readOnly.put("JOLLAMA_API_KEY", other);
            Cli.Result rm = cli.runWithEnv(readOnly, "rm", "mine");
            assertEquals(1, rm.code(), rm.toString());
            assertTrue(rm.err().contains("\"manage\" scope"), rm.toString());

            Cli.Result untrusted = cli.runWithEnv(Map.of("JOLLAMA_API_KEY", key), "list");
            assertEquals(1, untrusted.code(), untrusted.toString());
            assertTrue(untrusted.err().contains("JOLLAMA_CA_CERT"), untrusted.toString());

            // the typed client: the same key and CA file through its environment
            OllamaClient client = OllamaClient.fromEnvironment(Map.of("OLLAMA_HOST", "https://127.0.0.1:" + port,
                    "JOLLAMA_API_KEY", key, "JOLLAMA_CA_CERT", cert.certificate().toString()));
            assertTrue(client.list().models().stream().anyMatch(m -> m.name().equals("mine:latest")));
            OllamaClient keyless = OllamaClient.fromEnvironment(Map.of("OLLAMA_HOST", "https://127.0.0.1:" + port,
                    "JOLLAMA_CA_CERT", cert.certificate().toString()));
            assertEquals(401, assertThrows(OllamaException.class, keyless::list).status());
            keyless.heartbeat(); // GET / and HEAD / stay open

            // revoked while the server runs: refused from the next request
            assertEquals(0, keys(store, "rm", "ops").code());
            assertEquals(401, assertThrows(OllamaException.class, client::list).status());
            synchronized (log) {
                assertTrue(log.stream().anyMatch(l -> l.contains("200 GET /api/tags") && l.endsWith(" key=ops")), "the log names the key: " + log);
            }
        } finally {
            serve.destroy();
            if (!serve.waitFor(10, TimeUnit.SECONDS)) serve.destroyForcibly();
        }
    }

    @Test
    void anExposedServerWithoutKeysWarnsOnce() throws Exception {
        Files.createDirectories(tmp.resolve("home"));
        List<String> log = new ArrayList<>();
        Process serve = serve(Map.of("OLLAMA_MODELS", tmp.resolve("open/models").toString(),
                "OLLAMA_HOST", "0.0.0.0:" + freePort()), log);
        try {
            synchronized (log) {
                assertEquals(1, log.stream().filter(l -> l.contains("with no API keys")).count(), String.join("\n", log));
            }
        } finally {
            serve.destroy();
            if (!serve.waitFor(10, TimeUnit.SECONDS)) serve.destroyForcibly();
        }
    }
}
