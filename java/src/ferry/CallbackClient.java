package ferry;

import java.net.InetAddress;

/** Where the Python side's callback server listens, as Py4J's CallbackClient reports it. */
public final class CallbackClient {
    private final InetAddress address;
    private final int port;
    private final String authToken;

    CallbackClient(InetAddress address, int port, String authToken) {
        this.address = address;
        this.port = port;
        this.authToken = authToken;
    }

    public InetAddress getAddress() {
        return address;
    }

    public int getPort() {
        return port;
    }

    String getAuthToken() {
        return authToken;
    }

    /** The same settings with another address and port. */
    public CallbackClient copyWith(InetAddress newAddress, int newPort) {
        return new CallbackClient(newAddress, newPort, authToken);
    }

    @Override
    public String toString() {
        return "CallbackClient(" + address.getHostAddress() + ":" + port + ")";
    }
}
