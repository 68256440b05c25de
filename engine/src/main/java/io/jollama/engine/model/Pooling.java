package io.jollama.engine.model;

/** How a sequence's hidden states become one embedding ({@code <arch>.pooling_type}, llama.cpp's numbering). */
public enum Pooling {
    NONE, MEAN, CLS, LAST;

    /** The pooling of a GGUF's {@code pooling_type} value; rank (4) and unknown values are refused. */
    public static Pooling ofGguf(long type) {
        return switch ((int) type) {
            case 0 -> NONE;
            case 1 -> MEAN;
            case 2 -> CLS;
            case 3 -> LAST;
            default -> throw new IllegalArgumentException("unsupported pooling type " + type);
        };
    }

    /** The pooled vector of tokens [from, from+len) of {@code hidden} ({@code dim} values per token). */
    public float[] pool(float[] hidden, int from, int len, int dim) {
        float[] out = new float[dim];
        switch (this) {
            case CLS -> System.arraycopy(hidden, from * dim, out, 0, dim);
            case LAST -> System.arraycopy(hidden, (from + len - 1) * dim, out, 0, dim);
            case MEAN, NONE -> {
                double[] sum = new double[dim];
                for (int t = from; t < from + len; t++) for (int d = 0; d < dim; d++) sum[d] += hidden[t * dim + d];
                for (int d = 0; d < dim; d++) out[d] = (float) (sum[d] / len);
            }
        }
        return out;
    }
}
