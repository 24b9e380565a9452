package embeddedbench;

/**
 * The callees of the per-call rows and of the cost breakdown: methods that do next to nothing,
 * so that a row times the bridge, not the method.
 */
public final class Calls {
    private int value = 3;

    public Calls() {}

    /** No argument, an int back. */
    public int nop() {
        return value;
    }

    /** One int argument. */
    public int one(int a) {
        return a;
    }

    /** Two int arguments. */
    public int two(int a, int b) {
        return a + b;
    }

    /** One String argument. */
    public int text(String s) {
        return s.length();
    }

    /** One Object argument (a Java object passed back in). */
    public int object(Object o) {
        return o == null ? 0 : 1;
    }

    /** Four overloads for an int: the resolution picks {@code ov(int)}. */
    public int ov(int a) {
        return a;
    }

    public long ov(long a) {
        return a;
    }

    public double ov(double a) {
        return a;
    }

    public int ov(String s) {
        return s.length();
    }

    /** A static method with no argument. */
    public static int snop() {
        return 3;
    }

    /** A new {@code double[count]} holding 0, 0.5, 1, ... (the source of the "back" rows). */
    public static double[] doubles(int count) {
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = i * 0.5;
        }
        return values;
    }

    /** A check of a converted array: its length and a sum of a few probes. */
    public static String describe(double[] values) {
        int n = values.length;
        if (n == 0) {
            return "0";
        }
        return n + ":" + values[0] + ":" + values[n / 2] + ":" + values[n - 1];
    }
}
