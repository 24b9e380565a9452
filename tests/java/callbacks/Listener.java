package callbacks;

/** Implemented in Python by the callback tests. */
public interface Listener {
    void notify(String event, int n);
}
