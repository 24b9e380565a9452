package embeddedbench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;

/**
 * The floor of the bulk rows: how fast this JVM fills a {@code double[]} from off-heap memory by
 * itself, timed in Java with {@code System.nanoTime}. The source is a direct buffer in native
 * byte order holding {@code count} doubles; each run copies it with {@code DoubleBuffer.get}.
 */
public final class Floor {
    private Floor() {}

    /** A direct buffer of {@code count} doubles (0, 0.5, 1, ...), in native byte order. */
    public static DoubleBuffer source(int count) {
        DoubleBuffer buffer =
                ByteBuffer.allocateDirect(count * 8).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        for (int i = 0; i < count; i++) {
            buffer.put(i, i * 0.5);
        }
        return buffer;
    }

    /**
     * Nanoseconds of each run that makes a new {@code double[count]} and fills it from {@code
     * source} (the work a conversion from Python does: a fresh array holding the values).
     */
    public static long[] freshArrayRuns(DoubleBuffer source, int runs) {
        int count = source.capacity();
        long[] nanos = new long[runs];
        double check = 0;
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            double[] target = new double[count];
            source.get(0, target);
            nanos[r] = System.nanoTime() - start;
            check += target[count - 1 - (r % count)];
        }
        if (Double.isNaN(check)) {
            throw new IllegalStateException("unreachable: " + check);
        }
        return nanos;
    }

    /** Nanoseconds of each run that fills one existing {@code double[count]} from the buffer. */
    public static long[] reusedArrayRuns(DoubleBuffer source, int runs) {
        int count = source.capacity();
        double[] target = new double[count];
        long[] nanos = new long[runs];
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            source.get(0, target);
            nanos[r] = System.nanoTime() - start;
        }
        if (target[count - 1] != (count - 1) * 0.5) {
            throw new IllegalStateException("the copy is wrong");
        }
        return nanos;
    }
}
