package ferrybench;

import java.io.IOException;
import java.io.InputStream;

import py4j.GatewayServer;

/**
 * Starts Py4J's own GatewayServer (from the py4j wheel's jar) on a free port with an entry point
 * named on the command line, prints the port as the first line of stdout, and exits when stdin
 * closes (the benchmark process went away) or a client sends the shutdown command.
 *
 * <p>Usage: {@code Py4JLauncher ENTRY_POINT_CLASS}
 */
public final class Py4JLauncher {
    private Py4JLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Py4JLauncher ENTRY_POINT_CLASS");
            System.exit(2);
        }
        Object entry = Class.forName(args[0]).getDeclaredConstructor().newInstance();
        GatewayServer server = new GatewayServer(entry, 0);
        server.start(true);
        System.out.println(server.getListeningPort());
        System.out.flush();
        InputStream in = System.in;
        try {
            while (in.read() != -1) {
                // Only the end of stdin matters.
            }
        } catch (IOException e) {
            // Treated as the end of stdin.
        }
        server.shutdown();
        System.exit(0);
    }
}
