package io.jollama.engine.tensor;

import io.jollama.engine.gguf.GgufFile;
import io.jollama.engine.gguf.GgufTensorInfo;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dequantizes every tensor listed in the {@code dequant_check} of each reference JSON beside the shipped GGUFs
 * and compares it with the values gguf-py computed; also checks every tensor's type against {@code tensor_types}.
 */
class DequantReferenceTest {

    @TestFactory
    Stream<DynamicTest> everyArchFile() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(TensorTestData.arch())) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
        }
        assertEquals(15, files.size(), "expected the 15 GGUFs of models/arch");
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
    }

    private static void check(Path file) throws IOException {
        JsonNode ref = TensorTestData.reference(file);
        int typesChecked = 0, valuesChecked = 0;
        try (GgufFile g = GgufFile.open(file)) {
            JsonNode types = ref.get("tensor_types");
            assertEquals(types.size(), g.tensors().size(), file + ": tensor count");
            for (Map.Entry<String, JsonNode> e : types.properties()) {
                GgufTensorInfo info = g.tensor(e.getKey());
                assertNotNull(info, file + ": missing tensor " + e.getKey());
                assertEquals(e.getValue().asString(), info.type().name(), file + ": type of " + e.getKey());
                typesChecked++;
            }
            JsonNode dc = ref.get("dequant_check");
            if (dc != null) {
                for (Map.Entry<String, JsonNode> e : dc.get("tensors").properties()) {
                    checkTensor(file, Tensor.of(g, e.getKey()), e.getValue());
                    valuesChecked++;
                }
            }
        }
        System.out.printf("%s: %d tensor types checked, %d tensors dequantized and compared%n",
                file.getFileName(), typesChecked, valuesChecked);
        if (ref.get("dequant_check") != null) assertTrue(valuesChecked > 0, file + ": no tensor compared");
    }

    private static void checkTensor(Path file, Tensor t, JsonNode r) {
        String what = file.getFileName() + " " + t.name() + " (" + t.type() + ")";
        assertEquals(r.get("type").asString(), t.type().name(), what);
        for (int i = 0; i < t.shape().length; i++) assertEquals(r.get("ne").get(i).asLong(), t.shape()[i], what + " ne");
        float[] v = Dequant.all(t);
        double sum = 0, sumAbs = 0;
        for (float x : v) {
            sum += x;
            sumAbs += Math.abs(x);
        }
        JsonNode first8 = r.get("first8");
        for (int i = 0; i < first8.size(); i++) assertClose(first8.get(i).asDouble(), v[i], 1e-6, 0, what + " first8[" + i + "]");
        for (Map.Entry<String, JsonNode> e : r.get("at_index").properties()) {
            int idx = Integer.parseInt(e.getKey());
            assertClose(e.getValue().asDouble(), v[idx], 1e-6, 0, what + " at " + idx);
        }
        // the sums in the JSON are rounded to 6 decimals, hence the absolute 1e-6 besides the relative 1e-6
        assertClose(r.get("sum").asDouble(), sum, 1e-6, 1e-6, what + " sum");
        assertClose(r.get("sum_abs").asDouble(), sumAbs, 1e-6, 1e-6, what + " sum_abs");
    }

    static void assertClose(double expected, double actual, double rel, double abs, String what) {
        double tol = rel * Math.abs(expected) + abs;
        assertTrue(Math.abs(expected - actual) <= tol, () -> what + ": expected " + expected + " got " + actual);
    }
}
