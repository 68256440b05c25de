package io.jollama.cli;

import io.jollama.engine.model.KvCache;
import io.jollama.engine.model.Models;
import io.jollama.engine.model.Model;
import io.jollama.engine.tensor.ComputePool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code jollama bench MODEL.gguf}: prompt-processing and generation speed in the manner of llama-bench
 * ({@code -p 512 -n 128 -t THREADS -r REPS}), so that the two can be run side by side on one machine.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prompt processing (pp) and generation (tg) speed of a GGUF model, like llama-bench.")
public final class BenchCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", description = "the GGUF file")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", description = "prompt tokens per pp test (0 skips it; default ${DEFAULT-VALUE})")
    int nPrompt;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", description = "generated tokens per tg test (0 skips it; default ${DEFAULT-VALUE})")
    int nGen;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "512", description = "prompt batch size (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = {"-t", "--threads"}, description = "compute threads (default: all cores)")
    Integer threads;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "repetitions of each test (default ${DEFAULT-VALUE})")
    int reps;

    @Option(names = {"-np", "--parallel"}, defaultValue = "1",
            description = "sequences decoded together in one batch per step for the tg test: the figure is their total tokens/s (default ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = "--mmap", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "map the weights from the file instead of reading them into memory (default: read, like llama-bench -mmp 0)")
    boolean mmap;

    @Option(names = "--embed-texts", defaultValue = "64",
            description = "for an embedding model: texts per embed test, of --embed-tokens tokens each, in batches of -b tokens (default ${DEFAULT-VALUE})")
    int embedTexts;

    @Option(names = "--embed-tokens", defaultValue = "16", description = "tokens per text of the embed test (default ${DEFAULT-VALUE})")
    int embedTokens;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model)) {
            System.err.println("Error: " + model + ": no such file");
            return 1;
        }
        if (threads != null) {
            if (threads < 1) {
                System.err.println("Error: --threads must be at least 1");
                return 1;
            }
            System.setProperty("jollama.threads", Integer.toString(threads));
        }
        Model m;
        try {
            m = Models.load(model, mmap);
        } catch (java.io.IOException e) {
            System.err.println("Error: " + e.getMessage());
            return 1;
        }
        try (m) {
            var c = m.config();
            long params = 0;
            for (var t : m.file().tensors()) params += t.elementCount();
            String fileType = m.file().getString("general.file_type", null);
            System.out.printf("| model | size | params | backend | threads | test | t/s |%n");
            System.out.printf("| --- | ---: | ---: | --- | ---: | ---: | ---: |%n");
            String name = String.format("%s %s", c.architecture(), describeType(m));
            String size = String.format("%.2f MiB", (m.file().fileSize() - m.file().dataOffset()) / 1048576.0);
            String ps = params >= 1e9 ? String.format("%.2f B", params / 1e9) : String.format("%.2f M", params / 1e6);
            int ctx = Math.max(nPrompt, 0) + Math.max(nGen, 0) + 1;
            Random random = new Random(1);
            if (m.encoder()) {
                benchEmbed(m, random, name, size, ps);
                return 0;
            }
            // warm-up, as a loaded runner's: prompt batches (float panels) and single-token steps, so that C2 has compiled
            // the kernels (a large kernel runs in C1 code, many times slower, until C2 is done with it)
            try (KvCache cache = m.newCache(Math.max(ctx, 64))) {
                int[] warm = randomTokens(random, c.vocabSize(), 48);
                for (int round = 0; round < 3; round++) m.forward(cache, warm, 0, 32, 0, false);
                for (int i = 0; i < 16; i++) m.forward(cache, warm, 32 + i, 1, 32 + i, false);
            }
            if (nPrompt > 0) {
                double[] tps = new double[reps];
                for (int r = 0; r < reps; r++) {
                    int[] tokens = randomTokens(random, c.vocabSize(), nPrompt);
                    try (KvCache cache = m.newCache(ctx)) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < nPrompt; i += batch) {
                            int n = Math.min(batch, nPrompt - i);
                            m.forward(cache, tokens, i, n, i, false);
                        }
                        tps[r] = nPrompt / ((System.nanoTime() - t0) / 1e9);
                    }
                }
                row(name, size, ps, "pp" + nPrompt, tps);
            }
            if (nGen > 0 && parallel > 1) {
                double[] tps = new double[reps];
                for (int r = 0; r < reps; r++) {
                    KvCache[] caches = new KvCache[parallel];
                    try {
                        for (int s = 0; s < parallel; s++) caches[s] = m.newCache(ctx);
                        int[] tokens = new int[parallel], pos = new int[parallel];
                        long t0 = System.nanoTime();
                        for (int i = 0; i < nGen; i++) {
                            for (int s = 0; s < parallel; s++) {
                                tokens[s] = random.nextInt(c.vocabSize());
                                pos[s] = i;
                            }
                            m.forwardEach(caches, tokens, pos);
                        }
                        tps[r] = (double) parallel * nGen / ((System.nanoTime() - t0) / 1e9);
                    } finally {
                        for (KvCache k : caches) if (k != null) k.close();
                    }
                }
                row(name, size, ps, "tg" + nGen + " x" + parallel, tps);
            }
            if (nGen > 0) {
                double[] tps = new double[reps];
                for (int r = 0; r < reps; r++) {
                    int[] tokens = randomTokens(random, c.vocabSize(), nGen);
                    try (KvCache cache = m.newCache(ctx)) {
                        long t0 = System.nanoTime();
                        for (int i = 0; i < nGen; i++) m.forward(cache, tokens, i, 1, i, false);
                        tps[r] = nGen / ((System.nanoTime() - t0) / 1e9);
                    }
                }
                row(name, size, ps, "tg" + nGen, tps);
            }
        }
        return 0;
    }

    /**
     * An embedding model's test: {@code embedTexts} texts of {@code embedTokens} tokens embedded as the server does
     * (as many texts per forward pass as {@code -b} tokens hold); the figure is texts per second.
     */
    private void benchEmbed(Model m, Random random, String name, String size, String ps) {
        int vocab = m.config().vocabSize();
        java.util.List<int[]> texts = new java.util.ArrayList<>();
        for (int i = 0; i < embedTexts; i++) texts.add(randomTokens(random, vocab, embedTokens));
        int perPass = Math.max(1, batch / embedTokens);
        for (int round = 0; round < 3; round++) m.embed(texts.subList(0, Math.min(perPass, texts.size())));
        double[] rate = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < texts.size(); i += perPass) m.embed(texts.subList(i, Math.min(texts.size(), i + perPass)));
            rate[r] = texts.size() / ((System.nanoTime() - t0) / 1e9);
        }
        row(name, size, ps, "embed " + embedTexts + "x" + embedTokens + " (texts/s)", rate);
    }

    /** The file type as llama-bench names it ({@code general.file_type}), else the type holding most bytes. */
    private static String describeType(Model m) {
        var ft = io.jollama.engine.tensor.FileType.byId(m.file().getInt("general.file_type", -1));
        if (ft != null) return ft.displayName;
        var counts = new java.util.TreeMap<String, Long>();
        for (var t : m.file().tensors()) if (t.shape().length > 1) counts.merge(t.type().name(), t.byteSize(), Long::sum);
        return counts.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).map(java.util.Map.Entry::getKey).orElse("?");
    }

    private void row(String name, String size, String params, String test, double[] tps) {
        double mean = 0;
        for (double v : tps) mean += v;
        mean /= tps.length;
        double var = 0;
        for (double v : tps) var += (v - mean) * (v - mean);
        double sd = tps.length > 1 ? Math.sqrt(var / (tps.length - 1)) : 0;
        System.out.printf("| %s | %s | %s | Java | %d | %s | %.2f ± %.2f |%n", name, size, params, ComputePool.threads(), test, mean, sd);
        System.out.flush();
    }

    private static int[] randomTokens(Random r, int vocab, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }
}
