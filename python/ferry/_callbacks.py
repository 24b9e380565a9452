"""Calls from Java to Python in the default mode: py4j's ``CallbackServer`` and
``CallbackConnection`` on ferry's native sockets, the signals they send, and the encoding of
Python proxies (objects implementing Java interfaces) given to Java.

The listening socket, the reading and decoding of Java's commands and the writing of replies are
native (``ferry._native.CallbackListener`` / ``CallbackConnection``); each connection is served by
a Python thread that holds the GIL only while a Python method runs. The threads are Python
threads, so ``daemonize`` and ``daemonize_connections`` mean what they mean in py4j: a callback
server that is not daemonized keeps the process alive until it is shut down.
"""

from __future__ import annotations

import collections
import logging
import threading
import traceback
import weakref
from typing import TYPE_CHECKING, Any

from ferry import _native
from ferry import protocol as proto
from ferry.protocol import (
    Py4JError,
    Py4JJavaError,
    Py4JNetworkError,
    get_command_part,
    unescape_new_line,
)
from ferry.signals import Signal

if TYPE_CHECKING:
    from ferry.java_gateway import CallbackServerParameters

logger = logging.getLogger("ferry.java_gateway")

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PYTHON_PROXY_PORT = 25334

# Signals of the Python server (py4j's names; ``ferry.java_gateway`` exports them).
server_connection_stopped = Signal()
"""A connection from Java ended: ``sender`` is the server, ``connection`` the connection."""
server_connection_started = Signal()
"""Java opened a connection: ``sender`` is the server, ``connection`` the connection."""
server_connection_error = Signal()
"""The server stopped accepting connections on an error: ``error`` is the exception."""
server_started = Signal()
"""The server accepts connections: ``server`` is the server."""
server_stopped = Signal()
"""The server no longer accepts connections: ``server`` is the server."""
pre_server_shutdown = Signal()
"""``shutdown`` was called: ``server`` is the server."""
post_server_shutdown = Signal()
"""``shutdown`` finished: ``server`` is the server."""

# Java exceptions that callbacks rethrew (``propagate_java_exceptions``) stay referenced a while,
# so that Java still holds them when it reads the reply that names them.
_RECENT_JAVA_ERRORS: collections.deque[Any] = collections.deque(maxlen=32)


def _proxy_part(obj: Any, gateway_client: Any) -> str:
    """The argument text of a Python proxy given to Java (``fp0;java.lang.Runnable``); the
    object goes into the gateway's proxy pool. Called by the native encoder."""
    prop = getattr(gateway_client, "gateway_property", None)
    if prop is None:
        raise Py4JError(
            f"cannot pass a {type(obj).__name__} (a Python proxy) to Java: the client belongs "
            "to no gateway, so there is no proxy pool to keep it in"
        )
    return get_command_part(obj, prop.pool)[:-1]


def _error_reply(exc: BaseException, propagate: bool, gateway_client: Any) -> str:
    """The payload of the error reply to a callback that raised (what follows ``!x``): the Java
    exception itself (``r<id>``) for a ``Py4JJavaError`` when ``propagate``, else the traceback
    text. Logs the exception as py4j does."""
    logger.error(
        "There was an exception while executing the Python Proxy on the Python Side.",
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    if propagate and isinstance(exc, Py4JJavaError):
        java_exception = exc.java_exception
        _RECENT_JAVA_ERRORS.append(java_exception)
        return get_command_part(java_exception)[:-1]
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return get_command_part(text)[:-1]


_native.install_callbacks(_proxy_part, _error_reply)


def _garbage_collect_proxy(pool: Any, proxy_id: str) -> bool:
    """Removes a proxy from the pool (never the entry point ``t``); whether it was there."""
    if proxy_id == proto.ENTRY_POINT_OBJECT_ID:
        return False
    try:
        del pool[proxy_id]
        return True
    except KeyError:
        logger.warning(
            "Tried to garbage collect non existing python proxy %s", proxy_id
        )
        return False


class _ListeningSocket:
    """What py4j code reads of a callback server's ``server_socket``: ``getsockname()`` (PySpark
    reads the port there)."""

    def __init__(self, address: str, port: int) -> None:
        self._name = (address, port)

    def getsockname(self) -> tuple[str, int]:
        return self._name

    def __repr__(self) -> str:
        return f"<ferry listening socket {self._name[0]}:{self._name[1]}>"


class CallbackServer:
    """Receives Java's calls to Python objects (py4j's ``CallbackServer``): Java connects to it
    (at ``address``:``port``, 127.0.0.1:25334 by default; port 0 picks a free port, read it with
    ``get_listening_port()`` and tell the JVM with ``resetCallbackClient``), and each connection
    runs Java's calls in a thread of its own.

    ``start()`` listens and starts the accepting thread; ``close()`` closes the connections;
    ``shutdown()`` stops everything and empties the proxy pool."""

    def __init__(
        self,
        pool: Any,
        gateway_client: Any,
        port: int = DEFAULT_PYTHON_PROXY_PORT,
        address: str = DEFAULT_ADDRESS,
        callback_server_parameters: CallbackServerParameters | None = None,
    ) -> None:
        self.gateway_client = gateway_client
        if not callback_server_parameters:
            from ferry.java_gateway import CallbackServerParameters, deprecated

            deprecated(
                "CallbackServer.port and address", "1.0", "CallbackServerParameters"
            )
            callback_server_parameters = CallbackServerParameters(
                address=address, port=port
            )
        self.callback_server_parameters = callback_server_parameters
        self.port = callback_server_parameters.port
        self.address = callback_server_parameters.address
        self.ssl_context = callback_server_parameters.ssl_context
        self.pool = pool
        self.connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self.lock = threading.RLock()
        self.is_shutdown = False
        self.is_shutting_down = False
        self.thread: threading.Thread | None = None
        self.server_socket: _ListeningSocket | None = None
        self._listener: Any = None
        self._listening_address: str | None = None
        self._listening_port: int | None = None

    # What each connection needs --------------------------------------------------------

    def _auth_token(self) -> str | None:
        token = self.callback_server_parameters.auth_token
        return unescape_new_line(token) if token else None

    def _read_timeout(self) -> float | None:
        timeout = self.callback_server_parameters.read_timeout
        return float(timeout) if timeout else None

    def _dispatcher(self) -> Any:
        dispatcher = self.__dict__.get("_native_dispatcher")
        if dispatcher is None:
            dispatcher = _native.CallbackDispatcher(
                weakref.ref(self.gateway_client),
                weakref.ref(self.pool),
                bool(self.callback_server_parameters.propagate_java_exceptions),
            )
            self.__dict__["_native_dispatcher"] = dispatcher
        return dispatcher

    # Life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Listens, and starts the thread that accepts Java's connections. Raises
        ``Py4JNetworkError`` when the address cannot be bound."""
        if self.ssl_context is not None:
            raise Py4JError(
                "ssl_context is not supported by ferry's callback server yet; keep the callback "
                "server on the loopback address (the default), or use py4j's own client for TLS"
            )
        try:
            self._listener = _native.CallbackListener(self.address, int(self.port))
        except (OSError, ValueError, OverflowError) as e:
            msg = (
                "An error occurred while trying to start the callback server "
                f"({self.address}:{self.port})"
            )
            logger.exception(msg)
            raise Py4JNetworkError(msg, e) from e
        self._listening_address = self._listener.address
        self._listening_port = self._listener.port
        self.server_socket = _ListeningSocket(
            self._listening_address or self.address, int(self._listening_port or 0)
        )
        with self.lock:
            self.is_shutdown = False
        self.thread = threading.Thread(target=self.run)
        self.thread.daemon = bool(self.callback_server_parameters.daemonize)
        self.thread.start()

    def get_listening_port(self) -> int | None:
        """The port Java must connect to (the real one when the port asked for was 0)."""
        return self._listening_port

    def get_listening_address(self) -> str | None:
        """The address listened on."""
        return self._listening_address

    def run(self) -> None:
        """Accepts Java's connections until shut down (``start`` runs it in its thread)."""
        listener = self._listener
        logger.info("Callback Server Starting")
        server_started.send(self, server=self)
        accept_timeout = self.callback_server_parameters.accept_timeout
        timeout = float(accept_timeout) if accept_timeout else None
        try:
            while not self.is_shutdown:
                accepted = listener.accept(timeout)
                if accepted is None:
                    continue
                if self.is_shutdown:
                    accepted.close()
                    break
                connection = self._create_connection(accepted, None)
                with self.lock:
                    if not self.is_shutdown:
                        self.connections.add(connection)
                        connection.start()
                        server_connection_started.send(self, connection=connection)
                    else:
                        connection.close()
        except Exception as e:
            if self.is_shutdown:
                logger.info("Error while waiting for a connection.", exc_info=True)
            else:
                server_connection_error.send(self, error=e)
                logger.exception("Error while waiting for a connection.")
        server_stopped.send(self, server=self)

    def _create_connection(self, socket_instance: Any, stream: Any) -> Any:
        return CallbackConnection(
            self.pool,
            stream,
            socket_instance,
            self.gateway_client,
            self.callback_server_parameters,
            self,
        )

    def close(self) -> None:
        """Closes the connections from Java (Java opens new ones when it calls again)."""
        logger.info("Closing down callback connections from CallbackServer")
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            connection.close()

    def shutdown(self) -> None:
        """Stops accepting connections, closes every connection and empties the proxy pool.
        Safe to call from any thread, including a callback's."""
        logger.info("Callback Server Shutting Down")
        pre_server_shutdown.send(self, server=self)
        with self.lock:
            if self.is_shutting_down:
                return
            self.is_shutting_down = True
            try:
                self.is_shutdown = True
                if self._listener is not None:
                    self._listener.close()
                self.server_socket = None
                connections = list(self.connections)
                for connection in connections:
                    connection.close()
                self.pool.clear()
            finally:
                self.is_shutting_down = False
        current = threading.current_thread()
        if self.thread is not None and self.thread is not current:
            self.thread.join()
        self.thread = None
        for connection in connections:
            if connection is not current and connection.is_alive():
                connection.join(_CONNECTION_JOIN_S)
        post_server_shutdown.send(self, server=self)


# How long shutdown waits for each connection thread to end (a callback still running keeps its
# thread until it returns).
_CONNECTION_JOIN_S = 5.0


class CallbackConnection(threading.Thread):
    """One connection Java opened to the callback server, served by this thread: each of Java's
    calls runs here (py4j's ``CallbackConnection``). ``socket`` is the native connection."""

    def __init__(
        self,
        pool: Any,
        input: Any,
        socket_instance: Any,
        gateway_client: Any,
        callback_server_parameters: CallbackServerParameters | None,
        callback_server: Any,
    ) -> None:
        super().__init__()
        self.pool = pool
        self.input = input
        self.socket = socket_instance
        self.gateway_client = gateway_client
        if not callback_server_parameters:
            from ferry.java_gateway import CallbackServerParameters

            callback_server_parameters = CallbackServerParameters()
        self.callback_server_parameters = callback_server_parameters
        self.callback_server = callback_server
        self.daemon = bool(callback_server_parameters.daemonize_connections)
        self._close_lock = threading.Lock()
        self._stopped = False

    def run(self) -> None:
        logger.info("Callback Connection ready to receive messages")
        reset = False
        sock = self.socket
        try:
            if sock is not None:
                server = self.callback_server
                params = self.callback_server_parameters
                if server is not None:
                    dispatcher = server._dispatcher()
                else:
                    dispatcher = _native.CallbackDispatcher(
                        weakref.ref(self.gateway_client),
                        weakref.ref(self.pool),
                        bool(params.propagate_java_exceptions),
                    )
                token = params.auth_token
                kind, description = sock.serve(
                    dispatcher,
                    unescape_new_line(token) if token else None,
                    float(params.read_timeout) if params.read_timeout else None,
                )
                reset = kind in ("auth", "timeout")
                if kind == "auth":
                    logger.error("Could not authenticate connection: %s", description)
                elif kind != "closed":
                    logger.info("Callback connection ended: %s", description)
        except Exception:
            logger.info(
                "Error while callback connection was waiting for a message",
                exc_info=True,
            )
        self.close(reset)

    def close(self, reset: bool = False) -> None:
        """Closes the connection (with a reset when asked); its thread then ends."""
        logger.info("Closing down callback connection")
        with self._close_lock:
            if self._stopped:
                return
            self._stopped = True
            sock = self.socket
            self.socket = None
            self.input = None
        if sock is not None:
            sock.close(reset)
        server_connection_stopped.send(self.callback_server, connection=self)
