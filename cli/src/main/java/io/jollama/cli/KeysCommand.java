package io.jollama.cli;

import io.jollama.server.ServerConfig;
import io.jollama.server.auth.ApiKey;
import io.jollama.server.auth.KeyFile;
import io.jollama.server.auth.Scope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code jollama keys}: the server's API keys, in the key file beside the model store ({@code OLLAMA_MODELS}), with or
 * without a running server (a running one sees a change at its next request). The file keeps only digests, so a key
 * is shown once, when it is added.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "List the API keys (with keys, the server wants 'Authorization: Bearer <key>').",
        subcommands = {KeysCommand.Add.class, KeysCommand.Remove.class, KeysCommand.ListKeys.class},
        footer = {"", "Scopes: inference (generate, chat, embed, /v1), read (tags, show, ps, version, catalog, queue),",
                "pull (pull, the download queue, Hugging Face import), manage (create, copy, delete, push, blobs).",
                "The key file is jollama-keys.json beside OLLAMA_MODELS (JOLLAMA_KEYS_FILE to choose another).",
                "Clients send the key as 'Authorization: Bearer <key>'; this CLI reads it from JOLLAMA_API_KEY."})
public final class KeysCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    static KeyFile keyFile(Invocation io) {
        return KeyFile.of(ServerConfig.fromEnv(io.env()));
    }

    @Override
    public Integer call() {
        Invocation io = Invocation.of(spec);
        return ListKeys.print(io.out(), keyFile(io));
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a key and print it (once).")
    static final class Add implements Callable<Integer> {

        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME", description = "Who or what holds the key (letters, digits, . _ -).")
        String name;

        @Option(names = "--scope", required = true, paramLabel = "SCOPES",
                description = "Comma-separated: inference, read, pull, manage.")
        String scopes;

        @Override
        public Integer call() {
            Set<Scope> s = Scope.parseList(scopes);
            Invocation io = Invocation.of(spec);
            PrintStream out = io.out();
            KeyFile file = keyFile(io);
            boolean first = file.read().isEmpty();
            String key = file.add(name, s, Instant.now());
            out.println("Added key " + name + " (" + wire(s) + ") to " + file.path() + ".");
            if (first) out.println("Access control is on: every request now needs a key (GET / stays open).");
            out.println("The key is shown only now; keep it (clients send 'Authorization: Bearer <key>'):");
            out.println(key);
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Revoke a key.")
    static final class Remove implements Callable<Integer> {

        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            Invocation io = Invocation.of(spec);
            KeyFile file = keyFile(io);
            if (!file.remove(name)) throw new IllegalArgumentException("no key named \"" + name + "\" in " + file.path());
            io.out().println("Removed key " + name + ".");
            if (file.read().isEmpty()) {
                io.out().println("No keys are left: access control is off, the server answers every request again.");
            }
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List the keys.")
    static final class ListKeys implements Callable<Integer> {

        @Spec
        CommandSpec spec;
        @Override
        public Integer call() {
            Invocation io = Invocation.of(spec);
            return print(io.out(), keyFile(io));
        }

        static int print(PrintStream out, KeyFile file) {
            List<ApiKey> keys = file.read();
            if (keys.isEmpty()) {
                out.println("No API keys (" + file.path() + "): access control is off.");
                return 0;
            }
            Table t = new Table("NAME", "SCOPES", "CREATED");
            OffsetDateTime now = OffsetDateTime.now();
            for (ApiKey k : keys) {
                t.row(k.name(), wire(k.scopes()), Human.relative(k.createdAt().atZone(ZoneId.systemDefault()).toOffsetDateTime(), now));
            }
            t.print(out);
            return 0;
        }
    }

    private static String wire(Set<Scope> scopes) {
        return scopes.stream().sorted().map(Scope::wire).collect(Collectors.joining(","));
    }
}
