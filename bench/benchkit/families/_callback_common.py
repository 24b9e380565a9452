"""What the callback rows share: a Java server of their own per row and combination, a gateway
with a Python server, and the Python object Java calls.

A row's call is ``java.util.Arrays.setAll(arr, op)``: Java calls ``op.applyAsInt(i)`` (a Python
method returning an int) once per element of ``arr``, ``CALLS_PER_OP`` times per row call, and
the row reports the time per Java -> Python call (``calls_per_op``). The Java object stands for the
Python one once (held in an ``AtomicReference``), so that no proxy is made per call.

Each combination gets its own Java server (the JVM calls one Python server back, and two clients
would take turns pointing it at theirs); the servers end with the worker (they exit when their
stdin closes) or at exit here.
"""

from __future__ import annotations

import atexit
import importlib
import subprocess
import threading
from pathlib import Path
from typing import Any

from benchkit.clients import CLIENTS
from benchkit.families.base import Ctx, Unsupported

CALLS_PER_OP = 100

_LAUNCHER = """
import py4j.ClientServer;

/** Py4J's ClientServer on a free Java port; prints the port, serves until stdin closes. */
public final class BenchClientServer {
    public static void main(String[] args) throws Exception {
        ClientServer server = new ClientServer.ClientServerBuilder(null).javaPort(0).build();
        System.out.println(server.getJavaServer().getListeningPort());
        System.out.flush();
        while (System.in.read() != -1) {
            // Only the end of stdin matters.
        }
        server.shutdown();
        System.exit(0);
    }
}
"""

_PROCS: list[subprocess.Popen[bytes]] = []
_LOCK = threading.Lock()


def _stop_all() -> None:
    with _LOCK:
        procs = list(_PROCS)
        _PROCS.clear()
    for proc in procs:
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (subprocess.TimeoutExpired, OSError):
            proc.kill()
            proc.wait()


atexit.register(_stop_all)


class IncrementOp:
    """The Python object Java calls: ``applyAsInt(i)`` returns ``i + 1``."""

    def applyAsInt(self, i: int) -> int:
        return i + 1

    class Java:
        implements = ("java.util.function.IntUnaryOperator",)


def _launcher_classes(art: Any) -> Path:
    out = Path(art.workdir) / "callback-launcher"
    if not (out / "BenchClientServer.class").exists():
        out.mkdir(parents=True, exist_ok=True)
        source = out / "BenchClientServer.java"
        source.write_text(_LAUNCHER, encoding="utf-8")
        subprocess.run(
            [
                str(Path(art.java_home) / "bin" / "javac"),
                "-cp",
                str(art.py4j_jar),
                "-d",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
        )
    return out


def _start_server(art: Any, kind: str, pinned: bool) -> int:
    if kind == "ferry":
        argv = [str(art.ferry_bin), "serve", "--port", "0", "--die-on-exit"]
        if pinned:
            argv.append("--pinned-thread")
    elif kind == "py4j" and not pinned:
        argv = [
            str(art.java),
            "-cp",
            str(art.py4j_jar),
            "py4j.GatewayServer",
            "--die-on-broken-pipe",
            "0",
        ]
    elif kind == "py4j":
        classes = _launcher_classes(art)
        argv = [
            str(art.java),
            "-cp",
            f"{classes}:{art.py4j_jar}",
            "BenchClientServer",
        ]
    else:
        raise Unsupported(f"no {kind} server for the callback rows")
    log = open(Path(art.workdir) / f"callback-{kind}-{len(_PROCS)}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=art.env()
    )
    log.close()
    with _LOCK:
        _PROCS.append(proc)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        raise RuntimeError(f"the {kind} server for the callback row printed {line!r}")
    stdout = proc.stdout
    threading.Thread(
        target=lambda: [None for _ in iter(lambda: stdout.read(65536), b"")],
        daemon=True,
    ).start()
    return int(line)


def prepare(ctx: Ctx, pinned: bool) -> Any:
    """The row's call for one combination: ``Arrays.setAll(arr, op)`` on a gateway of the
    combination's client (JavaGateway with a callback server, or ClientServer) connected to a
    fresh server of the combination's kind."""
    art = ctx.artifacts
    if art is None:
        raise Unsupported("the worker gave no artifacts to start a server with")
    kind = CLIENTS.get(ctx.combo.client)
    if kind is None or not kind.module.endswith(".java_gateway"):
        raise Unsupported(f"{ctx.combo.client} has no callback server")
    package = kind.module.rsplit(".", 1)[0]
    extra = dict(getattr(kind, "params", ()))
    if pinned and extra:
        raise Unsupported(
            f"{ctx.combo.client}: ClientServer takes no GatewayParameters options "
            f"({', '.join(extra)})"
        )
    port = _start_server(art, ctx.combo.server, pinned)
    if pinned:
        cs = importlib.import_module(f"{package}.clientserver")
        gateway = cs.ClientServer(
            java_parameters=cs.JavaParameters(port=port),
            python_parameters=cs.PythonParameters(
                port=0, daemonize=True, daemonize_connections=True
            ),
        )
    else:
        jg = importlib.import_module(f"{package}.java_gateway")
        gateway = jg.JavaGateway(
            gateway_parameters=jg.GatewayParameters(port=port, **extra),
            callback_server_parameters=jg.CallbackServerParameters(
                port=0, daemonize=True, daemonize_connections=True
            ),
        )
        server = gateway.java_gateway_server
        server.resetCallbackClient(
            server.getCallbackClient().getAddress(),
            gateway.get_callback_server().get_listening_port(),
        )
    jvm = gateway.jvm
    arr = gateway.new_array(jvm.int, CALLS_PER_OP)
    holder = jvm.java.util.concurrent.atomic.AtomicReference(IncrementOp())
    op = holder.get()
    set_all = jvm.java.util.Arrays.setAll
    set_all(arr, op)
    if arr[CALLS_PER_OP - 1] != CALLS_PER_OP:
        raise AssertionError(f"setAll gave {arr[CALLS_PER_OP - 1]!r} at the end")

    def call() -> None:
        set_all(arr, op)

    # Keep what the call needs alive with it.
    call.gateway = gateway  # type: ignore[attr-defined]
    call.holder = holder  # type: ignore[attr-defined]
    return call
