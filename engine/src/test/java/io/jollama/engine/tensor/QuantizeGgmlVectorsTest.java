package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Quantizer output on 4096 seeded blocks of varied data, compared by SHA-256 with the bytes of llama.cpp's
 * reference quantizers (quantize_row_*_ref of ggml-quants.c for Q2_K..Q6_K, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, and ggml's
 * f32 to f16/bf16 conversions, compiled with gcc 12 -O2 on x86-64, i.e.
 * without FMA contraction, as ggml-base is built) run on exactly these floats. The shipped llama.cpp files agree
 * with that build (re-quantizing their blocks matches it far more often than an FMA-contracted -march=native build),
 * so these hashes pin the quantizers to what llama-quantize writes.
 */
class QuantizeGgmlVectorsTest {

    /** 4096 blocks of 256: Gaussian, small, positive-only, with outliers, and log-normal magnitudes (in turn). */
    static float[] inputs() {
        int n = 256 * 4096;
        float[] x = new float[n];
        Random r = new Random(2024);
        for (int i = 0; i < n; i++) {
            int kind = (i / 256) % 5;
            double g = r.nextGaussian();
            x[i] = (float) switch (kind) {
                case 0 -> g;
                case 1 -> g * 0.02;
                case 2 -> Math.abs(g) + 0.1;
                case 3 -> r.nextInt(10) == 0 ? g * 30 : g;
                default -> g * StrictMath.exp(r.nextGaussian());
            };
        }
        return x;
    }

    @Test
    void matchesLlamaCppReferenceQuantizers() throws NoSuchAlgorithmException {
        float[] x = inputs();
        String[][] expected = {
                {"Q2_K", "1334c61e4d0c298bc0d37ba822d934852ad27ebf1f8a29c256fa3a4cebd3419c"},
                {"Q3_K", "3fdc70401583b858ba4b30ab00ce7ca542057efaf7e19ab9e8da2f2b5ff4a4b3"},
                {"Q4_K", "82e110cf2508f4854a8146a98d39dde46d312b4e00b602fc6a0b811289e7d1a6"},
                {"Q5_K", "96a69301009b43a448ed945a07edf97366446cef198ad9246e69c9d4ddcc2d77"},
                {"Q6_K", "2f9c7dc6560347c182f990152429323277a7bdd627e1ee5e23e80e3abbf4d82a"},
                {"Q4_0", "9defa2638e6a59d019a2124ae8ca31acac3ed1078e684d75372911049a5e54b3"},
                {"Q4_1", "0065a82f858557aafc778e7184c6fb96ffa0452d71a688ef04a00929a46531b1"},
                {"Q5_0", "8ef333077975d8b68a3ec5aef6610c1d1eec878af30ca7c36a0a5121a0b72d1b"},
                {"Q5_1", "7e0e8aaf337b3f802317a909b1353792b529e7a16d5f34aecb3d399d0210cbde"},
                {"Q8_0", "6313665ec9dbbb6b8520dc9214d39c9624e8a8954b9d7719538bc3331f192335"},
                {"BF16", "f3fb0bd62a0b0c166642dc448171e70276cb47ba161094da264e99adb3557be7"},
                {"F16", "3bee8fa5c2d1c7fb0cc93c9aa15b4e6d8882844a80d10ab206164d680eae7730"},
        };
        for (String[] e : expected) {
            byte[] q = Quantize.quantize(GgmlType.valueOf(e[0]), x);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(q));
            assertEquals(e[1], sha, e[0] + " differs from llama.cpp's reference quantizer");
            GgmlType t = GgmlType.valueOf(e[0]);
            System.out.println(e[0] + ": " + x.length / t.blockSize + (t.isQuantized() ? " blocks" : " values") + " identical to llama.cpp's reference");
        }
    }
}
