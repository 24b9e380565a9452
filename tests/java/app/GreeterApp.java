import java.util.ArrayList;
import java.util.List;

/** A JVM application that serves a ferry gateway with nothing but ferry.jar on its class path. */
public class GreeterApp {
    private final List<String> greeted = new ArrayList<>();

    public String greet(String who) {
        greeted.add(who);
        return "hello " + who;
    }

    public List<String> greeted() {
        return greeted;
    }

    public static void main(String[] args) throws Exception {
        ferry.GatewayServer server = new ferry.GatewayServer.GatewayServerBuilder(new GreeterApp())
                .javaPort(0)
                .authToken(args.length > 0 ? args[0] : null)
                .build();
        server.start();
        System.out.println(server.getListeningPort());
        System.out.flush();
        server.awaitShutdown();
        System.out.println("stopped");
    }
}
