package io.jollama.engine.model;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufFormatException;
import io.jollama.engine.model.arch.Bert;
import io.jollama.engine.model.arch.Gemma3;
import io.jollama.engine.model.arch.Llama;
import io.jollama.engine.model.arch.Phi3;
import io.jollama.engine.model.arch.Qwen2;
import io.jollama.engine.model.arch.Qwen3;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The architectures the engine runs, by {@code general.architecture}, and loading a model from its GGUF file. */
public final class Models {

    /** Builds the model of an architecture from its open file. */
    @FunctionalInterface
    public interface Loader {
        Model load(GgufFile file) throws GgufFormatException;
    }

    private static final Map<String, Loader> ARCHITECTURES = new LinkedHashMap<>();

    static {
        ARCHITECTURES.put("llama", Llama::load);
        ARCHITECTURES.put("qwen2", Qwen2::load);
        ARCHITECTURES.put("qwen3", Qwen3::load);
        ARCHITECTURES.put("phi3", Phi3::load);
        ARCHITECTURES.put("gemma3", Gemma3::load);
        ARCHITECTURES.put("bert", Bert::load);
        ARCHITECTURES.put("nomic-bert", Bert::load);
    }

    public static final List<String> SUPPORTED = List.copyOf(ARCHITECTURES.keySet());

    private Models() {}

    /** Opens the file (mapped, or read into off-heap memory when {@code mmap} is false) and builds its model. */
    public static Model load(Path path, boolean mmap) throws IOException {
        return load(List.of(path), mmap);
    }

    /** A model stored in one file or split over several shards (given in shard order). */
    public static Model load(List<Path> shards, boolean mmap) throws IOException {
        GgufFile file = shards.size() == 1 ? GgufFile.open(shards.getFirst(), mmap) : GgufFile.openSplit(shards, mmap);
        try {
            return of(file);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Builds the model of an open file; the model owns the file from then on. */
    public static Model of(GgufFile file) throws GgufFormatException {
        String arch = file.getString("general.architecture", null);
        if (arch == null) throw new GgufFormatException(file.path() + ": no general.architecture");
        Loader loader = ARCHITECTURES.get(arch);
        if (loader == null) {
            throw new GgufFormatException(file.path() + ": unsupported model architecture '" + arch
                    + "' (supported: " + String.join(", ", SUPPORTED) + ")");
        }
        return loader.load(file);
    }
}
