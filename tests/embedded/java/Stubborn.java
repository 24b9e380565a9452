package embedded;

import java.util.concurrent.CountDownLatch;

/** Java code for the embedded-mode tests: calls that tell when they started, one that ignores
 * interrupts, and a non-daemon thread that keeps calling Python. */
public class Stubborn {
    private static volatile boolean finished;
    private static volatile boolean sawInterrupt;

    /** Calls {@code started.run()} (a Python object), then sleeps {@code millis}. */
    public static void sleepAfter(Runnable started, long millis) throws InterruptedException {
        started.run();
        Thread.sleep(millis);
    }

    /** Calls {@code started.run()}, then stays busy for {@code millis} whatever interrupts come
     * (noting them), and returns 7. */
    public static int spinAfter(Runnable started, long millis) {
        finished = false;
        sawInterrupt = false;
        started.run();
        long end = System.nanoTime() + millis * 1000000L;
        while (System.nanoTime() < end) {
            if (Thread.currentThread().isInterrupted()) {
                sawInterrupt = true;
            }
        }
        finished = true;
        return 7;
    }

    public static boolean finished() {
        return finished;
    }

    public static boolean sawInterrupt() {
        return sawInterrupt;
    }

    /** Starts a non-daemon thread that calls {@code tick.run()} every millisecond until the
     * process ends, whatever the calls throw; returns once the first call returned. */
    public static Thread tickForever(final Runnable tick) throws InterruptedException {
        final CountDownLatch first = new CountDownLatch(1);
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                while (true) {
                    try {
                        tick.run();
                    } catch (Throwable e) {
                        // Python is gone: keep going, the process must still exit.
                    }
                    first.countDown();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "ticker");
        t.setDaemon(false);
        t.start();
        first.await();
        return t;
    }
}
