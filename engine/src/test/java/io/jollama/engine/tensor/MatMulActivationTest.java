package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgmlType;

import io.jollama.engine.tensor.ActivationQuant.Activations;
import io.jollama.engine.tensor.ActivationQuant.DotType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The activation conversions that precede every product, checked on values whose rounding is known. */
class MatMulActivationTest {

    @Test
    void q8_0RoundsHalfToEvenAndKeepsAnF16Scale() {
        float[] x = new float[32];
        x[0] = 127f;          // amax 127: 127/amax = 1, so q = rint(x)
        x[1] = 2.5f;          // tie: to even, 2
        x[2] = 3.5f;          // tie: 4
        x[3] = -2.5f;         // tie: -2
        x[4] = -127f;
        x[5] = 0.4f;
        Activations a = ActivationQuant.quantize(GgmlType.Q4_0, x, 32, 1);
        assertEquals(DotType.Q8_0, a.type());
        assertEquals(127, a.q()[0]);
        assertEquals(2, a.q()[1]);
        assertEquals(4, a.q()[2]);
        assertEquals(-2, a.q()[3]);
        assertEquals(-127, a.q()[4]);
        assertEquals(0, a.q()[5]);
        assertEquals(1f, a.d()[0]);
        // a scale that f16 cannot hold exactly is stored rounded: 1/127 -> nearest half
        x = new float[32];
        x[7] = 1f;
        a = ActivationQuant.quantize(GgmlType.Q8_0, x, 32, 1);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(1f / 127f)), a.d()[0]);
        assertEquals(127, a.q()[7]);
    }

    @Test
    void q8_1CarriesF16OfUnroundedScaleTimesSum() {
        float[] x = new float[64];
        for (int i = 0; i < 64; i++) x[i] = (i % 3) - 0.7f * (i % 2);
        Activations a = ActivationQuant.quantize(GgmlType.Q5_1, x, 64, 1);
        assertEquals(DotType.Q8_1, a.type());
        for (int b = 0; b < 2; b++) {
            float amax = 0;
            int sum = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            for (int j = 0; j < 32; j++) sum += a.q()[32 * b + j];
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(amax / 127f * sum)), a.s()[b]);
        }
    }

    @Test
    void q8_KUsesTheSignedLargestValue() {
        float[] x = new float[256];
        x[0] = -254f;         // largest magnitude, negative: iscale = -127/-254 = 0.5
        x[1] = 5f;            // 2.5 -> 2 (half to even)
        x[2] = 7f;            // 3.5 -> 4
        x[3] = 254f;          // 127
        x[20] = -3f;          // -1.5 -> -2
        Activations a = ActivationQuant.quantize(GgmlType.Q4_K, x, 256, 1);
        assertEquals(DotType.Q8_K, a.type());
        assertEquals(-127, a.q()[0]);
        assertEquals(2, a.q()[1]);
        assertEquals(4, a.q()[2]);
        assertEquals(127, a.q()[3]);
        assertEquals(-2, a.q()[20]);
        assertEquals(2f, a.d()[0]);
        assertEquals(-127 + 2 + 4 + 127, a.bsums()[0]);
        assertEquals(-2, a.bsums()[1]);
        // positive largest value: iscale is negative, so the signs flip and d is negative
        x = new float[256];
        x[0] = 1f;
        x[1] = -1f;
        a = ActivationQuant.quantize(GgmlType.Q6_K, x, 256, 1);
        assertEquals(-127, a.q()[0]);
        assertEquals(127, a.q()[1]);
        assertEquals(-1f / 127f, a.d()[0], 1e-9f);
        // an all-zero block has d = 0 and zero quants
        a = ActivationQuant.quantize(GgmlType.Q2_K, new float[256], 256, 1);
        assertEquals(0f, a.d()[0]);
        assertEquals(0, a.q()[17]);
    }

    @Test
    void floatTypesRoundToTheirWidth() {
        float v = 1.0009766f;  // between halves: 1 + 2^-10 is a half (1.0009766), 1.0004883 is a tie
        float[] x = {1.00048828125f, v, 3.14159265f, -2.7182818f};
        Activations h = ActivationQuant.quantize(GgmlType.F16, x, 4, 1);
        assertEquals(1f, h.f()[0]);                         // tie to even
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(3.14159265f)), h.f()[2]);
        Activations b = ActivationQuant.quantize(GgmlType.BF16, x, 4, 1);
        assertEquals(3.140625f, b.f()[2]);
        assertEquals(-2.71875f, b.f()[3]);
        Activations f = ActivationQuant.quantize(GgmlType.F32, x, 4, 1);
        assertEquals(3.14159265f, f.f()[2]);
    }

    @Test
    void rowLengthsThatAreNotWholeBlocksAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> ActivationQuant.quantize(GgmlType.Q4_K, new float[300], 300, 1));
        assertEquals("Q4_K: row length 300 is not a multiple of 256", e.getMessage());
    }
}
