package callbacks;

/** Implemented in Python by the callback tests. */
public interface DoubleSource {
    double get();
}
