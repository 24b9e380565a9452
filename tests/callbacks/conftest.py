"""Fixtures of the callback suite: Java calling Python.

Every test that asks for ``mode`` runs in both threading models (``default``: a callback server
and a pool of connections each way; ``pinned``: Py4J's ClientServer, one connection per pair of
threads), and with ``client_kind`` / ``server_kind`` (parametrized by tests/conftest.py) with
both clients (py4j's, ferry's) against both servers:

- ``ferry``: ``ferry serve --classpath <callback classes> --entry-point callbacks.CallbackApp
  --port 0 --die-on-exit [--pinned-thread] [--auth-token-file F]``;
- ``py4j``: Py4J's own GatewayServer or ClientServer from the py4j wheel's jar, started by
  ``callbacks.Py4JMain`` (tests/java/callbacks).

The Java side of every server serves ``callbacks.CallbackApp``. Python servers listen on a free
port, and the JVM is told with ``resetCallbackClient`` (the port-0 flow), except for Py4J's
ClientServer: its per-thread Python client cannot be replaced that way, so it is started with the
port Python will listen on (``python_port``).

Markers: ``@pytest.mark.modes("pinned")`` restricts a test to the modes named (and
``servers``/``clients`` of tests/conftest.py to server and client kinds).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import ferry.clientserver
import ferry.java_gateway
import ferry.protocol
import py4j.clientserver
import py4j.java_gateway
import py4j.protocol
import py4j.version
import pytest
from javakit import compile_java, py4j_jar, runtime_java_home

TESTS_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = TESTS_DIR.parent
SOURCES = TESTS_DIR / "java" / "callbacks"
FERRY_BIN = Path(os.environ.get("FERRY_CLI") or REPO_ROOT / ".venv" / "bin" / "ferry")
ENTRY_POINT = "callbacks.CallbackApp"
MODES = ("default", "pinned")

STARTUP_DEADLINE_S = 45.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        'modes(*modes): run the test only in these modes ("default", "pinned")',
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mode" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("modes")
    modes = tuple(marker.args) if marker is not None else MODES
    unknown = set(modes) - set(MODES)
    if unknown:
        raise pytest.UsageError(
            f"unknown modes {sorted(unknown)} on {metafunc.definition.nodeid}"
        )
    metafunc.parametrize(
        "mode", [pytest.param(m, id=m) for m in modes], scope="session"
    )


# --------------------------------------------------------------------------- Java


@pytest.fixture(scope="session")
def callback_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/java/callbacks, compiled (package ``callbacks``)."""
    return compile_java(SOURCES, tmp_path_factory.mktemp("callback-classes"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- Java servers

_LIVE: set[JavaSide] = set()
_LIVE_LOCK = threading.Lock()


@dataclass(eq=False)
class JavaSide:
    """A running Java server (either kind, either mode) and how to reach it."""

    kind: str
    mode: str
    port: int
    auth_token: str | None
    python_port: int | None  # the port the JVM calls Python on, when fixed at start
    popen: subprocess.Popen[bytes]
    stderr_path: Path
    lines: list[str] = field(default_factory=list)

    def is_running(self) -> bool:
        return self.popen.poll() is None

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Close stdin (the server exits), then kill its process group; no JVM is left."""
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if self.popen.poll() is None:
            with contextlib.suppress(OSError):
                if self.popen.stdin is not None:
                    self.popen.stdin.close()
            if self.wait_exit(5.0) is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=20)
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def __repr__(self) -> str:
        return f"<{self.kind} {self.mode} server pid={self.popen.pid} port={self.port}>"


def _stop_all() -> None:
    with _LIVE_LOCK:
        left = list(_LIVE)
    for side in left:
        side.stop()


class JavaLauncher:
    """Starts the Java side of the tests: ``start(kind, mode, auth_token=None)``."""

    def __init__(self, classes: Path, work_dir: Path) -> None:
        self.classes = classes
        self.work_dir = work_dir
        self.java_home = runtime_java_home()
        self._count = 0

    def start(self, kind: str, mode: str, auth_token: str | None = None) -> JavaSide:
        self._count += 1
        tag = f"{kind}-{mode}-{self._count}"
        token_file = None
        if auth_token is not None:
            token_file = self.work_dir / f"{tag}.token"
            token_file.write_text(auth_token + "\n", encoding="utf-8")
        env = dict(os.environ)
        python_port = None
        if kind == "ferry":
            cmd = [
                str(FERRY_BIN),
                "serve",
                "--classpath",
                str(self.classes),
                "--entry-point",
                ENTRY_POINT,
                "--port",
                "0",
                "--die-on-exit",
            ]
            if mode == "pinned":
                cmd.append("--pinned-thread")
            if token_file is not None:
                cmd += ["--auth-token-file", str(token_file)]
            env["JAVA_HOME"] = str(self.java_home)
        elif kind == "py4j":
            cmd = [
                str(self.java_home / "bin" / "java"),
                "-cp",
                os.pathsep.join([str(self.classes), str(py4j_jar())]),
                "callbacks.Py4JMain",
                "gateway" if mode == "default" else "clientserver",
            ]
            if mode == "pinned":
                python_port = free_port()
                cmd += ["--python-port", str(python_port)]
            if token_file is not None:
                cmd += ["--auth-token-file", str(token_file)]
        else:
            raise ValueError(f"unknown server kind {kind!r}")
        stderr_path = self.work_dir / f"{tag}.stderr"
        with open(stderr_path, "wb") as stderr:
            popen = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                start_new_session=True,
            )
        lines: list[str] = []
        first: queue.Queue[str | None] = queue.Queue()

        def drain() -> None:
            assert popen.stdout is not None
            for raw in popen.stdout:
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not lines:
                    first.put(text)
                lines.append(text)
            first.put(None)

        threading.Thread(target=drain, name=f"stdout-{tag}", daemon=True).start()
        side = JavaSide(
            kind, mode, 0, auth_token, python_port, popen, stderr_path, lines
        )
        with _LIVE_LOCK:
            _LIVE.add(side)
        try:
            line = first.get(timeout=STARTUP_DEADLINE_S)
        except queue.Empty:
            side.stop()
            raise RuntimeError(
                f"{tag} printed no port: {cmd}\n{side.stderr_text()}"
            ) from None
        if line is None or not line.strip().isdigit():
            side.stop()
            raise RuntimeError(f"{tag} printed {line!r}: {cmd}\n{side.stderr_text()}")
        side.port = int(line)
        return side


@pytest.fixture(scope="session")
def java_launcher(
    callback_classes: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JavaLauncher]:
    yield JavaLauncher(callback_classes, tmp_path_factory.mktemp("callback-servers"))
    _stop_all()


@pytest.fixture(scope="session")
def java_side(
    mode: str, server_kind: str, java_launcher: JavaLauncher
) -> Iterator[JavaSide]:
    """The shared Java server of this mode and kind (no token)."""
    side = java_launcher.start(server_kind, mode)
    yield side
    side.stop()


JavaFactory = Callable[..., JavaSide]


@pytest.fixture
def own_java_side(
    mode: str, server_kind: str, java_launcher: JavaLauncher
) -> Iterator[JavaFactory]:
    """``own_java_side(auth_token=None)``: servers only this test uses, stopped at its end."""
    started: list[JavaSide] = []

    def start(auth_token: str | None = None) -> JavaSide:
        side = java_launcher.start(server_kind, mode, auth_token=auth_token)
        started.append(side)
        return side

    yield start
    for side in started:
        side.stop()


# --------------------------------------------------------------------------- clients


def client_namespace(
    java_gateway: ModuleType, clientserver: ModuleType, protocol: ModuleType
) -> SimpleNamespace:
    return SimpleNamespace(
        java_gateway=java_gateway,
        clientserver=clientserver,
        protocol=protocol,
        JavaGateway=java_gateway.JavaGateway,
        GatewayParameters=java_gateway.GatewayParameters,
        CallbackServerParameters=java_gateway.CallbackServerParameters,
        ClientServer=clientserver.ClientServer,
        JavaParameters=clientserver.JavaParameters,
        PythonParameters=clientserver.PythonParameters,
        Py4JError=protocol.Py4JError,
        Py4JJavaError=protocol.Py4JJavaError,
    )


CLIENT_APIS = {
    "py4j": client_namespace(py4j.java_gateway, py4j.clientserver, py4j.protocol),
    "ferry": client_namespace(ferry.java_gateway, ferry.clientserver, ferry.protocol),
}


@pytest.fixture(scope="session")
def cb_api(client_kind: str) -> SimpleNamespace:
    """The client library of this test's kind: py4j's names (JavaGateway, ClientServer, ...)."""
    return CLIENT_APIS[client_kind]


_SIDE_TOKEN = object()

# Proxy ids of every gateway of the session are distinct: a shared JVM releases the proxies of a
# closed gateway late (when its garbage collector gets to them), and a release of "p3" reaching
# the next gateway's Python server would drop that gateway's own "p3". Both clients number a
# pool's proxies from ``next_id``.
_POOL_IDS = itertools.count(1)
_POOL_ID_STRIDE = 1_000_000


def tell_jvm_the_python_port(gateway: Any) -> None:
    """The port-0 flow: point the JVM's callback client at the Python server's real port."""
    server = gateway.java_gateway_server
    address = server.getCallbackClient().getAddress()
    server.resetCallbackClient(
        address, gateway.get_callback_server().get_listening_port()
    )


def unblock_py4j_shutdown(gateway: Any) -> None:
    """Lets py4j's own client shut its Python server down in the pinned-thread mode.

    py4j's ClientServerConnection.close closes its reader before shutting its socket down: with
    a thread blocked reading from that socket (a connection Java opened), the close waits for
    the reader's lock forever. Shutting those sockets down first ends the reads."""
    server = gateway.get_callback_server()
    if server is None or not type(server).__module__.startswith("py4j."):
        return
    for connection in list(server.connections):
        sock = getattr(connection, "socket", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def close_gateway(gateway: Any) -> None:
    """Stops the Python server, releases what is left and closes the connections."""
    unblock_py4j_shutdown(gateway)
    gateway.shutdown_callback_server()
    gc.collect()
    gateway.close()
    gateway._gateway_client.is_connected = False


@pytest.fixture
def connect(
    mode: str,
    cb_api: SimpleNamespace,
    java_side: JavaSide,
) -> Iterator[Callable[..., Any]]:
    """``connect(side=None, *, auth_token=<the side's>, callback_token=<auth_token>,
    propagate_java_exceptions=False, python_server_entry_point=None, read_timeout=None)``: a
    gateway of this test's client in this test's mode, with its Python server listening and the
    JVM told where; closed when the test ends."""
    made: list[Any] = []

    def make(
        side: JavaSide | None = None,
        *,
        auth_token: Any = _SIDE_TOKEN,
        callback_token: Any = _SIDE_TOKEN,
        propagate_java_exceptions: bool = False,
        python_server_entry_point: Any = None,
        read_timeout: float | None = None,
    ) -> Any:
        side = side if side is not None else java_side
        token = side.auth_token if auth_token is _SIDE_TOKEN else auth_token
        cb_token = token if callback_token is _SIDE_TOKEN else callback_token
        python_port = side.python_port if side.python_port is not None else 0
        if mode == "default":
            gateway = cb_api.JavaGateway(
                gateway_parameters=cb_api.GatewayParameters(
                    port=side.port, auth_token=token
                ),
                callback_server_parameters=cb_api.CallbackServerParameters(
                    port=python_port,
                    daemonize=True,
                    daemonize_connections=True,
                    propagate_java_exceptions=propagate_java_exceptions,
                    read_timeout=read_timeout,
                    auth_token=cb_token,
                ),
                python_server_entry_point=python_server_entry_point,
            )
        else:
            gateway = cb_api.ClientServer(
                java_parameters=cb_api.JavaParameters(port=side.port, auth_token=token),
                python_parameters=cb_api.PythonParameters(
                    port=python_port,
                    daemonize=True,
                    daemonize_connections=True,
                    propagate_java_exceptions=propagate_java_exceptions,
                    read_timeout=read_timeout,
                    auth_token=cb_token,
                ),
                python_server_entry_point=python_server_entry_point,
            )
        made.append(gateway)
        gateway.gateway_property.pool.next_id = next(_POOL_IDS) * _POOL_ID_STRIDE
        if side.python_port is None:
            tell_jvm_the_python_port(gateway)
        return gateway

    yield make
    for gateway in reversed(made):
        with contextlib.suppress(Exception):
            close_gateway(gateway)


@pytest.fixture
def gateway(connect: Callable[..., Any]) -> Any:
    """A gateway of this test's client and mode on the shared server."""
    return connect()


@pytest.fixture
def app(gateway: Any) -> Any:
    """The entry point (``callbacks.CallbackApp``)."""
    return gateway.entry_point


# --------------------------------------------------------------------------- helpers


def poll_until(
    predicate: Callable[[], bool], deadline_s: float = 30.0, interval_s: float = 0.05
) -> bool:
    """Calls ``predicate`` until it is true or the deadline passes (a bound, never a measure)."""
    end = time.monotonic() + deadline_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(interval_s)


def run_python(
    code: str, timeout: float = 60.0, args: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter of this venv, with ``args`` in ``sys.argv[1:]``."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(REPO_ROOT),
        check=False,
    )


@pytest.fixture(scope="session")
def cb() -> SimpleNamespace:
    """Helpers for the tests (so that test modules import nothing from conftest)."""
    return SimpleNamespace(
        poll_until=poll_until,
        run_python=run_python,
        tell_jvm_the_python_port=tell_jvm_the_python_port,
        close_gateway=close_gateway,
        unblock_py4j_shutdown=unblock_py4j_shutdown,
        py4j_jar=py4j_jar,
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _stop_all()
