package io.jollama.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code jollama cp SOURCE DESTINATION}. */
@Command(name = "cp", mixinStandardHelpOptions = true, description = "Copy a model.")
public final class CopyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SOURCE")
    String source;

    @Parameters(index = "1", paramLabel = "DESTINATION")
    String destination;

    @Override
    public Integer call() {
        Client.connect(Invocation.of(spec)).copy(source, destination);
        Invocation.of(spec).out().println("copied '" + source + "' to '" + destination + "'");
        return 0;
    }
}
