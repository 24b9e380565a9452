package ferry;

/** A gateway-level failure seen by Java code, e.g. a Python callback that raised. */
public class Py4JException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Py4JException(String message) {
        super(message);
    }

    public Py4JException(String message, Throwable cause) {
        super(message, cause);
    }
}
