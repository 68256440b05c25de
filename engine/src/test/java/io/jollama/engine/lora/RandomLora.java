package io.jollama.engine.lora;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import io.jollama.engine.gguf.GgufValue;
import io.jollama.engine.gguf.GgufWriter;
import io.jollama.engine.gguf.GgmlType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Writes a random-weight GGUF LoRA adapter (llama.cpp's layout) for some weights of a base model. */
public final class RandomLora {
    private RandomLora() {}

    /**
     * @param weights the base tensors to adapt; {@code outDelta} added to the output size of each lora_b (0 for a
     *                fitting adapter) makes an adapter that does not fit
     */
    public static Path write(Path base, Path out, long seed, int rank, float alpha, List<String> weights, int outDelta) throws IOException {
        Random rnd = new Random(seed);
        try (GgufFile b = GgufFile.open(base, true)) {
            GgufWriter w = new GgufWriter();
            w.put("general.architecture", GgufValue.of(b.getString("general.architecture", "")));
            w.put("general.type", GgufValue.of("adapter"));
            w.put("adapter.type", GgufValue.of("lora"));
            w.putF32("adapter.lora.alpha", alpha);
            for (String name : weights) {
                GgufTensorInfo t = b.tensor(name);
                int nIn = (int) t.shape()[0], nOut = (int) t.shape()[1] + outDelta;
                float[] a = new float[rank * nIn], bb = new float[nOut * rank];
                for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextGaussian() / Math.sqrt(nIn));
                for (int i = 0; i < bb.length; i++) bb[i] = (float) (rnd.nextGaussian() * 0.5 / Math.sqrt(rank));
                w.addTensor(name + ".lora_a", GgmlType.F32, new long[]{nIn, rank}, MemorySegment.ofArray(a));
                w.addTensor(name + ".lora_b", GgmlType.F32, new long[]{rank, nOut}, MemorySegment.ofArray(bb));
            }
            w.write(out);
        }
        return out;
    }
}
