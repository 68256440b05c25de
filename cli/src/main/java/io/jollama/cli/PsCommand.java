package io.jollama.cli;

import io.jollama.client.Api.ProcessModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jollama ps [PREFIX]}: the loaded models with their size, processor, context and unload time. */
@Command(name = "ps", mixinStandardHelpOptions = true, description = "List running models.")
public final class PsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "PREFIX", description = "Only models whose name starts with this.")
    String prefix;

    @Override
    public Integer call() {
        Invocation io = Invocation.of(spec);
        var models = Client.connect(io).ps().models();
        OffsetDateTime now = OffsetDateTime.now();
        Table t = new Table("NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL");
        for (ProcessModel m : models) {
            if (prefix != null && !m.name().toLowerCase(Locale.ROOT).startsWith(prefix.toLowerCase(Locale.ROOT))) continue;
            String id = m.digest() == null ? "" : m.digest().substring(0, Math.min(12, m.digest().length()));
            String until = m.expiresAt() == null ? "Forever"
                    : m.expiresAt().isBefore(now) ? "Stopping..." : Human.relative(m.expiresAt(), now);
            t.row(m.name(), id, Human.bytes(m.size()), processor(m), String.valueOf(m.contextLength()), until);
        }
        t.print(io.out());
        return 0;
    }

    private static String processor(ProcessModel m) {
        if (m.size() <= 0) return "Unknown";
        if (m.sizeVram() <= 0) return "100% CPU";
        if (m.sizeVram() >= m.size()) return "100% GPU";
        long gpu = Math.round(100.0 * m.sizeVram() / m.size());
        return (100 - gpu) + "%/" + gpu + "% CPU/GPU";
    }
}
