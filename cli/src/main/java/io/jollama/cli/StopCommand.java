package io.jollama.cli;

import io.jollama.client.Api.GenerateRequest;
import io.jollama.client.OllamaClient;
import io.jollama.client.OllamaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code jollama stop MODEL}: unloads a running model (a generate with no prompt and {@code keep_alive: 0}). */
@Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop a running model.")
public final class StopCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Override
    public Integer call() {
        try {
            unload(Client.connect(Invocation.of(spec)), model);
        } catch (OllamaException e) {
            if (e.status() == 404) throw new OllamaException(404, "couldn't find model \"" + model + "\" to stop");
            throw e;
        }
        return 0;
    }

    static void unload(OllamaClient client, String model) {
        client.generate(new GenerateRequest(model, "", null, null, null, null, 0, null, null, null), r -> {});
    }
}
