"""The pinned-thread mode (py4j.clientserver's API): Python and Java exchange calls in the same
pair of threads.

Every Python thread that calls Java gets a connection of its own, served on the Java side by a
Java thread of its own, for the thread's life (the connection is closed when the thread ends).
When Java calls back into Python while that thread waits for a reply, the call runs in that very
thread, and its own calls to Java run in that very Java thread: recursion Python -> Java ->
Python ... keeps one thread on each side. A Java thread that calls Python first opens a
connection to the Python server (``PythonServer``, started when the ``ClientServer`` is made),
served by a Python thread of its own, and the Python code it runs calls Java back over it.

Reference releases (Python objects dropping their Java objects) are sent on connections of their
own, never into a thread's connection while it waits for a reply.

    from ferry.clientserver import ClientServer, JavaParameters, PythonParameters

    gateway = ClientServer(JavaParameters(port=25333), PythonParameters(port=25334))
"""

from __future__ import annotations

import collections
import logging
import threading
import weakref
from typing import Any

from ferry import _native
from ferry._callbacks import (
    CallbackServer,
    server_connection_stopped,
)
from ferry._gateway_client import (
    DEFAULT_ADDRESS,
    DEFAULT_PORT,
    GatewayClient,
    GatewayConnectionGuard,
    GatewayProperty,
)
from ferry.java_gateway import (
    DEFAULT_ACCEPT_TIMEOUT_PLACEHOLDER,
    DEFAULT_PYTHON_PROXY_PORT,
    CallbackServerParameters,
    GatewayParameters,
    JavaGateway,
)
from ferry.protocol import unescape_new_line

__all__ = [
    "DEFAULT_WORKER_SLEEP_TIME",
    "SHUTDOWN_FINALIZER_WORKER",
    "ClientServer",
    "ClientServerConnection",
    "ClientServerConnectionGuard",
    "JavaClient",
    "JavaParameters",
    "PythonParameters",
    "PythonServer",
]

logger = logging.getLogger("ferry.clientserver")

SHUTDOWN_FINALIZER_WORKER = "__shutdown__"
DEFAULT_WORKER_SLEEP_TIME = 1


class JavaParameters(GatewayParameters):
    """How the ``ClientServer`` reaches Java: ``GatewayParameters`` (address 127.0.0.1, port
    25333, ...) plus py4j's ``auto_gc`` (kept, unused, as in py4j) and
    ``daemonize_memory_management`` (accepted: ferry's releases are sent by a native thread that
    never keeps the process alive, and pending ones are sent when the gateway closes)."""

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        port: int = DEFAULT_PORT,
        auto_field: bool = False,
        auto_close: bool = True,
        auto_convert: bool = False,
        eager_load: bool = False,
        ssl_context: Any = None,
        enable_memory_management: bool = True,
        auto_gc: bool = False,
        read_timeout: float | None = None,
        daemonize_memory_management: bool = True,
        auth_token: str | None = None,
    ) -> None:
        super().__init__(
            address,
            port,
            auto_field,
            auto_close,
            auto_convert,
            eager_load,
            ssl_context,
            enable_memory_management,
            read_timeout,
            auth_token,
        )
        self.auto_gc = auto_gc
        self.daemonize_memory_management = daemonize_memory_management


class PythonParameters(CallbackServerParameters):
    """How the Python server listens for Java's connections: ``CallbackServerParameters``
    (127.0.0.1:25334, started eagerly by default) plus py4j's ``auto_gc`` (kept, unused)."""

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        port: int = DEFAULT_PYTHON_PROXY_PORT,
        daemonize: bool = False,
        daemonize_connections: bool = False,
        eager_load: bool = True,
        ssl_context: Any = None,
        auto_gc: bool = False,
        accept_timeout: Any = DEFAULT_ACCEPT_TIMEOUT_PLACEHOLDER,
        read_timeout: float | None = None,
        propagate_java_exceptions: bool = False,
        auth_token: str | None = None,
    ) -> None:
        super().__init__(
            address,
            port,
            daemonize,
            daemonize_connections,
            eager_load,
            ssl_context,
            accept_timeout,
            read_timeout,
            propagate_java_exceptions,
            auth_token,
        )
        self.auto_gc = auto_gc


class JavaClient(GatewayClient):
    """Sends Python's calls to Java, each thread over its own connection (kept in native
    thread-local storage, closed when the thread ends); Java's calls that arrive while a thread
    waits for a reply run in that thread."""

    _PINNED_THREADS = True

    def __init__(
        self,
        java_parameters: JavaParameters,
        python_parameters: PythonParameters,
        gateway_property: GatewayProperty | None = None,
        finalizer_deque: Any = None,
    ) -> None:
        super().__init__(
            gateway_parameters=java_parameters, gateway_property=gateway_property
        )
        self.java_parameters = java_parameters
        self.python_parameters = python_parameters
        self.finalizer_deque = finalizer_deque
        self.thread_connection = threading.local()
        _native.pinned_set_handler(
            self._native,
            _native.CallbackDispatcher(
                weakref.ref(self),
                None,
                bool(python_parameters.propagate_java_exceptions),
            ),
        )

    def garbage_collect_object(self, target_id: str, enqueue: bool = True) -> None:
        """Releases a Java object id (on a connection of its own, never a thread's)."""
        super().garbage_collect_object(target_id)

    def get_thread_connection(self) -> Any:
        """A description of the calling thread's connection, or None when it has none."""
        stats = _native.pinned_stats(self._native)
        if not stats["thread_connection"]:
            return None
        return _ThreadConnection(self)

    def set_thread_connection(self, connection: Any) -> None:
        """Not needed in ferry: a thread's connection is made and kept natively."""

    def pinned_stats(self) -> dict[str, Any]:
        """Counters of the pinned connections: ``opened`` (by Python threads), ``served``
        (opened by Java), ``open`` (now), ``commands``, ``callbacks``, and
        ``releases`` (written on them: always 0) and ``thread_connection`` (whether the calling
        thread has one)."""
        return dict(_native.pinned_stats(self._native))

    def _create_connection_guard(self, connection: Any) -> ClientServerConnectionGuard:
        return ClientServerConnectionGuard(self, connection)


class _ThreadConnection:
    """What ``JavaClient.get_thread_connection`` returns: the calling thread's connection."""

    def __init__(self, java_client: JavaClient) -> None:
        self.java_client = java_client
        self.initiated_from_client = True
        self.is_connected = True

    def send_command(self, command: str) -> str:
        return self.java_client.send_command(command)


class ClientServerConnectionGuard(GatewayConnectionGuard):
    """The guard of a stream answer in the pinned-thread mode."""


class ClientServerConnection:
    """A connection Java opened to the Python server, served by a thread of its own: Java's
    calls run there, and that thread's calls to Java travel back over the same connection
    (py4j's ``ClientServerConnection`` in its server role)."""

    def __init__(
        self,
        java_parameters: JavaParameters,
        python_parameters: PythonParameters,
        gateway_property: GatewayProperty,
        java_client: JavaClient,
        python_server: Any = None,
    ) -> None:
        self.java_parameters = java_parameters
        self.python_parameters = python_parameters
        self.address = java_parameters.address
        self.port = java_parameters.port
        self.java_address = java_parameters.address
        self.java_port = java_parameters.port
        self.python_address = python_parameters.address
        self.python_port = python_parameters.port
        self.gateway_property = gateway_property
        self.pool = gateway_property.pool
        self.java_client = java_client
        self.python_server = python_server
        self.initiated_from_client = False
        self.socket: Any = None
        self.stream: Any = None
        self.is_connected = False
        self.thread: threading.Thread | None = None
        self._close_lock = threading.Lock()
        self._stopped = False

    def init_socket_from_python_server(self, socket: Any, stream: Any) -> None:
        self.socket = socket
        self.stream = stream
        self.is_connected = True

    def start(self) -> None:
        """Serves the connection in a new thread (a daemon with ``daemonize_connections``)."""
        self.thread = threading.Thread(target=self.run)
        self.thread.daemon = bool(self.python_parameters.daemonize_connections)
        self.thread.start()

    def is_alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def run(self) -> None:
        self.wait_for_commands()

    def wait_for_commands(self) -> None:
        """Runs Java's calls until the connection ends (in the calling thread)."""
        logger.info("Python Server ready to receive messages")
        reset = False
        sock = self.socket
        try:
            if sock is not None:
                token = self.python_parameters.auth_token
                timeout = self.python_parameters.read_timeout
                kind, description = sock.serve_pinned(
                    self.java_client._native,
                    unescape_new_line(token) if token else None,
                    float(timeout) if timeout else None,
                )
                reset = kind in ("auth", "timeout")
                if kind == "auth":
                    logger.error("Could not authenticate connection: %s", description)
                elif kind != "closed":
                    logger.info("Python server connection ended: %s", description)
        except Exception:
            logger.info(
                "Error while python server was waiting for a message", exc_info=True
            )
        self.close(reset)

    def send_command(self, command: str) -> str:
        """Sends a command to Java from the calling thread (over its own connection)."""
        return self.java_client.send_command(command)

    def close(self, reset: bool = False) -> None:
        with self._close_lock:
            if self._stopped:
                return
            self._stopped = True
            sock = self.socket
            self.socket = None
            self.stream = None
            self.is_connected = False
        if sock is not None:
            sock.close(reset)
        if self.python_server is not None:
            server_connection_stopped.send(self.python_server, connection=self)


class PythonServer(CallbackServer):
    """Accepts the connections Java threads open to Python (they call Python before Python
    called them); each is served by a thread of its own."""

    def __init__(
        self,
        java_client: JavaClient,
        java_parameters: JavaParameters,
        python_parameters: PythonParameters,
        gateway_property: GatewayProperty,
    ) -> None:
        super().__init__(
            pool=gateway_property.pool,
            gateway_client=java_client,
            callback_server_parameters=python_parameters,
        )
        self.java_parameters = java_parameters
        self.python_parameters = python_parameters
        self.gateway_property = gateway_property

    def _create_connection(self, socket: Any, stream: Any) -> ClientServerConnection:
        connection = ClientServerConnection(
            self.java_parameters,
            self.python_parameters,
            self.gateway_property,
            self.gateway_client,
            python_server=self,
        )
        connection.init_socket_from_python_server(socket, stream)
        return connection


class ClientServer(JavaGateway):
    """A ``JavaGateway`` in the pinned-thread mode: a thread always uses the same connection, so
    Java's calls back into Python run in the thread that called Java, and Java threads that call
    Python first get a Python thread of their own. The Python server starts with the gateway
    (``PythonParameters.eager_load``, on by default)."""

    def __init__(
        self,
        java_parameters: JavaParameters | None = None,
        python_parameters: PythonParameters | None = None,
        python_server_entry_point: Any = None,
    ) -> None:
        if not java_parameters:
            java_parameters = JavaParameters()
        if not python_parameters:
            python_parameters = PythonParameters()
        self.java_parameters = java_parameters
        self.python_parameters = python_parameters
        super().__init__(
            gateway_parameters=java_parameters,
            callback_server_parameters=python_parameters,
            python_server_entry_point=python_server_entry_point,
        )

    def _create_finalizer_worker(self) -> collections.deque[Any]:
        # py4j sends releases from a worker thread fed by this deque; ferry's native client has
        # its own release thread. The deque is kept for code that reaches it.
        return collections.deque()

    def _create_gateway_client(self) -> JavaClient:
        return JavaClient(
            self.java_parameters,
            self.python_parameters,
            gateway_property=self.gateway_property,
            finalizer_deque=self._create_finalizer_worker(),
        )

    def _create_callback_server(self, callback_server_parameters: Any) -> PythonServer:
        client = self._gateway_client
        assert isinstance(client, JavaClient)
        return PythonServer(
            client,
            self.java_parameters,
            self.python_parameters,
            self.gateway_property,
        )
