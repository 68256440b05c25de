package io.jollama.engine.runner;

import io.jollama.engine.model.KvCache;
import io.jollama.engine.model.Models;
import io.jollama.engine.model.Model;
import io.jollama.engine.tokenizer.Tokenizer;
import io.jollama.engine.vision.VisionModel;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.nio.file.Path;

/**
 * A loaded model ready to generate: the weights, the tokenizer and the load-time settings
 * ({@code num_ctx}, {@code num_batch}). Sequences (KV caches) are made per concurrent request slot.
 * <p>
 * Every forward pass of its sequences runs on the runner's own engine thread, a platform thread (so the compute
 * pool can use it as one of its workers), one pass at a time: prompt batches in turn, and the decode steps of
 * all generating sequences batched into one pass ({@link DecodeBatcher}).
 */
public final class Runner implements AutoCloseable {
    private final Model model;
    private final Tokenizer tokenizer;
    private final int numCtx;
    private final int numBatch;
    private final KvCache.Type kvType;
    private final ExecutorService engine;
    private final DecodeBatcher batcher;
    private volatile VisionModel vision;
    private volatile String visionProblem;
    /** The rows of recently encoded images by the SHA-256 of their pixels (a chat sends the same image every turn). */
    private final java.util.Map<String, float[]> encoded = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, float[]> eldest) {
            return size() > 8;
        }
    });

    public Runner(Model model, Tokenizer tokenizer, int numCtx, int numBatch, KvCache.Type kvType) {
        this.engine = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jollama-engine");
            t.setDaemon(true);
            return t;
        });
        this.batcher = new DecodeBatcher(model, engine);
        this.model = model;
        this.tokenizer = tokenizer;
        this.numCtx = Math.max(4, Math.min(numCtx, model.config().contextLength()));
        this.numBatch = Math.max(1, numBatch);
        this.kvType = kvType;
    }

    /** Loads a GGUF file: mapped when {@code mmap}, else read into off-heap memory; an F16 KV cache. */
    public static Runner load(Path gguf, int numCtx, int numBatch, boolean mmap) throws IOException {
        return load(gguf, numCtx, numBatch, mmap, KvCache.Type.F16);
    }

    public static Runner load(Path gguf, int numCtx, int numBatch, boolean mmap, KvCache.Type kvType) throws IOException {
        return load(java.util.List.of(gguf), numCtx, numBatch, mmap, kvType);
    }

    /** A model in one GGUF file or split over several shards (in shard order). */
    public static Runner load(java.util.List<Path> shards, int numCtx, int numBatch, boolean mmap, KvCache.Type kvType)
            throws IOException {
        return load(shards, numCtx, numBatch, mmap, kvType, java.util.List.of());
    }

    /**
     * A model with LoRA adapters merged into its weights at load ({@link io.jollama.engine.lora.LoraMerge}); with
     * adapters the weights are read into memory whatever {@code mmap} says, since merging writes them.
     */
    public static Runner load(java.util.List<Path> shards, int numCtx, int numBatch, boolean mmap, KvCache.Type kvType,
                              java.util.List<Path> adapters) throws IOException {
        Model model = adapters.isEmpty() ? Models.load(shards, mmap) : withAdapters(shards, adapters);
        try {
            return new Runner(model, Tokenizer.fromGguf(model.file()), numCtx, numBatch, kvType);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static Model withAdapters(java.util.List<Path> shards, java.util.List<Path> adapters) throws IOException {
        io.jollama.engine.gguf.GgufFile file = shards.size() == 1 ? io.jollama.engine.gguf.GgufFile.open(shards.getFirst(), false)
                : io.jollama.engine.gguf.GgufFile.openSplit(shards, false);
        try {
            java.util.List<io.jollama.engine.gguf.GgufFile> opened = new java.util.ArrayList<>();
            try {
                for (Path a : adapters) opened.add(io.jollama.engine.gguf.GgufFile.open(a, true));
                io.jollama.engine.lora.LoraMerge.apply(file, opened);
            } finally {
                for (var a : opened) a.close();
            }
            return Models.of(file);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * Loads a vision projector ({@code mmproj} GGUF) for this model: prompts may then hold images ({@link #prompt}).
     * Fails, leaving the runner as it was, when the file is not a supported projector or does not fit the model.
     */
    public void attachVision(Path projector, boolean mmap) throws IOException {
        VisionModel v;
        try {
            v = VisionModel.load(projector, mmap, model.config().dim());
        } catch (IOException | RuntimeException e) {
            visionProblem = e.getMessage();
            throw e;
        }
        VisionModel old = vision;
        vision = v;
        visionProblem = null;
        if (old != null) old.close();
    }

    /** Why the last projector given to {@link #attachVision} could not be used, or null. */
    public String visionProblem() {
        return visionProblem;
    }

    /** Whether prompts may hold images. */
    public boolean vision() {
        return vision != null;
    }

    /**
     * A prompt from text and images, as llama.cpp's mtmd builds it: BOS first when the vocabulary adds it, each text
     * part tokenized on its own (special tokens parsed), each image between its projector's begin and end texts
     * (Gemma 3: {@code <start_of_image>} ... {@code <end_of_image>}) as rows of input vectors. Images are encoded on
     * the engine thread.
     *
     * @throws IllegalStateException when the parts hold an image and the model has no projector
     */
    public Prompt prompt(java.util.List<Prompt.Part> parts) {
        return prompt(parts, () -> false);
    }

    /**
     * As {@link #prompt(java.util.List)}; {@code cancelled} is checked between images and between the layers of
     * an image's encoding, and a cancelled prompt ends with a {@link java.util.concurrent.CancellationException}.
     */
    public Prompt prompt(java.util.List<Prompt.Part> parts, java.util.function.BooleanSupplier cancelled) {
        VisionModel v = vision;
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        java.util.List<Prompt.Image> images = new java.util.ArrayList<>();
        if (tokenizer.addBos() && tokenizer.bos() >= 0) ids.add(tokenizer.bos());
        for (Prompt.Part part : parts) {
            switch (part) {
                case Prompt.Part.Text t -> add(ids, tokenizer.encode(t.text(), false, true));
                case Prompt.Part.Picture p -> {
                    if (v == null) throw new IllegalStateException("this model has no vision projector");
                    if (!v.imageBegin().isEmpty()) add(ids, tokenizer.encode(v.imageBegin(), false, true));
                    String key = digest(p.image());
                    float[] rows = encoded.get(key);
                    if (rows == null) {
                        if (cancelled.getAsBoolean()) throw new java.util.concurrent.CancellationException("prompt cancelled");
                        rows = onEngine(() -> v.encode(p.image(), cancelled));
                        encoded.put(key, rows);
                    }
                    int n = rows.length / model.config().dim();
                    images.add(new Prompt.Image(ids.size(), n, rows, v.bidirectional()));
                    // the same image gets the same placeholder, so a cached prompt prefix with it is reused
                    int placeholder = -1 - (key.hashCode() & 0x3fffffff);
                    for (int i = 0; i < n; i++) ids.add(placeholder);
                    if (!v.imageEnd().isEmpty()) add(ids, tokenizer.encode(v.imageEnd(), false, true));
                }
            }
        }
        if (tokenizer.addEos() && tokenizer.eos() >= 0) ids.add(tokenizer.eos());
        int[] tokens = new int[ids.size()];
        for (int i = 0; i < tokens.length; i++) tokens[i] = ids.get(i);
        return new Prompt(tokens, images);
    }

    private static void add(java.util.List<Integer> ids, int[] tokens) {
        for (int t : tokens) ids.add(t);
    }

    private static String digest(io.jollama.engine.vision.RgbImage image) {
        try {
            var md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(java.nio.ByteBuffer.allocate(8).putInt(image.width()).putInt(image.height()).array());
            return java.util.HexFormat.of().formatHex(md.digest(image.rgb()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Model model() { return model; }
    public Tokenizer tokenizer() { return tokenizer; }
    public int numCtx() { return numCtx; }
    public int numBatch() { return numBatch; }
    public KvCache.Type kvType() { return kvType; }

    public Sequence newSequence() {
        return new Sequence(this, numCtx, numBatch, kvType);
    }

    DecodeBatcher batcher() {
        return batcher;
    }

    /**
     * An encoder's embeddings of the inputs (each at most {@code numCtx} tokens), pooled as the model says and not
     * normalised: as many inputs per forward pass as {@code numBatch} tokens hold (at least one).
     */
    public java.util.List<float[]> embed(java.util.List<int[]> inputs) {
        if (!model.encoder()) throw new UnsupportedOperationException("embeddings of a decoder come from a sequence");
        java.util.List<float[]> out = new java.util.ArrayList<>(inputs.size());
        int i = 0;
        while (i < inputs.size()) {
            int from = i, tokens = 0;
            do {
                int len = inputs.get(i).length;
                if (len == 0 || len > numCtx) throw new IllegalArgumentException("input of " + len + " tokens does not fit the context of " + numCtx);
                tokens += len;
                i++;
            } while (i < inputs.size() && tokens + inputs.get(i).length <= Math.max(numBatch, numCtx));
            java.util.List<int[]> part = inputs.subList(from, i);
            out.addAll(onEngine(() -> model.embed(part)));
        }
        return out;
    }

    /** Decode steps run so far and the tokens they decoded (tokens / steps = the mean batch of parallel decoding). */
    public long[] decodeStats() {
        return batcher.stats();
    }

    /** Runs a forward pass on the engine thread and waits for it (uninterruptibly: the pass uses the caller's cache). */
    <T> T onEngine(Callable<T> pass) {
        Future<T> f = engine.submit(pass);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException re) throw re;
                    if (c instanceof Error err) throw err;
                    throw new IllegalStateException(c);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Forward passes through both code paths, so that the first request runs compiled code: a few prompt batches
     * (matrix×matrix kernels, batched attention) and a run of single-token steps (matrix×vector kernels). The
     * cache is thrown away afterwards.
     */
    public void warmUp() {
        if (model.encoder()) {
            int len = Math.min(numCtx, 16);
            int[] tokens = new int[len];
            for (int i = 0; i < len; i++) tokens[i] = (int) ((i * 2654435761L + 1) % model.config().vocabSize());
            for (int round = 0; round < 3; round++) model.embed(java.util.List.of(tokens, tokens));
            return;
        }
        var cache = model.newCache(numCtx);
        try (cache) {
            int batch = Math.max(2, Math.min(Math.min(numBatch, 32), numCtx / 2));
            int steps = Math.min(16, numCtx - batch);
            int[] tokens = new int[batch + steps];
            int vocab = model.config().vocabSize();
            for (int i = 0; i < tokens.length; i++) tokens[i] = (int) ((i * 2654435761L + 1) % vocab);
            for (int round = 0; round < 3; round++) model.forward(cache, tokens, 0, batch, 0, false);
            for (int i = 0; i < steps; i++) model.forward(cache, tokens, batch + i, 1, batch + i, false);
        }
    }

    @Override
    public void close() {
        engine.shutdown();
        VisionModel v = vision;
        if (v != null) v.close();
        model.close();
    }
}
