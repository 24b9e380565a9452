package ferrybench;

import java.util.ArrayList;
import java.util.List;

/** The entry point both gateways serve during the benchmarks: small methods the rows call. */
public class BenchEntry {
    /** The number of bytes received: the 10 MiB row sends a Python bytearray here. */
    public int byteLength(byte[] data) {
        return data.length;
    }

    /** A Java list of 0..n-1, for the iteration row. */
    public List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    /** The number of doubles received: the numpy row sends 10 million here. */
    public int doubleLength(double[] data) {
        return data.length;
    }

    /** A double[] of n values (i * 0.5), for the row that reads one into numpy. */
    public double[] doubles(int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = i * 0.5;
        }
        return out;
    }

    /** A constant, so a round trip through the entry point can be checked by value. */
    public int answer() {
        return 42;
    }
}
