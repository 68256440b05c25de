package io.jollama.server;

/**
 * A Jollama server in a process of its own, configured by the environment like {@code jollama serve}; prints
 * {@code PORT <n>} when it listens. Tests kill it with SIGKILL to simulate a crash.
 */
public final class ServerProcess {

    private ServerProcess() {}

    public static void main(String[] args) throws InterruptedException {
        JollamaServer server = JollamaServer.start(ServerConfig.fromEnv());
        System.out.println("PORT " + server.port());
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Starts one with {@code env} added to this JVM's environment. */
    public static Process start(java.util.Map<String, String> env, java.nio.file.Path log) throws java.io.IOException {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) cp = System.getProperty("java.class.path");
        ProcessBuilder pb = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", cp, ServerProcess.class.getName());
        pb.environment().putAll(env);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    /** Waits for the {@code PORT} line in the log. */
    public static int awaitPort(Process p, java.nio.file.Path log) throws java.io.IOException, InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < end) {
            for (String line : java.nio.file.Files.readAllLines(log)) {
                if (line.startsWith("PORT ")) return Integer.parseInt(line.substring(5).strip());
            }
            if (!p.isAlive()) throw new IllegalStateException("server process exited: " + java.nio.file.Files.readString(log));
            Thread.sleep(20);
        }
        throw new IllegalStateException("server process did not start: " + java.nio.file.Files.readString(log));
    }
}
