import py4j.GatewayServer;
import java.net.InetAddress;

public class CapApp {
    public int counter = 3;
    public String ping() { return "pong"; }
    public float aFloat() { return 0.1f; }
    public short aShort() { return (short) 7; }
    public byte aByte() { return (byte) -2; }
    public char aChar() { return 'c'; }
    public byte[] someBytes() { return new byte[] {0, 1, 2, (byte) 255}; }
    public java.math.BigDecimal aDecimal() { return new java.math.BigDecimal("1E+3"); }
    public java.util.Set<Integer> aSet() { return new java.util.HashSet<>(java.util.Arrays.asList(1, 2)); }
    public java.util.Map<String, Integer> aMap() { return new java.util.HashMap<>(); }
    public Object nothing() { return null; }
    public void doNothing() { }
    public double echo(double d) { return d; }
    public String echoS(String s) { return s; }
    public int compareMixed(java.util.Comparator<Object> c) {
        int r = c.compare("x\ny\\z\r", java.util.Arrays.asList(1));
        r += c.compare(5000000000L, 1.5f);
        r += c.compare(null, new byte[] {1, 2, 3});
        r += c.compare('q', new java.util.HashMap<String, String>());
        r += c.compare(true, new int[] {1});
        r += c.compare(new java.math.BigDecimal("1E+3"), 2.5e-10);
        return r;
    }
    public int compareWith(java.util.Comparator<Integer> c, int a, int b) { return c.compare(a, b); }

    // args: token ("-" for none), callback port (0 for none)
    public static void main(String[] args) throws Exception {
        String token = args.length > 0 && !args[0].equals("-") ? args[0] : null;
        int cbPort = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        GatewayServer.GatewayServerBuilder b = new GatewayServer.GatewayServerBuilder(new CapApp()).javaPort(0);
        if (token != null) b.authToken(token);
        if (cbPort != 0) b.callbackClient(cbPort, InetAddress.getByName("127.0.0.1"), token);
        GatewayServer server = b.build();
        server.start();
        System.out.println(server.getListeningPort());
        System.out.flush();
    }
}
