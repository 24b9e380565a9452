package ferry;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The handler behind every Java proxy of a Python object: each call goes to the native engine,
 * which sends it to Python and converts the answer to the method's return type.
 *
 * <p>When Java no longer references a proxy, Python is told (the {@code g} command) so it can drop
 * the object: through {@code java.lang.ref.Cleaner} on Java 9 and later, through a phantom
 * reference queue on Java 8. Never through a finalizer.
 */
final class PythonProxyHandler implements InvocationHandler {
    private final long owner;
    private final String id;

    private PythonProxyHandler(long owner, String id) {
        this.owner = owner;
        this.id = id;
    }

    /**
     * A proxy implementing {@code interfaces} for the Python object {@code id}; {@code owner} is
     * the native handle of whoever carries its calls to Python.
     */
    static Object create(long owner, String id, Class<?>[] interfaces) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = PythonProxyHandler.class.getClassLoader();
        }
        Object proxy = Proxy.newProxyInstance(loader, interfaces, new PythonProxyHandler(owner, id));
        // The entry point of the Python side is never released.
        if (!"t".equals(id)) {
            Lifetime.watch(proxy, owner, id);
        }
        return proxy;
    }

    String pythonId() {
        return id;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        Long described = METHODS.get(method);
        long m = described != null ? described.longValue() : describeOnce(owner, method);
        return invoke0(owner, id, m, args == null ? NO_ARGS : args);
    }

    private static long describeOnce(long owner, Method method) {
        synchronized (METHODS) {
            Long described = METHODS.get(method);
            if (described != null) {
                return described.longValue();
            }
            long m = describe(owner, method);
            METHODS.put(method, Long.valueOf(m));
            return m;
        }
    }

    private static final Object[] NO_ARGS = new Object[0];

    /**
     * The native engine's handle for each method called so far (its name and return type,
     * worked out once); kept for the rest of the process, like the handles themselves.
     */
    private static final ConcurrentHashMap<Method, Long> METHODS = new ConcurrentHashMap<Method, Long>();

    private static native long describe(long owner, Method method);

    private static native Object invoke0(long owner, String id, long method, Object[] args) throws Throwable;

    static native void released(long owner, String id);

    /** Tells Python when a proxy is unreachable. */
    static final class Lifetime {
        private static final Object CLEANER = makeCleaner();
        private static final Method REGISTER = cleanerRegister();
        private static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<Object>();
        private static final Set<Object> PENDING = Collections.synchronizedSet(
                Collections.newSetFromMap(new IdentityHashMap<Object, Boolean>()));

        private Lifetime() {}

        private static Object makeCleaner() {
            try {
                Class<?> c = Class.forName("java.lang.ref.Cleaner");
                return c.getMethod("create").invoke(null);
            } catch (Exception java8) {
                return null;
            }
        }

        private static Method cleanerRegister() {
            if (CLEANER == null) {
                startJava8Thread();
                return null;
            }
            try {
                return CLEANER.getClass().getMethod("register", Object.class, Runnable.class);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(e);
            }
        }

        static void watch(Object proxy, long server, String id) {
            Release action = new Release(server, id);
            if (REGISTER != null) {
                try {
                    REGISTER.invoke(CLEANER, proxy, action);
                    return;
                } catch (Exception e) {
                    throw new IllegalStateException("cannot watch a Python proxy", e);
                }
            }
            PENDING.add(new Phantom(proxy, action));
        }

        private static void startJava8Thread() {
            Thread t = new Thread("ferry-proxy-release") {
                @Override
                public void run() {
                    while (true) {
                        try {
                            Phantom p = (Phantom) QUEUE.remove();
                            PENDING.remove(p);
                            p.action.run();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            };
            t.setDaemon(true);
            t.start();
        }

        private static final class Phantom extends PhantomReference<Object> {
            final Release action;

            Phantom(Object referent, Release action) {
                super(referent, QUEUE);
                this.action = action;
            }
        }

        /** Must not reference the proxy, or it would never become unreachable. */
        private static final class Release implements Runnable {
            private final long server;
            private final String id;

            Release(long server, String id) {
                this.server = server;
                this.id = id;
            }

            @Override
            public void run() {
                released(server, id);
            }
        }
    }
}
