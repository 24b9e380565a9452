package ferry;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * A ferry gateway inside a JVM application: Python programs using py4j or ferry connect to it and
 * use the JVM's objects, starting from the entry point.
 *
 * <p>Same shape as Py4J's GatewayServer: {@code new GatewayServer(entryPoint).start()}, or the
 * {@link GatewayServerBuilder}. The protocol engine is native and comes inside ferry.jar.
 */
public class GatewayServer {
    public static final String DEFAULT_ADDRESS = "127.0.0.1";
    public static final String DEFAULT_IPv6_ADDRESS = "::1";
    public static final int DEFAULT_PORT = 25333;
    public static final int DEFAULT_PYTHON_PORT = 25334;
    public static final int DEFAULT_CONNECT_TIMEOUT = 0;
    public static final int DEFAULT_READ_TIMEOUT = 0;
    public static final String GATEWAY_SERVER_ID = "GATEWAY_SERVER";

    private final Object entryPoint;
    private final int port;
    private final InetAddress address;
    private final String unixSocketPath;
    private final String authToken;
    private final int connectTimeout;
    private final int readTimeout;
    private volatile CallbackClient callbackClient;
    private final Gateway gateway = new Gateway(this);
    private boolean pinnedThreads;
    private long handle;

    public GatewayServer() {
        this(null);
    }

    public GatewayServer(Object entryPoint) {
        this(entryPoint, DEFAULT_PORT);
    }

    public GatewayServer(Object entryPoint, int port) {
        this(entryPoint, port, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT);
    }

    public GatewayServer(Object entryPoint, int port, int connectTimeout, int readTimeout) {
        this(entryPoint, port, DEFAULT_PYTHON_PORT, defaultAddress(), defaultAddress(), connectTimeout,
                readTimeout);
    }

    public GatewayServer(Object entryPoint, int port, int pythonPort, InetAddress address,
            InetAddress pythonAddress, int connectTimeout, int readTimeout) {
        this(entryPoint, port, address, null, null, connectTimeout, readTimeout,
                new CallbackClient(pythonAddress, pythonPort, null));
    }

    private GatewayServer(Object entryPoint, int port, InetAddress address, String unixSocketPath,
            String authToken, int connectTimeout, int readTimeout, CallbackClient callbackClient) {
        Native.ensureLoaded();
        this.entryPoint = entryPoint;
        this.port = port;
        this.address = address;
        this.unixSocketPath = unixSocketPath;
        this.authToken = authToken;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.callbackClient = callbackClient;
    }

    public static InetAddress defaultAddress() {
        try {
            return InetAddress.getByName(DEFAULT_ADDRESS);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    public static InetAddress defaultIPv6Address() {
        try {
            return InetAddress.getByName(DEFAULT_IPv6_ADDRESS);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Binds and serves in background threads; returns at once. */
    public void start() {
        start(true);
    }

    /**
     * Binds and serves. With {@code fork} false, the calling thread waits until the server shuts
     * down.
     */
    public void start(boolean fork) {
        synchronized (this) {
            if (handle != 0) {
                throw new IllegalStateException("this gateway server was already started");
            }
            CallbackClient cb = callbackClient;
            handle = nativeStart(this, entryPoint, address.getHostAddress(), port, unixSocketPath,
                    authToken, connectTimeout, readTimeout, cb.getAddress().getHostAddress(), cb.getPort(),
                    cb.getAuthToken(), pinnedThreads);
        }
        if (!fork) {
            awaitShutdown();
        }
    }

    /** Waits until the server has shut down (by {@link #shutdown()} or a client's shutdown command). */
    public void awaitShutdown() {
        long h;
        synchronized (this) {
            h = handle;
        }
        if (h != 0) {
            nativeAwait(h);
        }
    }

    /** Stops listening, closes every connection and releases every object held for clients. */
    public void shutdown() {
        shutdown(true);
    }

    public void shutdown(boolean shutdownCallbackClient) {
        long h;
        synchronized (this) {
            h = handle;
        }
        if (h != 0) {
            nativeShutdown(h);
        }
    }

    /** The port the server listens on, or -1 before it is started. */
    public int getListeningPort() {
        long h;
        synchronized (this) {
            h = handle;
        }
        return h == 0 ? -1 : nativeListeningPort(h);
    }

    public int getPort() {
        return port;
    }

    public InetAddress getAddress() {
        return address;
    }

    /** The Unix socket path the server also listens on, or null. */
    public String getUnixSocketPath() {
        return unixSocketPath;
    }

    public int getConnectTimeout() {
        return connectTimeout;
    }

    public int getReadTimeout() {
        return readTimeout;
    }

    public int getPythonPort() {
        return callbackClient.getPort();
    }

    public InetAddress getPythonAddress() {
        return callbackClient.getAddress();
    }

    public CallbackClient getCallbackClient() {
        return callbackClient;
    }

    /** Points callbacks at another Python callback server (the port-0 flow of Python clients). */
    public void resetCallbackClient(InetAddress pythonAddress, int pythonPort) {
        callbackClient = callbackClient.copyWith(pythonAddress, pythonPort);
        long h;
        synchronized (this) {
            h = handle;
        }
        if (h != 0) {
            nativeResetCallback(h, pythonAddress.getHostAddress(), pythonPort);
        }
    }

    /**
     * The Python side's entry point ({@code python_server_entry_point}), as a proxy implementing
     * the given interfaces.
     */
    public Object getPythonServerEntryPoint(@SuppressWarnings("rawtypes") Class[] interfacesToImplement) {
        long h;
        synchronized (this) {
            h = handle;
        }
        if (h == 0) {
            throw new IllegalStateException("the gateway server is not started");
        }
        return PythonProxyHandler.create(nativeProxyOwner(h), "t", interfacesToImplement);
    }

    public Gateway getGateway() {
        return gateway;
    }

    public Object getEntryPoint() {
        return entryPoint;
    }

    Map<String, Object> bindings() {
        long h;
        synchronized (this) {
            h = handle;
        }
        return nativeBindings(h);
    }

    /**
     * Builds and starts a server (used by the {@code ferry serve} command, which creates the JVM).
     */
    static GatewayServer launch(Object entryPoint, String address, int port, String unixSocketPath,
            String authToken, int readTimeout, boolean pinnedThreads) throws UnknownHostException {
        GatewayServer server = new GatewayServerBuilder(entryPoint)
                .javaAddress(InetAddress.getByName(address))
                .javaPort(port)
                .unixSocket(unixSocketPath)
                .authToken(authToken)
                .readTimeout(readTimeout)
                .build();
        server.pinnedThreads = pinnedThreads;
        server.start();
        return server;
    }

    /** Switches to the pinned-thread model before the server starts (see {@link ClientServer}). */
    void setPinnedThreads(boolean pinned) {
        synchronized (this) {
            if (handle != 0) {
                throw new IllegalStateException("the gateway server is already started");
            }
            pinnedThreads = pinned;
        }
    }

    /** Whether calls follow the pinned-thread model. */
    public boolean isPinnedThreads() {
        return pinnedThreads;
    }

    private static native long nativeStart(GatewayServer self, Object entryPoint, String address, int port,
            String unixSocketPath, String authToken, int connectTimeout, int readTimeout, String pythonAddress,
            int pythonPort, String pythonAuthToken, boolean pinnedThreads);

    private static native void nativeResetCallback(long handle, String pythonAddress, int pythonPort);

    private static native long nativeProxyOwner(long handle);

    private static native void nativeAwait(long handle);

    private static native void nativeShutdown(long handle);

    private static native int nativeListeningPort(long handle);

    private static native Map<String, Object> nativeBindings(long handle);

    /** Builds a GatewayServer, with the option names of Py4J's builder. */
    public static class GatewayServerBuilder {
        private Object entryPoint;
        private int javaPort = DEFAULT_PORT;
        private InetAddress javaAddress = defaultAddress();
        private String unixSocketPath;
        private String authToken;
        private int connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private int readTimeout = DEFAULT_READ_TIMEOUT;
        private CallbackClient callbackClient;

        public GatewayServerBuilder() {}

        public GatewayServerBuilder(Object entryPoint) {
            this.entryPoint = entryPoint;
        }

        public GatewayServerBuilder entryPoint(Object entryPoint) {
            this.entryPoint = entryPoint;
            return this;
        }

        public GatewayServerBuilder javaPort(int javaPort) {
            this.javaPort = javaPort;
            return this;
        }

        public GatewayServerBuilder javaAddress(InetAddress javaAddress) {
            this.javaAddress = javaAddress;
            return this;
        }

        /** Also listen on a Unix domain socket at this path (ferry only). */
        public GatewayServerBuilder unixSocket(String path) {
            this.unixSocketPath = path;
            return this;
        }

        public GatewayServerBuilder authToken(String authToken) {
            this.authToken = authToken;
            return this;
        }

        public GatewayServerBuilder connectTimeout(int connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public GatewayServerBuilder readTimeout(int readTimeout) {
            this.readTimeout = readTimeout;
            return this;
        }

        public GatewayServerBuilder callbackClient(int pythonPort, InetAddress pythonAddress) {
            return callbackClient(pythonPort, pythonAddress, null);
        }

        public GatewayServerBuilder callbackClient(int pythonPort, InetAddress pythonAddress, String authToken) {
            this.callbackClient = new CallbackClient(pythonAddress, pythonPort, authToken);
            return this;
        }

        /**
         * Builds the server. Without an explicit callback client, callbacks go to the default
         * Python port and authenticate with this server's own token, which is what Python clients
         * expect by default (Py4J leaves the token out, which breaks callbacks with auth on).
         */
        public GatewayServer build() {
            CallbackClient cb = callbackClient != null ? callbackClient
                    : new CallbackClient(defaultAddress(), DEFAULT_PYTHON_PORT, authToken);
            return new GatewayServer(entryPoint, javaPort, javaAddress, unixSocketPath, authToken,
                    connectTimeout, readTimeout, cb);
        }
    }
}
