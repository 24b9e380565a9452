package callbacks;

/** Implemented in Python by the callback tests. */
public interface Greeter {
    String greet(String name);
}
