package io.jollama.cli;

import io.jollama.client.Gallery;
import io.jollama.client.OllamaClient;
import io.jollama.client.OllamaException;
import io.jollama.server.catalog.CatalogFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code jollama catalog refresh|export}: the server's library catalog. */
@Command(name = "catalog", mixinStandardHelpOptions = true, description = "Refresh or export the model library catalog.",
        subcommands = {CatalogCommand.Refresh.class, CatalogCommand.Export.class})
public final class CatalogCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        new CommandLine(this).usage(Invocation.of(spec).out());
    }

    /** {@code jollama catalog refresh}: reads the library now (the server's JOLLAMA_LIBRARY_URL). */
    @Command(name = "refresh", mixinStandardHelpOptions = true, description = "Refresh the catalog from the library now.")
    static final class Refresh implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Invocation io = Invocation.of(spec);
            PrintStream out = io.out();
            boolean tty = io.stdoutTerminal();
            String[] lastStatus = {""};
            Gallery.RefreshProgress done = Client.connect(io).galleryRefresh(p -> {
                if ("success".equals(p.status())) return;
                if (p.total() > 0 && tty) {
                    out.print("\r" + p.status() + " " + p.completed() + "/" + p.total());
                    if (p.completed() == p.total()) out.println();
                } else if (!p.status().equals(lastStatus[0])) {
                    out.println(p.status() + (p.total() > 0 ? " (" + p.total() + ")" : ""));
                }
                lastStatus[0] = p.status();
            });
            out.println("catalog refreshed: " + done.models() + " models, " + done.scraped() + " tags pages read ("
                    + done.tags() + " tags), " + done.failed() + " failed");
            return 0;
        }
    }

    /** {@code jollama catalog export DIR}: the six documents as files, a drop-in for the gallery's {@code data/}. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write the catalog's documents to DIR, laid out as the gallery's data/ folder.")
    static final class Export implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR")
        Path dir;

        @Override
        public Integer call() throws IOException {
            Invocation io = Invocation.of(spec);
            OllamaClient client = Client.connect(io);
            JsonMapper json = JsonMapper.builder().build();
            byte[] models = client.galleryDocument("models.json");
            byte[] tags = client.galleryDocument("tags.json");
            byte[] modelsStatus = client.galleryDocument("models_status.json");
            byte[] tagsStatus = client.galleryDocument("tags_status.json");
            Files.createDirectories(dir.resolve("models"));
            Files.createDirectories(dir.resolve("tags"));
            Set<String> tagModels = new LinkedHashSet<>(json.readTree(tags).propertyNames());
            Set<String> modelNames = new LinkedHashSet<>(json.readTree(models).propertyNames());
            modelNames.addAll(tagModels); // models that left the library keep their files, as in the gallery
            int modelFiles = 0, tagFiles = 0;
            for (String m : modelNames) {
                if (!CatalogFiles.isFileName(m)) continue;
                try {
                    write(dir.resolve("models").resolve(m + ".json"), client.galleryDocument("models/" + m + ".json"));
                    modelFiles++;
                } catch (OllamaException e) {
                    if (e.status() != 404) throw e;
                }
                if (tagModels.contains(m)) {
                    write(dir.resolve("tags").resolve(m + ".json"), client.galleryDocument("tags/" + m + ".json"));
                    tagFiles++;
                }
            }
            write(dir.resolve("tags.json"), tags);
            write(dir.resolve("models.json"), models);
            write(dir.resolve("tags_status.json"), tagsStatus);
            write(dir.resolve("models_status.json"), modelsStatus);
            JsonNode status = json.readTree(modelsStatus);
            io.out().println("exported the catalog of " + status.path("api_data_updated").asString("?") + " to " + dir
                    + ": 6 documents (" + modelFiles + " model files, " + tagFiles + " tags files)");
            return 0;
        }

        private static void write(Path target, byte[] bytes) throws IOException {
            CatalogFiles.atomicWrite(target, bytes);
        }
    }
}
