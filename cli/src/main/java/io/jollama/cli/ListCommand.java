package io.jollama.cli;

import io.jollama.client.Api.ListModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jollama list [PREFIX]}: the local models as a NAME / ID / SIZE / MODIFIED table. */
@Command(name = "list", aliases = {"ls"}, mixinStandardHelpOptions = true, description = "List models.")
public final class ListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "PREFIX", description = "Only models whose name starts with this.")
    String prefix;

    @Override
    public Integer call() {
        Invocation io = Invocation.of(spec);
        var models = Client.connect(io).list().models();
        OffsetDateTime now = OffsetDateTime.now();
        Table t = new Table("NAME", "ID", "SIZE", "MODIFIED");
        for (ListModel m : models) {
            if (prefix != null && !m.name().toLowerCase(Locale.ROOT).startsWith(prefix.toLowerCase(Locale.ROOT))) continue;
            String id = m.digest() == null ? "" : m.digest().substring(0, Math.min(12, m.digest().length()));
            t.row(m.name(), id, m.size() > 0 ? Human.bytes(m.size()) : "-", Human.relative(m.modifiedAt(), now));
        }
        t.print(io.out());
        return 0;
    }
}
