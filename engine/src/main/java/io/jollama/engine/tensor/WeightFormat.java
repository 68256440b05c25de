package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;
import io.jollama.engine.tensor.ActivationQuant.Activations;
import io.jollama.engine.tensor.ActivationQuant.DotType;

import java.lang.foreign.MemorySegment;

/**
 * Everything the engine does with one weight type, in one place: the activation type its products take
 * ({@link ActivationQuant}), its block dequantization and quantization, its file-layout kernels (Vector API and
 * plain loops, same numerics) and, for the types that have one, its packed layout ({@link Repack}).
 * Each type's class ({@code Q4_KFormat}, …) defines its {@code FORMAT}; {@link WeightFormats} registers them.
 *
 * @param quantize null if the engine cannot write the type
 * @param packed   null if the type has no packed layout
 */
record WeightFormat(GgmlType type, DotType dotType, Dequantizer dequant, Quantizer quantize, Kernel vector, Kernel scalar,
                    Repack.Layout packed) {

    /** Dequantizes {@code blocks} consecutive blocks starting at byte {@code offset} into {@code dst[dstOff ..]}. */
    @FunctionalInterface
    interface Dequantizer {
        void blocks(MemorySegment src, long offset, float[] dst, int dstOff, int blocks);
    }

    /** Quantizes {@code blocks} blocks of values {@code src[srcOff ..]} into block bytes at {@code dst[dstOff ..]}. */
    @FunctionalInterface
    interface Quantizer {
        void blocks(float[] src, int srcOff, int blocks, byte[] dst, int dstOff);
    }

    /**
     * A file-layout kernel: for each row r in [r0, r1) and each of the {@code nt} (1..{@value KernelSupport#TILE})
     * activation vectors t0, t0+1, …, the dot product of row r with vector t at {@code out[t·outRows + r]}
     * (see {@link KernelSupport}).
     */
    @FunctionalInterface
    interface Kernel {
        void rows(MemorySegment w, long rowBytes, int r0, int r1, Activations a, int t0, int nt, float[] out, int outRows);
    }

    /** The file-layout kernel in use: the plain loops when {@code scalar}. */
    Kernel kernel(boolean scalar) {
        return scalar ? this.scalar : vector;
    }
}
