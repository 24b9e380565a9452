package ferry;

import java.util.Map;

/** The registry of objects a gateway holds for its clients. */
public final class Gateway {
    private final GatewayServer server;

    Gateway(GatewayServer server) {
        this.server = server;
    }

    /** A snapshot of the live bindings, id to object: every reference clients hold. */
    public Map<String, Object> getBindings() {
        return server.bindings();
    }

    public Object getEntryPoint() {
        return server.getEntryPoint();
    }
}
