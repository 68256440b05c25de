package io.jollama.cli;

import io.jollama.client.OllamaClient;
import io.jollama.client.OllamaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code jollama rm MODEL...}: unloads and deletes each model. */
@Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove a model.")
public final class RemoveCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "MODEL")
    List<String> models;

    @Override
    public Integer call() {
        Invocation io = Invocation.of(spec);
        OllamaClient client = Client.connect(io);
        for (String m : models) {
            try {
                StopCommand.unload(client, m);
            } catch (OllamaException e) {
                // not found is reported by the delete below; a server without /api/generate cannot have it loaded
                if (e.status() != 404 && e.status() != 405) io.err().println("Warning: unable to stop model '" + m + "'");
            }
            client.delete(m);
            io.out().println("deleted '" + m + "'");
        }
        return 0;
    }
}
