package io.jollama.cli;

import io.jollama.client.Api.PushRequest;
import io.jollama.client.OllamaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code jollama push MODEL}: uploads a model to its registry, with a progress bar per layer. */
@Command(name = "push", mixinStandardHelpOptions = true, description = "Push a model to a registry.")
public final class PushCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Option(names = "--insecure", description = "Use an insecure registry.")
    boolean insecure;

    @Override
    public Integer call() {
        Invocation io = Invocation.of(spec);
        OllamaClient client = Client.connect(io);
        try (ProgressView view = new ProgressView(io.out(), io.stdoutTerminal(), ProgressView.Kind.PUSH)) {
            client.push(new PushRequest(model, insecure ? true : null, null), view::update);
        }
        return 0;
    }
}
