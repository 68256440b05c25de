package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;

import java.lang.foreign.MemorySegment;

/**
 * A tensor's bytes in ggml layout, off the Java heap (mapped file or off-heap memory).
 * {@code shape} is in ggml order: shape[0] is the row length ({@link #cols()}); a matrix has
 * {@link #rows()} rows of {@code rowBytes()} bytes each, stored one after another.
 * <p>
 * A {@code packed} matrix holds the same bytes per group of {@value Repack#GROUP} rows, rearranged by
 * {@link Repack} so that a kernel reads the rows of a group side by side (see the type's {@code *Packed} class);
 * the group of rows 16g..16g+15 still occupies exactly the bytes those rows occupy unpacked.
 */
public record Tensor(String name, GgmlType type, long[] shape, MemorySegment data, boolean packed) {

    public Tensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        this(name, type, shape, data, false);
    }

    public static Tensor of(GgufFile file, GgufTensorInfo info) {
        return new Tensor(info.name(), info.type(), info.shape(), file.tensorData(info));
    }

    public static Tensor of(GgufFile file, String name) {
        GgufTensorInfo info = file.tensor(name);
        if (info == null) throw new IllegalArgumentException(file.path() + ": missing tensor " + name);
        return of(file, info);
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public int cols() {
        return Math.toIntExact(shape[0]);
    }

    public int rows() {
        return Math.toIntExact(elementCount() / shape[0]);
    }

    public long rowBytes() {
        return type.rowSize(shape[0]);
    }
}
