package callbacks;

/** Implemented in Python by the callback tests. */
public interface ValueSource {
    Object get(String kind);
}
