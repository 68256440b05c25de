package io.jollama.engine.gguf;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dependency between the file format and the tensor library goes one way: {@code tensor} uses {@code gguf}
 * (types, files), {@code gguf} uses nothing of {@code tensor}. Checked on the compiled classes: every class a class
 * file refers to, imported or written out in full, is named in its constant pool.
 */
class GgufIndependenceTest {

    @Test
    void ggufClassesReferToNoTensorClass() throws Exception {
        Path classes = Path.of(GgufFile.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = classes.resolve("io/jollama/engine/gguf");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".class")).toList();
        }
        assertTrue(files.size() >= 7, "expected the gguf classes in " + dir + ", found " + files);
        List<String> offenders = new ArrayList<>();
        for (Path f : files) if (refersTo(f, "io/jollama/engine/tensor/")) offenders.add(f.getFileName().toString());
        assertEquals(List.of(), offenders, "gguf classes that use io.jollama.engine.tensor");
    }

    @Test
    void theCheckSeesAReference() throws Exception {
        // the other direction exists (Tensor.of reads a GgufFile), so the same scan must find it there
        Path classes = Path.of(GgufFile.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(refersTo(classes.resolve("io/jollama/engine/tensor/Tensor.class"), "io/jollama/engine/gguf/"));
    }

    private static boolean refersTo(Path classFile, String packagePrefix) throws IOException {
        // class names are stored as modified UTF-8, plain ASCII for these names
        String text = new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
        return text.contains(packagePrefix);
    }
}
