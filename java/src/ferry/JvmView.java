package ferry;

/** A JVM view: a named set of imports a Python client resolves simple class names against. */
public final class JvmView {
    private final String name;

    JvmView(String name) {
        this.name = name;
    }

    public String getName() {
        return name;
    }

    @Override
    public String toString() {
        return "JvmView(" + name + ")";
    }
}
