package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packed kernels ({@link Repack}): packing is lossless (every row unpacks to its original bytes), products
 * match the float64 reference and the unpacked scalar kernels, batches equal one vector at a time, and a read-only
 * (mapped) matrix is packed into a copy.
 */
class PackedKernelTest {

    private static final List<GgmlType> TYPES = List.of(GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0);

    @Test
    void randomMatricesOfEveryPackedType() {
        for (GgmlType type : TYPES) {
            int cols = type.blockSize == 256 ? 1024 : 320;
            check(MatMulTest.randomTensor(type, 48, cols, 7 + type.ordinal()), type.toString());
        }
    }

    /** Tensors written by llama-quantize, with their real scales and mins. */
    @Test
    void tensorsOfTheLlamaQuantizeFiles() throws Exception {
        Map<GgmlType, Integer> checked = new EnumMap<>(GgmlType.class);
        for (String name : List.of("llama-spm-q4_k_m.gguf", "llama-spm-q6_k.gguf", "llama-spm-q8_0.gguf", "llama-spm-q4_0.gguf", "llama-spm-q5_0.gguf")) {
            Path f = TensorTestData.arch().resolve(name);
            try (GgufFile g = GgufFile.open(f, true)) {
                for (GgufTensorInfo info : g.tensors()) {
                    if (info.shape().length != 2 || !TYPES.contains(info.type()) || info.rows() % Repack.GROUP != 0) continue;
                    Tensor full = Tensor.of(g, info);
                    int rows = Math.min(32, full.rows());
                    check(new Tensor(full.name(), full.type(), new long[]{full.cols(), rows}, full.data().asSlice(0, rows * full.rowBytes())),
                            name + " " + info.name());
                    checked.merge(info.type(), 1, Integer::sum);
                }
            }
        }
        for (GgmlType t : TYPES) assertTrue(checked.getOrDefault(t, 0) > 0, "no " + t + " tensor checked: " + checked);
    }

    @Test
    void rowsThatAreNotWholeGroupsStayUnpacked() {
        Tensor t = MatMulTest.randomTensor(GgmlType.Q4_K, 37, 256, 3);
        assertFalse(Repack.pack(t, Arena.ofAuto()).packed());
        Tensor q5 = MatMulTest.randomTensor(GgmlType.Q5_1, 32, 64, 3);
        assertFalse(Repack.pack(q5, Arena.ofAuto()).packed());
    }

    private static void check(Tensor original, String what) {
        int rows = original.rows(), cols = original.cols();
        byte[] before = original.data().toArray(ValueLayout.JAVA_BYTE);

        // a read-only copy (as a mapped file) is packed into new memory and left as it was
        MemorySegment ro = Arena.ofAuto().allocate(before.length, 64).copyFrom(MemorySegment.ofArray(before)).asReadOnly();
        Tensor packedCopy = Repack.pack(new Tensor(original.name(), original.type(), original.shape(), ro), Arena.ofAuto());
        assertTrue(packedCopy.packed(), what);
        assertArrayEquals(before, ro.toArray(ValueLayout.JAVA_BYTE), what + ": the read-only source was changed");

        // a writable one is packed in place
        MemorySegment rw = Arena.ofAuto().allocate(before.length, 64).copyFrom(MemorySegment.ofArray(before));
        Tensor packed = Repack.pack(new Tensor(original.name(), original.type(), original.shape(), rw), Arena.ofAuto());
        assertEquals(rw.address(), packed.data().address(), what + ": not packed in place");
        assertArrayEquals(packedCopy.data().toArray(ValueLayout.JAVA_BYTE), packed.data().toArray(ValueLayout.JAVA_BYTE), what);
        if (!Arrays.equals(before, new byte[before.length])) {
            assertFalse(Arrays.equals(before, packed.data().toArray(ValueLayout.JAVA_BYTE)), what + ": packing changed nothing");
        }

        // lossless: every row unpacks to its bytes, and dequantizes as before
        float[] a = new float[cols], b = new float[cols];
        for (int r = 0; r < rows; r++) {
            assertArrayEquals(Arrays.copyOfRange(before, (int) (r * original.rowBytes()), (int) ((r + 1) * original.rowBytes())),
                    Repack.unpackRow(packed, r), what + " row " + r);
            Dequant.row(original, r, a, 0);
            Dequant.row(packed, r, b, 0);
            assertArrayEquals(a, b, what + " row " + r);
        }

        // one vector: the float64 reference, and the unpacked scalar kernel (same integer sums, float order differs)
        float[] x = MatMulTest.randomActivations(cols, rows + 11);
        float[] out = new float[rows], scalar = new float[rows];
        MatMul.matvec(packed, x, out);
        MatMul.matvec(original, x, scalar, true);
        MatMulTest.assertNearReference(original, x, 1, out, MatMulTest.tolerance(original.type()));
        for (int r = 0; r < rows; r++) {
            Dequant.row(original, r, a, 0);
            double abs = 0;
            for (int c = 0; c < cols; c++) abs += Math.abs((double) a[c] * x[c]);
            assertEquals(scalar[r], out[r], 2e-6 * abs + 1e-30, what + " row " + r + ": packed vs scalar");
        }
        float[] range = new float[rows];
        MatMul.matvecRange(packed, x, range, Repack.GROUP, rows);
        assertArrayEquals(Arrays.copyOfRange(out, Repack.GROUP, rows), Arrays.copyOfRange(range, Repack.GROUP, rows), what + ": range");

        // a prompt-sized batch goes through float panels: close to the float64 product with the unquantized activations
        int big = FloatGemm.MIN_TOKENS + 5;
        float[] xb = MatMulTest.randomActivations(big * cols, 77);
        float[] prompt = new float[big * rows], exact = new float[big * rows];
        MatMul.matmul(packed, xb, big, prompt);
        MatMul.matmulExact(packed, xb, big, exact);
        for (int t = 0; t < big; t++) {
            float[] one = new float[rows];
            MatMul.matvec(packed, Arrays.copyOfRange(xb, t * cols, (t + 1) * cols), one);
            assertArrayEquals(one, Arrays.copyOfRange(exact, t * rows, (t + 1) * rows), what + ": exact batch, vector " + t);
            for (int r = 0; r < rows; r++) {
                Dequant.row(original, r, a, 0);
                double ref = 0, abs = 0;
                for (int c = 0; c < cols; c++) {
                    ref += (double) a[c] * xb[t * cols + c];
                    abs += Math.abs((double) a[c] * xb[t * cols + c]);
                }
                assertEquals(ref, prompt[t * rows + r], 1e-5 * abs + 1e-30, what + ": float panel, vector " + t + " row " + r);
            }
        }

        // batches of every tile size: each vector exactly as alone
        for (int n : new int[]{2, 3, 4, 5, 9}) {
            float[] xs = MatMulTest.randomActivations(n * cols, 100 + n);
            float[] batch = new float[n * rows];
            MatMul.matmul(packed, xs, n, batch);
            for (int t = 0; t < n; t++) {
                float[] one = new float[rows];
                MatMul.matvec(packed, Arrays.copyOfRange(xs, t * cols, (t + 1) * cols), one);
                assertArrayEquals(one, Arrays.copyOfRange(batch, t * rows, (t + 1) * rows), what + ": batch of " + n + ", vector " + t);
            }
        }
    }
}
