package callbacks;

/** Implemented in Python by the callback tests. */
public interface Echo {
    String echo(int i, long l, double d, boolean b, String s, Object n, java.util.List<Integer> list, byte[] bytes);
}
