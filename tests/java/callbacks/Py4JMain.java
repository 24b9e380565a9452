package callbacks;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

import py4j.ClientServer;
import py4j.GatewayServer;

/**
 * Starts Py4J's own server with a {@link CallbackApp}: a GatewayServer (default mode) on a free
 * port, or a ClientServer (pinned-thread mode) on the Java port given. Prints the Java port as the
 * first line of stdout and serves until stdin closes or a client shuts the server down.
 *
 * <p>Usage: {@code Py4JMain gateway|clientserver [--java-port N] [--python-port N]
 * [--auth-token-file F]}. With a token, Java also sends it on its connections to Python.
 */
public final class Py4JMain {
    private Py4JMain() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            usage();
        }
        String mode = args[0];
        int javaPort = 0;
        int pythonPort = GatewayServer.DEFAULT_PYTHON_PORT;
        String token = null;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--java-port") && i + 1 < args.length) {
                javaPort = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--python-port") && i + 1 < args.length) {
                pythonPort = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--auth-token-file") && i + 1 < args.length) {
                token = readToken(args[++i]);
            } else {
                usage();
            }
        }
        final Runnable stop;
        final int port;
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        if (mode.equals("gateway")) {
            GatewayServer.GatewayServerBuilder builder =
                    new GatewayServer.GatewayServerBuilder(new CallbackApp())
                            .javaPort(javaPort)
                            .callbackClient(pythonPort, loopback, token);
            if (token != null) {
                builder.authToken(token);
            }
            final GatewayServer server = builder.build();
            server.addListener(new py4j.DefaultGatewayServerListener() {
                @Override
                public void serverPostShutdown() {
                    exitSoon();
                }
            });
            server.start(true);
            port = server.getListeningPort();
            stop = new Runnable() {
                @Override
                public void run() {
                    server.shutdown();
                }
            };
        } else if (mode.equals("clientserver")) {
            ClientServer.ClientServerBuilder builder =
                    new ClientServer.ClientServerBuilder(new CallbackApp())
                            .javaPort(javaPort)
                            .pythonPort(pythonPort)
                            .pythonAddress(loopback);
            if (token != null) {
                builder.authToken(token);
            }
            final ClientServer server = builder.build();
            server.getJavaServer().addListener(new py4j.DefaultGatewayServerListener() {
                @Override
                public void serverPostShutdown() {
                    exitSoon();
                }
            });
            port = server.getJavaServer().getListeningPort();
            stop = new Runnable() {
                @Override
                public void run() {
                    server.shutdown();
                }
            };
        } else {
            usage();
            return;
        }
        System.out.println(port);
        System.out.flush();
        Thread watcher = new Thread(new Runnable() {
            @Override
            public void run() {
                InputStream in = System.in;
                try {
                    while (in.read() != -1) {
                        // Only the end of stdin matters.
                    }
                } catch (IOException e) {
                    // A broken stdin means the parent is gone too.
                }
                stop.run();
                exitSoon();
            }
        }, "stdin-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void usage() {
        System.err.println("usage: Py4JMain gateway|clientserver [--java-port N] [--python-port N]"
                + " [--auth-token-file F]");
        System.exit(2);
    }

    private static String readToken(String path) throws IOException {
        String text = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }

    private static void exitSoon() {
        new Thread(new Runnable() {
            @Override
            public void run() {
                System.exit(0);
            }
        }, "exit").start();
    }
}
