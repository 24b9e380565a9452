package callbacks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntUnaryOperator;

/**
 * The entry point of the callback tests: Java code that calls Python objects (listeners,
 * comparators, ping-pong partners) from the thread that serves Python and from threads of its
 * own, and records which Java threads did the work.
 */
public class CallbackApp {
    private final List<Listener> listeners = Collections.synchronizedList(new ArrayList<Listener>());
    private final List<Object> held = Collections.synchronizedList(new ArrayList<Object>());
    private final Set<String> pingThreads = Collections.synchronizedSet(new LinkedHashSet<String>());

    // ------------------------------------------------------------------ listeners

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public void removeListeners() {
        listeners.clear();
    }

    /** Notifies every listener {@code count} times from a new Java thread; returns its name. */
    public String fireFromNewThread(final String event, final int count) throws Exception {
        final AtomicReference<Throwable> failure = new AtomicReference<Throwable>();
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    for (int i = 0; i < count; i++) {
                        synchronized (listeners) {
                            for (Listener l : listeners) {
                                l.notify(event, i);
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }
        }, "notifier-" + event);
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new IllegalStateException("a listener failed", failure.get());
        }
        return t.getName();
    }

    // ------------------------------------------------------------------ ping-pong

    /** One level of the ping-pong: Java's half. Records the Java thread it runs in. */
    public String ping(Pong pong, int depth) {
        pingThreads.add(Thread.currentThread().getName());
        if (depth <= 0) {
            return "java@" + Thread.currentThread().getName();
        }
        return pong.pong(this, depth - 1);
    }

    /** The same ping-pong started by a Java thread of its own; returns the result. */
    public String pingFromNewThread(final Pong pong, final int depth) throws Exception {
        final AtomicReference<String> result = new AtomicReference<String>();
        final AtomicReference<Throwable> failure = new AtomicReference<Throwable>();
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    result.set(ping(pong, depth));
                } catch (Throwable e) {
                    failure.set(e);
                }
            }
        }, "java-pinger");
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new IllegalStateException("the ping-pong failed", failure.get());
        }
        return result.get();
    }

    public void resetThreads() {
        pingThreads.clear();
    }

    /** The names of the Java threads that ran ping since the last reset. */
    public String[] pingThreads() {
        synchronized (pingThreads) {
            return pingThreads.toArray(new String[0]);
        }
    }

    public String currentThreadName() {
        return Thread.currentThread().getName();
    }

    // ------------------------------------------------------------------ exceptions

    /** Throws an IllegalStateException with this message. */
    public void fail(String message) {
        throw new IllegalStateException(message);
    }

    /** Runs r and returns what it threw, as "class: message", or "ok". */
    public String runAndCatch(Runnable r) {
        try {
            r.run();
            return "ok";
        } catch (Throwable e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }

    public void run(Runnable r) {
        r.run();
    }

    // ------------------------------------------------------------------ values

    /** The sum of op(i) for i in [0, n). */
    public long applyMany(IntUnaryOperator op, int n) {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += op.applyAsInt(i);
        }
        return sum;
    }

    public double readDouble(DoubleSource source) {
        return source.get();
    }

    /** What a Python method returned for {@code kind}, as "class:value". */
    public String describeReturn(ValueSource source, String kind) {
        Object o = source.get(kind);
        if (o == null) {
            return "null";
        }
        if (o instanceof byte[]) {
            return "[B:" + new String((byte[]) o, java.nio.charset.StandardCharsets.UTF_8);
        }
        if (o instanceof Runnable && java.lang.reflect.Proxy.isProxyClass(o.getClass())) {
            ((Runnable) o).run();
            return "proxy:Runnable";
        }
        return o.getClass().getName() + ":" + o;
    }

    /** Java's Object methods on a Python object: toString, hashCode, equals. */
    public String describe(Object o) {
        Set<Object> set = new java.util.HashSet<Object>();
        set.add(o);
        return o.toString() + "|" + o.hashCode() + "|" + o.equals(o) + "|" + o.equals("other")
                + "|" + set.contains(o);
    }

    public String greetVia(Greeter greeter, String name) {
        return greeter.greet(name);
    }

    /** Arguments of several kinds, as Java encodes them for Python. */
    public String echoArgs(Echo echo) {
        List<Integer> list = new ArrayList<Integer>();
        list.add(1);
        list.add(2);
        return echo.echo(7, 5000000000L, 1.5, true, "line\nbreak", null, list, new byte[] {104, 105});
    }

    // ------------------------------------------------------------------ lifetime

    public void hold(Object o) {
        held.add(o);
    }

    public int heldCount() {
        return held.size();
    }

    public void dropAll() {
        held.clear();
    }

    public void gc() {
        System.gc();
        System.runFinalization();
    }
}
