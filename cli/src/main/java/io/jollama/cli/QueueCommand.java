package io.jollama.cli;

import io.jollama.client.Api.QueueItem;
import io.jollama.client.Api.QueueResponse;
import io.jollama.client.Api.QueuedResponse;
import io.jollama.client.Api.RecentItem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code jollama queue}: the server's download queue with progress; {@code queue rm NAME} removes a pending entry,
 * {@code queue run} processes the queue now (outside the off-peak window).
 */
@Command(name = "queue", mixinStandardHelpOptions = true, description = "List the download queue.",
        subcommands = {QueueCommand.Remove.class, QueueCommand.Run.class})
public final class QueueCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Invocation io = Invocation.of(spec);
        QueueResponse q = Client.connect(io).queue();
        OffsetDateTime now = OffsetDateTime.now();
        Table t = new Table("ID", "MODEL", "TYPE", "STATUS", "PROGRESS", "QUEUED");
        for (QueueItem e : q.queue()) {
            String status = e.status() + (e.attempts() > 0 ? " (attempt " + (e.attempts() + 1) + ")" : "");
            t.row(Long.toString(e.id()), e.model(), e.type(), status, progress(e.completed(), e.total()),
                    e.createdAt() == null ? "" : Human.relative(e.createdAt(), now));
        }
        t.print(io.out());
        if (!q.recent().isEmpty()) {
            io.out().println();
            Table r = new Table("ID", "MODEL", "RESULT", "FINISHED");
            for (RecentItem e : q.recent()) {
                String result = e.error() == null || e.error().isEmpty() ? e.status() : e.status() + ": " + e.error();
                r.row(Long.toString(e.id()), e.model(), result, e.updatedAt() == null ? "" : Human.relative(e.updatedAt(), now));
            }
            r.print(io.out());
        }
        return 0;
    }

    static String progress(long completed, long total) {
        if (total <= 0) return completed > 0 ? Human.bytes(completed) : "-";
        return String.format(Locale.ROOT, "%d%% (%s/%s)", completed * 100 / total, Human.bytes(completed), Human.bytes(total));
    }

    static void printQueued(PrintStream out, QueuedResponse r) {
        out.println(r.message() + (r.queueId() > 0 ? " (queue id " + r.queueId() + ")" : ""));
        if (r.rateLimit() != null) {
            out.println(r.rateLimit().remaining() + " of " + r.rateLimit().limit() + " queue requests left today");
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove a pending download from the queue.")
    static final class Remove implements Callable<Integer> {

        @Spec
        CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            Invocation io = Invocation.of(spec);
            Client.connect(io).queueRemove(name);
            io.out().println("removed '" + name + "' from the download queue");
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Process the download queue now, outside the off-peak window.")
    static final class Run implements Callable<Integer> {

        @Spec
        CommandSpec spec;
        @Override
        public Integer call() {
            Invocation io = Invocation.of(spec);
            QueuedResponse r = Client.connect(io).queueRun();
            io.out().println("processing the download queue now (" + r.pending() + " pending)");
            return 0;
        }
    }
}
