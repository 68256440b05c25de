package io.jollama.cli;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Vector API part of {@code bench-kernels}, in a class of its own: picocli links every command class at start-up,
 * and a command class whose code names a Vector API type could not be linked by the client commands, which run
 * without the incubator module (it costs a second of start-up).
 */
final class StreamSum {

    private static final VectorSpecies<Long> L512 = LongVector.SPECIES_512;

    private StreamSum() {}

    /** A plain vectorized sum of the bytes [from, to) read as 64-bit lanes. */
    static long sum(MemorySegment s, long from, long to) {
        LongVector a0 = LongVector.zero(L512), a1 = a0, a2 = a0, a3 = a0;
        long i = from;
        for (; i + 256 <= to; i += 256) {
            a0 = a0.add(LongVector.fromMemorySegment(L512, s, i, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(LongVector.fromMemorySegment(L512, s, i + 64, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(LongVector.fromMemorySegment(L512, s, i + 128, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(LongVector.fromMemorySegment(L512, s, i + 192, ByteOrder.LITTLE_ENDIAN));
        }
        long sum = a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) sum += s.get(ValueLayout.JAVA_BYTE, i);
        return sum;
    }
}
