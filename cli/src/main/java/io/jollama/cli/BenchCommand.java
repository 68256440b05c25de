package io.jollama.cli;

import io.jollama.engine.grammar.Grammar;
import io.jollama.engine.grammar.GrammarConstraint;
import io.jollama.engine.grammar.TokenTrie;
import io.jollama.engine.model.KvCache;
import io.jollama.engine.model.Models;
import io.jollama.engine.model.Model;
import io.jollama.engine.runner.GenerateOptions;
import io.jollama.engine.runner.GenerationResult;
import io.jollama.engine.runner.Runner;
import io.jollama.engine.runner.Sequence;
import io.jollama.engine.sample.SamplerOptions;
import io.jollama.engine.tensor.ComputePool;
import io.jollama.engine.tokenizer.Tokenizer;
import io.jollama.server.Json;
import io.jollama.server.schema.SchemaGrammar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    @Option(names = "--format-schema", paramLabel = "FILE",
            description = "also measure sampled generation free and constrained to this JSON schema's grammar (structured outputs)")
    Path formatSchema;

    @Option(names = "--json", description = "also measure sampled generation free and in JSON mode (format: json)")
    boolean json;

    @Option(names = "--mmap", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "map the weights from the file instead of reading them into memory (default: read, like llama-bench -mmp 0)")
    boolean mmap;

    @Option(names = "--embed-texts", defaultValue = "64",
            description = "for an embedding model: texts per embed test, of --embed-tokens tokens each, in batches of -b tokens (default ${DEFAULT-VALUE})")
    int embedTexts;

    @Option(names = "--embed-tokens", defaultValue = "16", description = "tokens per text of the embed test (default ${DEFAULT-VALUE})")
    int embedTokens;

    @Option(names = "--mmproj", paramLabel = "FILE",
            description = "a vision projector for the model: measure encoding one image instead (milliseconds per image)")
    Path mmproj;

    @Option(names = "--image", paramLabel = "FILE", description = "the image --mmproj encodes (JPEG, PNG or WebP; default: a generated 640x480 picture)")
    Path image;

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
            if (mmproj != null) return benchImage(m, random);
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
            if (nGen > 0 && (formatSchema != null || json)) {
                Grammar grammar = null;
                if (formatSchema != null) {
                    try {
                        grammar = Grammar.parse(SchemaGrammar.gbnf(Json.MAPPER.readValue(Files.readString(formatSchema), Object.class)));
                    } catch (IllegalArgumentException | tools.jackson.core.JacksonException e) {
                        System.err.println("Error: " + formatSchema + ": " + e.getMessage());
                        return 1;
                    }
                }
                Runner runner = new Runner(m, Tokenizer.fromGguf(m.file()), ctx + 16, batch, KvCache.Type.F16);
                sampled(runner, name, size, ps, "tg" + nGen + " sampled", new GenerateOptions(nGen, List.of(), SamplerOptions.DEFAULTS.withSeed(1), 4, true));
                if (json) {
                    sampled(runner, name, size, ps, "tg" + nGen + " sampled json", new GenerateOptions(nGen, List.of(), SamplerOptions.DEFAULTS.withSeed(1), 4, true, true));
                }
                if (grammar != null) {
                    sampled(runner, name, size, ps, "tg" + nGen + " sampled schema", new GenerateOptions(nGen, List.of(), SamplerOptions.DEFAULTS.withSeed(1), 4, true, true, grammar));
                }
                runner.close(); // closes the model too (twice is harmless)
            }
        }
        return 0;
    }

    /**
     * Generation as a request runs it (sampling, and the format constraint if any) from a short prompt: tokens/s over
     * the generated tokens; a grammar that completes early ends a run early. The first run also warms up.
     */
    private void sampled(Runner runner, String name, String size, String ps, String test, GenerateOptions opts) {
        int[] prompt = runner.tokenizer().encode("Once upon a time", true, false);
        double[] tps = new double[reps];
        int tokens = 0;
        for (int r = -1; r < reps; r++) {
            try (Sequence seq = runner.newSequence()) {
                GenerationResult g = seq.generate(prompt, opts, text -> {}, () -> false);
                if (r >= 0) {
                    tps[r] = g.evalCount() / (g.evalNanos() / 1e9);
                    tokens += g.evalCount();
                }
            }
        }
        row(name, size, ps, test + String.format(" (%.0f tokens/run)", (double) tokens / reps), tps);
        if (opts.grammar() != null) constraintCost(runner, opts, prompt, tps);
    }

    /**
     * The constraint's own work, apart from the model (robust on a busy machine): one run's tokens replayed through a
     * fresh constraint, each step's allowed-token mask and the token's acceptance timed, against the decode step.
     */
    private static void constraintCost(Runner runner, GenerateOptions opts, int[] prompt, double[] tps) {
        int[] generated;
        try (Sequence seq = runner.newSequence()) {
            int[] context = seq.generate(prompt, opts, text -> {}, () -> false).context();
            generated = java.util.Arrays.copyOfRange(context, prompt.length, context.length);
        }
        int vocab = runner.model().config().vocabSize();
        float[] logits = new float[vocab], masked = new float[vocab];
        TokenTrie trie = TokenTrie.of(runner.tokenizer());
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            GrammarConstraint c = new GrammarConstraint(opts.grammar(), trie);
            long t0 = System.nanoTime();
            for (int token : generated) {
                c.mask(logits, vocab, masked);
                c.accept(token);
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        double mean = 0;
        for (double v : tps) mean += v;
        double stepMs = 1000 / (mean / tps.length), constraintMs = best / 1e6 / Math.max(1, generated.length);
        System.out.printf("  constraint alone, a full mask at every step (the worst case: the model's own choice refused every time): "
                        + "%.3f ms/token over %d tokens, %.1f %% of the %.1f ms step%n",
                constraintMs, generated.length, 100 * constraintMs / stepMs, stepMs);
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

    /**
     * Encoding one image with a vision projector (preprocessing, the vision tower and the projection, as a prompt's
     * image is encoded), after one warm-up encoding; the figure is milliseconds per image.
     */
    private int benchImage(Model m, Random random) throws java.io.IOException {
        io.jollama.engine.vision.RgbImage img;
        if (image != null) {
            try {
                img = io.jollama.server.image.ImageDecoder.decode(Files.readAllBytes(image));
            } catch (io.jollama.server.image.ImageDecoder.ImageException e) {
                System.err.println("Error: " + image + ": " + e.getMessage());
                return 1;
            }
        } else {
            byte[] rgb = new byte[3 * 640 * 480];
            random.nextBytes(rgb);
            img = new io.jollama.engine.vision.RgbImage(640, 480, rgb);
        }
        try (var vision = io.jollama.engine.vision.VisionModel.load(mmproj, this.mmap, m.config().dim())) {
            long params = 0;
            for (var t : vision.file().tensors()) params += t.elementCount();
            String name = "clip " + vision.projectorType() + " " + vision.preprocessor().size() + "px";
            String size = String.format("%.2f MiB", (vision.file().fileSize() - vision.file().dataOffset()) / 1048576.0);
            String ps = String.format("%.2f M", params / 1e6);
            vision.encode(img);
            double[] ms = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                vision.encode(img);
                ms[r] = (System.nanoTime() - t0) / 1e6;
            }
            row(name, size, ps, "image encode " + vision.tokensPerImage() + " tokens (ms)", ms);
        } catch (java.io.IOException e) {
            System.err.println("Error: " + e.getMessage());
            return 1;
        }
        return 0;
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
