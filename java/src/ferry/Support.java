package ferry;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;

/** Small helpers the native engine calls where Java does the job in fewer steps than JNI. */
final class Support {
    private Support() {}

    /** The stack trace of an exception, as printStackTrace prints it, skipping reflection wrappers. */
    static String stackTrace(Throwable t) {
        Throwable root = t;
        while (root instanceof InvocationTargetException && root.getCause() != null) {
            root = root.getCause();
        }
        StringWriter out = new StringWriter();
        PrintWriter writer = new PrintWriter(out);
        root.printStackTrace(writer);
        writer.flush();
        return out.toString();
    }

    /** Loads a class by name with the thread's context class loader, as Py4J does. */
    static Class<?> classForName(String name) throws ClassNotFoundException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = ClassLoader.getSystemClassLoader();
        }
        return Class.forName(name, true, loader);
    }

    /**
     * The entry point object for a class name: a new instance from the public no-argument
     * constructor, or the {@code MODULE$} instance of a Scala object ({@code Foo$}).
     */
    static Object instantiate(String className) throws Exception {
        Class<?> c = classForName(className);
        try {
            java.lang.reflect.Field module = c.getField("MODULE$");
            if (java.lang.reflect.Modifier.isStatic(module.getModifiers())) {
                return module.get(null);
            }
        } catch (NoSuchFieldException notScala) {
            // An ordinary class: use its constructor below.
        }
        return c.getConstructor().newInstance();
    }

    private static final java.lang.reflect.Method TRY_SET_ACCESSIBLE = findTrySetAccessible();

    private static java.lang.reflect.Method findTrySetAccessible() {
        try {
            return java.lang.reflect.AccessibleObject.class.getMethod("trySetAccessible");
        } catch (NoSuchMethodException java8) {
            return null;
        }
    }

    /** Java 9+'s AccessibleObject.trySetAccessible, with Java 8's setAccessible as the fallback. */
    static boolean trySetAccessible(java.lang.reflect.AccessibleObject member) {
        try {
            if (TRY_SET_ACCESSIBLE != null) {
                return (Boolean) TRY_SET_ACCESSIBLE.invoke(member);
            }
            member.setAccessible(true);
            return true;
        } catch (Exception denied) {
            return false;
        }
    }
}
