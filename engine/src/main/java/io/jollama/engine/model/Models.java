package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Loads a model of a supported architecture from a GGUF file. */
public final class Models {
    public static final List<String> SUPPORTED = List.of("llama", "qwen2", "qwen3", "phi3", "gemma3");

    private Models() {}

    /** Opens the file (mapped, or read into off-heap memory when {@code mmap} is false) and builds its model. */
    public static TransformerModel load(Path path, boolean mmap) throws IOException {
        return load(List.of(path), mmap);
    }

    /** A model stored in one file or split over several shards (given in shard order). */
    public static TransformerModel load(List<Path> shards, boolean mmap) throws IOException {
        GgufFile file = shards.size() == 1 ? GgufFile.open(shards.getFirst(), mmap) : GgufFile.openSplit(shards, mmap);
        try {
            return of(file);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Builds the model of an open file; the model owns the file from then on. */
    public static TransformerModel of(GgufFile file) throws GgufFormatException {
        String arch = file.getString("general.architecture", null);
        if (arch == null) throw new GgufFormatException(file.path() + ": no general.architecture");
        return switch (arch) {
            case "llama" -> new LlamaModel(file);
            case "qwen2" -> new Qwen2Model(file);
            case "qwen3" -> new Qwen3Model(file);
            case "phi3" -> new Phi3Model(file);
            case "gemma3" -> new Gemma3Model(file);
            default -> throw new GgufFormatException(file.path() + ": unsupported model architecture '" + arch
                    + "' (supported: " + String.join(", ", SUPPORTED) + ")");
        };
    }
}
