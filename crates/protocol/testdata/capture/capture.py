"""Captures real exchanges with Py4J's Java GatewayServer over raw sockets.

Usage: python3 capture.py <py4j jar> <dir with CapApp.class> <output dir>

Writes one transcript file per scenario group; the format is described at the top of each file
(and in ../README.md). Every server is a fresh JVM, so object ids are deterministic.
"""

import base64
import os
import socket
import subprocess
import sys
import threading
import time

JAR, CLASSES, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
JAVA = os.path.join(
    os.path.dirname(os.path.dirname(os.path.realpath(subprocess.check_output(
        ["bash", "-c", "command -v javac"]).decode().strip()))), "bin", "java")

HEADER = """\
# Real exchanges between a raw-socket client and stock Py4J 0.10.9.9 (py4j0.10.9.9.jar from the
# PyPI wheel) on OpenJDK {jdk}, captured {date} by capture/capture.py (server: capture/CapApp.java).
# Format, one record per line:
#   # ...                comment
#   == gateway <label>   a new TCP connection from the client (Python role) to the Java GatewayServer
#   == callback <label>  a new TCP connection from Java's CallbackClient to the capture script, which
#                        plays the Python callback server: there '>' is what Java sent, '<' what the
#                        script answered
#   == ... (continued)   the records that follow are on that connection again (another connection's
#                        records came in between)
#   -- <label>           an exchange: the '>' lines that follow went out in one write
#   >raw <hex>           bytes sent as they are (for line ends other than LF)
#   > <line>             one line sent, without its LF terminator (every line went out LF-terminated
#                        unless the exchange label says otherwise)
#   < <line>             one line received, without its LF
#   <bytes <hex>         raw bytes received after the reply line (stream command)
#   <closed              the peer closed the connection (EOF) after the lines above
#   <reset               the connection was reset (ECONNRESET) after the lines above
#   <silent              no reply within {quiet} s; the connection stayed open
# After the first space of '>' and '<' records everything up to the end of the line is the wire line,
# byte for byte (tabs included).
"""

QUIET = 0.6
SERVERS = []
CURRENT = {}  # id(transcript) -> the session that wrote its last header


class Session:
    def __init__(self, out, kind, label, sock, server=None):
        self.out, self.sock, self.server, self.label = out, sock, server, label
        self.buf = b""
        self.closed = False
        self.vars = {}
        self.kind = kind
        out.append("")
        out.append("== %s %s" % (kind, label))
        CURRENT[id(out)] = self

    def exchange(self, label, *lines, save=None, stream=False, raw=None, wait=None):
        if self.closed:
            if self.server is None:
                raise RuntimeError("session closed before " + label)
            self.sock = socket.create_connection(("127.0.0.1", self.server.port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.closed, self.buf = False, b""
            self.out.append("")
            self.out.append("== gateway %s (new connection after the close)" % self.label)
            CURRENT[id(self.out)] = self
        lines = [l.format(**self.vars) for l in lines]
        if CURRENT.get(id(self.out)) is not self:
            # Another connection wrote since: say again which connection this is.
            self.out.append("")
            self.out.append("== %s %s (continued)" % (self.kind, self.label))
        CURRENT[id(self.out)] = self
        self.out.append("-- " + label)
        data = raw if raw is not None else "".join(l + "\n" for l in lines).encode()
        if raw is None:
            for l in lines:
                self.out.append("> " + l)
        else:
            self.out.append(">raw " + raw.hex())
        self.sock.sendall(data)
        got = self.read(wait)
        if stream and got:
            raw = b"\n".join(got[1:]) + (b"\n" if len(got) > 1 else b"") + self.buf
            self.buf = b""
            self.out.append("< " + got[0].decode())
            if raw:
                self.out.append("<bytes " + raw.hex())
        else:
            for l in got:
                self.out.append("< " + l.decode())
        if save:
            reply = got[0].decode()
            self.vars[save] = reply[3:]
        if self.closed:
            self.out.append("<" + self.closed)
        elif not got:
            self.out.append("<silent")
        return got

    def read(self, wait=None):
        """Reads until a line arrived and then QUIET seconds passed, or EOF."""
        deadline = time.time() + (wait or 2.0)
        lines_seen = False
        while True:
            timeout = QUIET if lines_seen else max(0.01, deadline - time.time())
            self.sock.settimeout(timeout)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                self.closed = "reset"
                break
            if not chunk:
                self.closed = "closed"
                break
            self.buf += chunk
            if b"\n" in self.buf:
                lines_seen = True
        *lines, self.buf = self.buf.split(b"\n")
        if self.closed and self.buf:
            lines.append(self.buf)
            self.buf = b""
        return lines


class Server:
    def __init__(self, token="-", cb_port=0):
        self.proc = subprocess.Popen(
            [JAVA, "-cp", JAR + os.pathsep + CLASSES, "CapApp", token, str(cb_port)],
            stdout=subprocess.PIPE)
        SERVERS.append(self)
        self.port = int(self.proc.stdout.readline())

    def connect(self, out, label, kind="gateway"):
        s = socket.create_connection(("127.0.0.1", self.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Session(out, kind, label, s, self)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def write(name, out):
    jdk = subprocess.run([JAVA, "-version"], capture_output=True).stderr.decode().split("\n")[0]
    with open(os.path.join(OUT, name), "w") as f:
        f.write(HEADER.format(jdk=jdk.split('"')[1], date=time.strftime("%Y-%m-%d"), quiet=QUIET))
        f.write("\n".join(out).lstrip("\n") + "\n")


def commands():
    """Every command and sub-command of the Python -> Java catalogue, with their success replies."""
    out = ["# Every command and sub-command a py4j client sends, as py4j writes them, and Py4J's replies."]
    srv = Server()
    s = srv.connect(out, "commands")
    # c: call
    s.exchange("static call, overload on primitives", "c", "z:java.lang.Math", "max", "i3", "i7", "e")
    s.exchange("entry point call", "c", "t", "ping", "e")
    s.exchange("float return", "c", "t", "aFloat", "e")
    s.exchange("short return", "c", "t", "aShort", "e")
    s.exchange("byte return", "c", "t", "aByte", "e")
    s.exchange("char return", "c", "t", "aChar", "e")
    s.exchange("byte[] return", "c", "t", "someBytes", "e")
    s.exchange("BigDecimal return", "c", "t", "aDecimal", "e")
    s.exchange("Set return", "c", "t", "aSet", "e")
    s.exchange("Map return", "c", "t", "aMap", "e")
    s.exchange("null return", "c", "t", "nothing", "e")
    s.exchange("void return", "c", "t", "doNothing", "e")
    s.exchange("long return", "c", "z:java.lang.Long", "parseLong", "s5000000000", "e")
    s.exchange("boolean argument (Python spelling)", "c", "z:java.lang.Boolean", "toString", "bTrue", "e")
    s.exchange("long argument", "c", "z:java.lang.Long", "toString", "L5000000000", "e")
    s.exchange("double argument, Python repr", "c", "t", "echo", "d1e-05", "e")
    s.exchange("double argument, large", "c", "t", "echo", "d1.5e+300", "e")
    s.exchange("double argument, Infinity", "c", "t", "echo", "d-Infinity", "e")
    s.exchange("double argument, NaN", "c", "t", "echo", "dNaN", "e")
    s.exchange("double argument, negative zero", "c", "t", "echo", "d-0.0", "e")
    s.exchange("double argument, 2e23 (JDK 17 Double.toString digits)", "c", "t", "echo", "d2e+23", "e")
    s.exchange("double argument, 1e23", "c", "t", "echo", "d1e+23", "e")
    s.exchange("decimal argument", "c", "z:java.math.BigDecimal", "valueOf", "L5000000000", "e")
    s.exchange("BigDecimal built from a string in scientific notation", "i", "java.math.BigDecimal", "s1E+3", "e")
    s.exchange("decimal argument (D, Python str(Decimal))", "c", "z:java.lang.String", "valueOf", "D1.5E+2", "e")
    s.exchange("call on GATEWAY_SERVER", "c", "GATEWAY_SERVER", "getPythonPort", "e")
    s.exchange("string argument with escapes", "c", "t", "echoS", "s\\nhello\\\\world\\r<TAB>\tend", "e")
    s.exchange("null argument", "c", "t", "echoS", "n", "e")
    s.exchange("non-ASCII string", "c", "t", "echoS", "sh\u00e9llo \u20ac \U0001F600", "e")
    s.exchange("bytes argument", "i", "java.io.ByteArrayInputStream", "jAAEC/w==", "e", save="bais")
    s.exchange("int argument overflowing int32 (i)", "c", "z:java.lang.Long", "valueOf", "i5000000000", "e")
    # i: constructor, instance calls, list replies
    s.exchange("constructor", "i", "java.lang.StringBuilder", "sabc", "e", save="sb")
    s.exchange("instance call returning the same object", "c", "{sb}", "append", "d1.5", "e")
    s.exchange("instance call returning a string", "c", "{sb}", "toString", "e")
    s.exchange("constructor returning a list", "i", "java.util.ArrayList", "e", save="list")
    s.exchange("add", "c", "{list}", "add", "s\\nhello\\\\world", "e")
    s.exchange("get", "c", "{list}", "get", "i0", "e")
    s.exchange("iterator", "c", "{list}", "iterator", "e")
    # f: fields
    s.exchange("constructor with args", "i", "java.awt.Point", "i1", "i2", "e", save="pt")
    s.exchange("field get", "f", "g", "{pt}", "x", "e")
    s.exchange("field set", "f", "s", "{pt}", "x", "i10", "e")
    s.exchange("field get after set", "f", "g", "{pt}", "x", "e")
    s.exchange("field get, no such field", "f", "g", "{pt}", "nosuch", "e")
    s.exchange("field set, no such field", "f", "s", "{pt}", "nosuch", "i1", "e")
    s.exchange("field get on the entry point", "f", "g", "t", "counter", "e")
    # r: reflection
    s.exchange("r u package", "r", "u", "java", "rj", "e")
    s.exchange("r u simple class name", "r", "u", "String", "rj", "e")
    s.exchange("r u dotted class name", "r", "u", "java.util.ArrayList", "rj", "e")
    s.exchange("r u primitive name", "r", "u", "int", "rj", "e")
    s.exchange("r u unknown dotted name", "r", "u", "no.such.Thing", "rj", "e")
    s.exchange("r m static field", "r", "m", "java.lang.Integer", "MAX_VALUE", "e")
    s.exchange("r m static method", "r", "m", "java.lang.Integer", "parseInt", "e")
    s.exchange("r m nested class", "r", "m", "java.util.Map", "Entry", "e")
    s.exchange("r m instance member", "r", "m", "java.lang.Double", "isNaN", "e")
    s.exchange("r m unknown member", "r", "m", "java.lang.Integer", "nosuch", "e")
    s.exchange("r m unknown class", "r", "m", "no.such.Thing", "x", "e")
    s.exchange("r c", "r", "c", "java.lang.String", "e")
    # a: arrays
    s.exchange("a c", "a", "c", "sint", "i3", "e", save="arr")
    s.exchange("a c two dimensions", "a", "c", "sjava.lang.String", "i2", "i2", "e")
    s.exchange("a s", "a", "s", "{arr}", "i0", "i42", "e")
    s.exchange("a g", "a", "g", "{arr}", "i0", "e")
    s.exchange("a l", "a", "l", "{arr}", "i0", "i2", "e")
    s.exchange("a e", "a", "e", "{arr}", "e")
    s.exchange("a g out of bounds", "a", "g", "{arr}", "i9", "e")
    # l: lists
    s.exchange("list for l commands", "i", "java.util.ArrayList", "e", save="l1")
    for v in ("i3", "i1", "i2"):
        s.exchange("add " + v, "c", "{l1}", "add", v, "e")
    s.exchange("l s", "l", "s", "{l1}", "e")
    s.exchange("l r", "l", "r", "{l1}", "e")
    s.exchange("l x", "l", "x", "{l1}", "e")
    s.exchange("l n", "l", "n", "{l1}", "e")
    s.exchange("l l", "l", "l", "{l1}", "i0", "i2", "e")
    s.exchange("l a", "l", "a", "{l1}", "{list}", "e")
    s.exchange("l m", "l", "m", "{l1}", "i2", "e")
    s.exchange("l i", "l", "i", "{l1}", "i2", "e")
    s.exchange("l f", "l", "f", "{l1}", "i2", "e")
    s.exchange("l x on a one-element list", "l", "x", "{list}", "e")
    s.exchange("empty list", "i", "java.util.ArrayList", "e", save="empty")
    s.exchange("l x on an empty list", "l", "x", "{empty}", "e")
    # j: views
    s.exchange("j c", "j", "c", "scustom view", "e", save="view")
    s.exchange("j i star import", "j", "i", "r{view}", "java.util.*", "e")
    s.exchange("j i class import", "j", "i", "r{view}", "java.util.concurrent.atomic.AtomicLong", "e")
    s.exchange("r u through a view import", "r", "u", "AtomicLong", "r{view}", "e")
    s.exchange("d v, no cached sequence", "d", "v", "r{view}", "n", "e")
    s.exchange("d v, current sequence", "d", "v", "r{view}", "s2", "e")
    s.exchange("d v, old sequence", "d", "v", "r{view}", "s0", "e")
    s.exchange("j r", "j", "r", "r{view}", "java.util.concurrent.atomic.AtomicLong", "e")
    s.exchange("j r of a missing import", "j", "r", "r{view}", "java.util.concurrent.atomic.AtomicLong", "e")
    s.exchange("j i on the default view", "j", "i", "rj", "java.util.*", "e")
    # d: dir
    s.exchange("d f", "d", "f", "{pt}", "e")
    s.exchange("d m", "d", "m", "t", "e")
    s.exchange("d s", "d", "s", "java.lang.Boolean", "e")
    # h: help
    s.exchange("h o", "h", "o", "t", "n", "bTrue", "e")
    s.exchange("h c with pattern", "h", "c", "java.lang.Boolean", "sparse*", "bFalse", "e")
    # p: exception trace, m: memory
    s.exchange("c throwing", "c", "z:java.lang.Integer", "parseInt", "sabc", "e", save="exc")
    s.exchange("p", "p", "r{exc}", "e")
    s.exchange("m d", "m", "d", "{exc}", "e")
    s.exchange("m d of an unknown id", "m", "d", "o99999", "e")
    s.exchange("m a (Python defines it; is it known?)", "m", "a", "{pt}", "e")
    srv.stop()
    write("commands.txt", out)


def stream_and_cancel():
    out = ["# The stream command (S) and the cancel command (z), which acts on other connections."]
    srv = Server()
    s = srv.connect(out, "stream")
    s.exchange("bytes for the channel", "i", "java.io.ByteArrayInputStream", "jaGVsbG8Kd29ybGQAAf8=", "e", save="bais")
    s.exchange("S on a static method returning a channel", "S", "z:java.nio.channels.Channels", "newChannel", "r{bais}", "e", stream=True)
    s.exchange("connection still usable after the stream", "c", "t", "ping", "e")
    s.exchange("S on a method that does not return a channel", "S", "t", "ping", "e", stream=True)
    s.exchange("S on a missing method", "S", "t", "nosuch", "e", stream=True)
    victim = srv.connect(out, "victim of the cancel")
    victim.exchange("victim works", "c", "t", "ping", "e")
    lport, rport = victim.sock.getsockname()[1], victim.sock.getpeername()[1]
    out.append("# the victim's client port is %d; the server port is %d" % (lport, rport))
    bystander = srv.connect(out, "bystander")
    bystander.exchange("bystander works", "c", "t", "ping", "e")
    c0 = srv.connect(out, "cancel matching only the victim's client port")
    c0.exchange("z with the victim's client port and a local port that matches nothing", "z", "127.0.0.1", str(lport), "1")
    victim.exchange("victim after this cancel", "c", "t", "ping", "e")
    bystander.exchange("bystander after this cancel", "c", "t", "ping", "e")
    victim = srv.connect(out, "second victim")
    victim.exchange("second victim works", "c", "t", "ping", "e")
    lport, rport = victim.sock.getsockname()[1], victim.sock.getpeername()[1]
    out.append("# the second victim's client port is %d; the server port is %d" % (lport, rport))
    c = srv.connect(out, "cancel")
    # py4j sends: z / address / remote port of the Java socket (= client's local port) / Java's local port
    c.exchange("z with the victim's ports (no e, no reply expected)", "z", "127.0.0.1", str(lport), str(rport))
    victim.exchange("victim after the cancel", "c", "t", "ping", "e")
    bystander.exchange("bystander after the cancel", "c", "t", "ping", "e")
    srv.stop()
    write("stream_cancel.txt", out)


def errors_and_fatal():
    out = ["# Error replies (!x, !xs, !xr) and fatal replies (!z...): what Py4J answers and whether it closes."]
    srv = Server()
    s = srv.connect(out, "errors")
    s.exchange("no such method: !xs", "c", "z:java.lang.Math", "max", "d3", "i7", "e")
    s.exchange("Java threw: !xr", "c", "z:java.lang.Integer", "parseInt", "sabc", "e", save="exc")
    s.exchange("p of the throwable", "p", "r{exc}", "e")
    s.exchange("unknown object id", "c", "o12345", "toString", "e")
    s.exchange("unknown class for i", "i", "no.such.Thing", "e")
    s.exchange("constructor with wrong arguments", "i", "java.lang.StringBuilder", "bTrue", "L1", "e")
    s.exchange("bool spelled oddly decodes as false", "c", "z:java.lang.Boolean", "toString", "bmaybe", "e")
    s.exchange("connection still open after errors", "c", "t", "ping", "e")

    def fatal(label, *lines, **kw):
        f = srv.connect(out, label)
        f.exchange(label, *lines, **kw)
        if not f.closed:
            f.exchange("follow-up on the same connection", "c", "t", "ping", "e")
        f.sock.close()

    fatal("unknown command X", "X")
    fatal("q line", "q")
    fatal("empty first line", "")
    fatal("two-character command name", "cc", "t", "ping", "e")
    fatal("unknown sub-command of l", "l", "q", "o0", "e")
    fatal("unknown sub-command of f", "f", "q", "t", "counter", "e")
    fatal("unknown sub-command of r", "r", "q", "java", "e")
    fatal("unknown sub-command of r with the lines of r m", "r", "q", "java.lang.Integer", "MAX_VALUE", "e")
    fatal("unknown sub-command of a", "a", "q", "o0", "e")
    fatal("unknown sub-command of m", "m", "q", "o0", "e")
    fatal("unknown sub-command of j", "j", "q", "rj", "e")
    fatal("unknown sub-command of d", "d", "q", "t", "e")
    fatal("unknown sub-command of h", "h", "q", "t", "n", "bTrue", "e")
    fatal("j s (search)", "j", "s", "rj", "e")
    fatal("unparsable int argument", "c", "t", "echo", "iabc", "e")
    fatal("L beyond int64", "c", "z:java.lang.Long", "valueOf", "L99999999999999999999", "e")
    fatal("unparsable double", "c", "t", "echo", "dabc", "e")
    fatal("unknown value tag", "c", "t", "echoS", "xabc", "e")
    fatal("empty value line", "c", "t", "echoS", "", "e")
    fatal("bad base64", "c", "t", "echoS", "j!!!", "e")
    fatal("l command on a non-list", "l", "s", "t", "e")
    fatal("a command on a non-array", "a", "e", "t", "e")
    fatal("an ! line sent as a command", "!yv")
    fatal("extra line before e (m d)", "m", "d", "o1", "extra", "e")
    fatal("extra line before e (f g)", "f", "g", "t", "counter", "extra", "e")
    fatal("extra e after a complete command", "c", "t", "ping", "e", "e")
    fatal("CRLF line ends", "", raw=b"c\r\nt\r\nping\r\ne\r\n")
    fatal("lone CR line ends", "", raw=b"c\rt\rping\re\r")
    fatal("A without a token on a server with no token", "A", "tok")
    srv.stop()
    write("errors.txt", out)


def auth():
    out = ["# A server built with authToken(\"s3cret\") (GatewayServerBuilder)."]
    srv = Server(token="s3cret")
    s = srv.connect(out, "right token")
    s.exchange("A, as py4j sends it (no e line)", "A", "s3cret")
    s.exchange("then a command", "c", "t", "ping", "e")
    s.exchange("A again on an authenticated connection", "A", "s3cret")
    s.sock.close()
    s = srv.connect(out, "right token followed by e (the callback layout)")
    s.exchange("A with an e line", "A", "s3cret", "e")
    if not s.closed:
        s.exchange("then a command", "c", "t", "ping", "e")
    s.sock.close()
    s = srv.connect(out, "wrong token")
    s.exchange("A with a wrong token", "A", "wrong")
    if not s.closed:
        s.exchange("then a command", "c", "t", "ping", "e")
    s.sock.close()
    s = srv.connect(out, "other command first")
    s.exchange("c before A", "c", "t", "ping", "e")
    if not s.closed:
        s.exchange("then A", "A", "s3cret")
    s.sock.close()
    s = srv.connect(out, "unknown command first")
    s.exchange("X before A", "X")
    s.sock.close()
    s = srv.connect(out, "empty token")
    s.exchange("A with an empty token", "A", "")
    s.sock.close()
    srv.stop()
    write("auth.txt", out)


def callbacks():
    """Java -> Python: the capture script listens as the Python callback server."""
    out = ["# Callbacks: Java's CallbackClient (token \"s3cret\") connects to the capture script, which",
           "# answers like py4j's callback server would. The gateway connection drives it."]
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    cb_out = []
    call_answers = iter(["!yi-1", "!yi1", "!yi0", "!yi0", "!yi0", "!yi0", "!yi0", "!yi0",
                         "!xsTraceback (most recent call last):\\n  File \"x.py\", line 1\\nValueError: boom\\n"])

    def answer(lines):
        first = lines[0]
        if first == b"A":
            return "!yv"
        if first == b"g":
            return "!y"
        return next(call_answers, "!yi0")

    def serve_conn(conn):
        mine = []
        cb_out.append(mine)
        sess = Session(mine, "callback", "Java's callback connection %d" % len(cb_out), conn)
        while True:
            lines = sess.read(wait=15)
            if not lines:
                if sess.closed:
                    sess.out.append("<" + sess.closed)
                break
            sess.out.append("-- command from Java")
            for l in lines:
                sess.out.append("> " + l.decode())
            ans = answer(lines)
            conn.sendall((ans + "\n").encode())
            sess.out.append("< " + ans)
            if sess.closed:
                sess.out.append("<" + sess.closed)
                break

    def serve():
        while True:
            try:
                conn, _ = lst.accept()
            except OSError:
                return
            threading.Thread(target=serve_conn, args=(conn,), daemon=True).start()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    srv = Server(token="s3cret", cb_port=lst.getsockname()[1])
    s = srv.connect(out, "gateway (drives the callbacks)")
    s.exchange("auth", "A", "s3cret")
    s.exchange("call with a Python comparator (callback: compare)", "c", "t", "compareWith", "fp0;java.util.Comparator", "i1", "i3", "e", wait=10)
    s.exchange("again (same callback socket)", "c", "t", "compareWith", "fp1;java.util.Comparator", "i3", "i1", "e", wait=10)
    s.exchange("callbacks with Java-encoded arguments of many types", "c", "t", "compareMixed", "fp3;java.util.Comparator", "e", wait=10)
    s.exchange("callback raising", "c", "t", "compareWith", "fp2;java.util.Comparator", "i3", "i1", "e", wait=10)
    s.exchange("force GC so Java finalizes the proxies (g)", "c", "z:java.lang.System", "gc", "e")
    s.exchange("run finalization", "c", "z:java.lang.System", "runFinalization", "e", wait=5)
    time.sleep(3)
    srv.stop()
    t.join(timeout=5)
    write("callbacks.txt", out + [l for conn in cb_out for l in conn])


def shutdown():
    out = ["# The shutdown command (s): what the sender, another client and a new client see."]
    srv = Server()
    other = srv.connect(out, "another client")
    other.exchange("works before", "c", "t", "ping", "e")
    s = srv.connect(out, "shutdown")
    s.exchange("s alone, as py4j sends it", "s")
    other.exchange("the other client after the shutdown", "c", "t", "ping", "e")
    time.sleep(1)
    try:
        late = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        late.close()
        out.append("# a new connection to the server's port after the shutdown was accepted")
    except OSError as e:
        out.append("# a new connection to the server's port after the shutdown failed: %s" % e.strerror)
    time.sleep(1)
    out.append("# the JVM %s one second later" % ("was still running" if srv.proc.poll() is None else "had exited"))
    write("shutdown.txt", out)


if __name__ == "__main__":
    which = sys.argv[4:] or ["commands", "stream_and_cancel", "errors_and_fatal", "auth", "callbacks", "shutdown"]
    for name in which:
        try:
            globals()[name]()
        finally:
            for srv in SERVERS:
                srv.stop()
            SERVERS.clear()
        print("captured", name)
