package io.jollama.cli;

import io.jollama.client.Api.PullRequest;
import io.jollama.client.OllamaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code jollama pull MODEL}: downloads a model from its registry, with a progress bar per layer. */
@Command(name = "pull", mixinStandardHelpOptions = true, description = "Pull a model from a registry.")
public final class PullCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Option(names = "--insecure", description = "Use an insecure registry.")
    boolean insecure;

    @Option(names = "--queue", description = "Add the pull to the server's download queue instead of downloading now.")
    boolean queue;

    @Override
    public Integer call() {
        Invocation io = Invocation.of(spec);
        if (queue) {
            QueueCommand.printQueued(io.out(), Client.connect(io).pullQueued(model, insecure));
            return 0;
        }
        pull(io, Client.connect(io), model, insecure);
        return 0;
    }

    static void pull(Invocation io, OllamaClient client, String model, boolean insecure) {
        try (ProgressView view = new ProgressView(io.out(), io.stdoutTerminal(), ProgressView.Kind.PULL)) {
            client.pull(new PullRequest(model, insecure ? true : null, null), view::update);
        }
    }
}
