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

    /** A constant, so a round trip through the entry point can be checked by value. */
    public int answer() {
        return 42;
    }
}
