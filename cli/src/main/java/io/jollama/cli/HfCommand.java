package io.jollama.cli;

import io.jollama.client.Api.HfQueueRequest;
import io.jollama.client.Api.QueuedResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code jollama hf REPO [--quant Q] [--name N]}: queues the import of a GGUF model from Hugging Face. */
@Command(name = "hf", mixinStandardHelpOptions = true, description = "Queue a GGUF model import from Hugging Face.")
public final class HfCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REPO", description = "The repository, e.g. bartowski/Llama-3.2-1B-Instruct-GGUF.")
    String repo;

    @Option(names = "--quant", paramLabel = "Q", description = "The quantization (default Q4_K_M, else the best available).")
    String quant;

    @Option(names = "--name", paramLabel = "N", description = "The model's name (default hf.co/REPO:QUANT).")
    String name;

    @Override
    public Integer call() {
        Invocation io = Invocation.of(spec);
        QueuedResponse r = Client.connect(io).hfQueue(new HfQueueRequest(repo, quant, name));
        QueueCommand.printQueued(io.out(), r);
        if (r.model() != null) {
            io.out().println("model " + r.model() + (r.files() == null || r.files().isEmpty() ? ""
                    : " from " + String.join(", ", r.files()) + " (" + Human.bytes(r.size()) + ")"));
        }
        return 0;
    }
}
