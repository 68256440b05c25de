package io.jollama.engine.gguf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a GGUF file the way llama.cpp's {@code gguf-split --split-max-tensors} does: the first shard carries all
 * metadata, every shard {@code split.no} (u16, 0-based), {@code split.count} (u16) and {@code split.tensors.count}
 * (i32), and its share of the tensors; shards are named {@code <prefix>-00001-of-0000N.gguf}.
 */
public final class GgufSplitter {

    private GgufSplitter() {}

    public static List<Path> split(Path source, Path dir, String prefix, int count) throws IOException {
        List<Path> out = new ArrayList<>();
        try (GgufFile in = GgufFile.open(source, false)) {
            List<GgufTensorInfo> tensors = in.tensors();
            int per = (tensors.size() + count - 1) / count;
            for (int i = 0; i < count; i++) {
                GgufWriter w = new GgufWriter();
                if (i == 0) w.putAll(in.metadata());
                w.put("split.no", new GgufValue(GgufValueType.UINT16, (short) i));
                w.put("split.count", new GgufValue(GgufValueType.UINT16, (short) count));
                w.put("split.tensors.count", GgufValue.ofI32(tensors.size()));
                for (GgufTensorInfo t : tensors.subList(Math.min(i * per, tensors.size()), Math.min((i + 1) * per, tensors.size()))) {
                    w.addTensor(t.name(), t.type(), t.shape(), in.tensorData(t));
                }
                Path p = dir.resolve(String.format("%s-%05d-of-%05d.gguf", prefix, i + 1, count));
                w.write(p);
                out.add(p);
            }
        }
        return out;
    }
}
