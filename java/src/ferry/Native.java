package ferry;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Loads ferry's native engine once per JVM.
 *
 * <p>When the engine already lives in the process (the {@code ferry serve} command, or a JVM created
 * inside a Python process), it has registered the native methods of these classes itself and
 * {@link #ping()} answers; otherwise the shared library carried inside ferry.jar is extracted to a
 * private temporary file and loaded.
 */
public final class Native {
    private static final String RESOURCE = "/ferry/native/linux-x86_64/libferry_jni.so";
    private static boolean loaded;

    private Native() {}

    /** Answers 1 once the native methods are registered. */
    static native int ping();

    /** Makes sure the native engine is loaded and its methods registered. */
    public static synchronized void ensureLoaded() {
        if (loaded) {
            return;
        }
        try {
            if (ping() == 1) {
                loaded = true;
                return;
            }
        } catch (UnsatisfiedLinkError notYet) {
            // The engine is not in this process yet: load it from the jar below.
        }
        String os = System.getProperty("os.name", "").toLowerCase();
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new UnsatisfiedLinkError(
                    "ferry.jar carries a native engine for linux-x86_64 only, not " + os + "-" + arch);
        }
        try (InputStream in = Native.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("ferry.jar lacks its native engine " + RESOURCE);
            }
            File tmp = File.createTempFile("ferry-jni-", ".so");
            tmp.deleteOnExit();
            // Only the owner may read or replace the library before it is loaded.
            tmp.setReadable(false, false);
            tmp.setReadable(true, true);
            tmp.setWritable(false, false);
            tmp.setWritable(true, true);
            try (OutputStream out = new FileOutputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                }
            }
            System.load(tmp.getAbsolutePath());
            // Unlinking right after the load keeps nothing behind; the mapping stays valid.
            tmp.delete();
        } catch (IOException e) {
            UnsatisfiedLinkError err = new UnsatisfiedLinkError("cannot extract ferry's native engine: " + e);
            err.initCause(e);
            throw err;
        }
        if (ping() != 1) {
            throw new UnsatisfiedLinkError("ferry's native engine did not register its methods");
        }
        loaded = true;
    }
}
