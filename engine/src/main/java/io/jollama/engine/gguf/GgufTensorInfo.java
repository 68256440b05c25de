package io.jollama.engine.gguf;


/**
 * A tensor's entry in the GGUF header. {@code shape} is in ggml order: shape[0] is the fastest-moving dimension
 * (the row length of a matrix). {@code offset} is relative to the start of the data section.
 */
public record GgufTensorInfo(String name, long[] shape, GgmlType type, long offset) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long byteSize() {
        return type.byteSize(elementCount());
    }

    /** Rows of the tensor seen as a matrix of shape[0] columns. */
    public long rows() {
        return elementCount() / shape[0];
    }
}
