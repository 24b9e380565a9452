package ferry;

import java.net.InetAddress;

/**
 * A gateway in pinned-thread mode (Py4J's ClientServer, PySpark's default since Spark 3.2): every
 * Python thread gets its own connection and its own Java thread, a Java call to Python made while
 * a thread serves a connection travels on that connection, and Python's calls made meanwhile run
 * in that same Java thread. A Java thread that calls Python first gets its own connection to the
 * Python side's server, served there by a Python thread of its own.
 */
public class ClientServer {
    private final GatewayServer javaServer;
    private final boolean autoStart;

    private ClientServer(GatewayServer javaServer, boolean autoStart) {
        this.javaServer = javaServer;
        this.autoStart = autoStart;
        javaServer.setPinnedThreads(true);
        if (autoStart) {
            javaServer.start();
        }
    }

    public ClientServer(Object entryPoint) {
        this(new GatewayServer.GatewayServerBuilder(entryPoint).build(), true);
    }

    /** Starts the Java server (when the builder's autoStartJavaServer was false). */
    public void startServer() {
        startServer(true);
    }

    public void startServer(boolean fork) {
        if (javaServer.getListeningPort() == -1) {
            javaServer.start(fork);
        } else if (!fork) {
            javaServer.awaitShutdown();
        }
    }

    public GatewayServer getJavaServer() {
        return javaServer;
    }

    public CallbackClient getPythonClient() {
        return javaServer.getCallbackClient();
    }

    public Object getPythonServerEntryPoint(@SuppressWarnings("rawtypes") Class[] interfacesToImplement) {
        return javaServer.getPythonServerEntryPoint(interfacesToImplement);
    }

    public void shutdown() {
        javaServer.shutdown();
    }

    boolean autoStarted() {
        return autoStart;
    }

    /** Builds a ClientServer, with the option names of Py4J's builder. */
    public static class ClientServerBuilder {
        private final GatewayServer.GatewayServerBuilder gateway;
        private int pythonPort = GatewayServer.DEFAULT_PYTHON_PORT;
        private InetAddress pythonAddress = GatewayServer.defaultAddress();
        private String authToken;
        private boolean autoStartJavaServer = true;

        public ClientServerBuilder() {
            this(null);
        }

        public ClientServerBuilder(Object entryPoint) {
            gateway = new GatewayServer.GatewayServerBuilder(entryPoint);
        }

        public ClientServerBuilder entryPoint(Object entryPoint) {
            gateway.entryPoint(entryPoint);
            return this;
        }

        public ClientServerBuilder javaPort(int javaPort) {
            gateway.javaPort(javaPort);
            return this;
        }

        public ClientServerBuilder javaAddress(InetAddress javaAddress) {
            gateway.javaAddress(javaAddress);
            return this;
        }

        public ClientServerBuilder pythonPort(int pythonPort) {
            this.pythonPort = pythonPort;
            return this;
        }

        public ClientServerBuilder pythonAddress(InetAddress pythonAddress) {
            this.pythonAddress = pythonAddress;
            return this;
        }

        public ClientServerBuilder connectTimeout(int connectTimeout) {
            gateway.connectTimeout(connectTimeout);
            return this;
        }

        public ClientServerBuilder readTimeout(int readTimeout) {
            gateway.readTimeout(readTimeout);
            return this;
        }

        public ClientServerBuilder authToken(String authToken) {
            this.authToken = authToken;
            gateway.authToken(authToken);
            return this;
        }

        public ClientServerBuilder autoStartJavaServer(boolean autoStartJavaServer) {
            this.autoStartJavaServer = autoStartJavaServer;
            return this;
        }

        /** Memory management (releasing Python objects Java dropped) is always on in ferry. */
        public ClientServerBuilder enableMemoryManagement(boolean enableMemoryManagement) {
            return this;
        }

        public ClientServer build() {
            gateway.callbackClient(pythonPort, pythonAddress, authToken);
            return new ClientServer(gateway.build(), autoStartJavaServer);
        }
    }
}
