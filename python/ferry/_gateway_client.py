"""The gateway client: py4j's ``GatewayClient`` names over ferry's native connection pool."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any

from ferry import _native
from ferry import protocol as proto
from ferry.protocol import (
    Py4JAuthenticationError,
    Py4JError,
    Py4JNetworkError,
    unescape_new_line,
)

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

    from ferry.java_gateway import GatewayParameters

logger = logging.getLogger("ferry.java_gateway")

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 25333

_clients: weakref.WeakSet[_native.Client] = weakref.WeakSet()
# The live gateway clients (ferry.to_java finds the only one when it is not told which).
_gateway_clients: weakref.WeakSet[GatewayClient] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A forked child must not use (nor shut down) its parent's sockets, nor release its
    # parent's references: every native client forgets them.
    for client in list(_clients):
        client.after_fork()


# Every native client learns of forks from this hook, so that requests need not compare the
# process id (a system call) to notice they run in a child.
_FORKS_REPORTED = hasattr(os, "register_at_fork")
if _FORKS_REPORTED:
    os.register_at_fork(after_in_child=_after_fork_in_child)


class GatewayProperty:
    """Settings shared by a gateway, its client and its proxies."""

    def __init__(
        self,
        auto_field: bool,
        pool: PythonProxyPool,
        enable_memory_management: bool = True,
    ) -> None:
        self.auto_field = auto_field
        self.pool = pool
        self.enable_memory_management = enable_memory_management


class PythonProxyPool:
    """Python objects given to Java, by id (``p0``, ``p1``, ...; ``t`` for the Python entry
    point). Thread-safe; supports ``pool[id]``, ``del pool[id]``, ``id in pool``, ``len``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.dict: dict[str, Any] = {}
        self.next_id = 0

    def put(self, object: Any, force_id: str | None = None) -> str:
        """Adds an object and returns its id."""
        with self.lock:
            if force_id:
                id = force_id
            else:
                id = proto.PYTHON_PROXY_PREFIX + str(self.next_id)
                self.next_id += 1
            self.dict[id] = object
        return id

    def __getitem__(self, key: str) -> Any:
        with self.lock:
            return self.dict[key]

    def __delitem__(self, key: str) -> None:
        with self.lock:
            del self.dict[key]

    def clear(self) -> None:
        with self.lock:
            self.dict.clear()

    def __contains__(self, key: object) -> bool:
        with self.lock:
            return key in self.dict

    def __len__(self) -> int:
        with self.lock:
            return len(self.dict)


class DummyRLock:
    """A lock that does nothing (py4j's name, for code that passes one around)."""

    def acquire(self, blocking: int = 1) -> None:
        pass

    def release(self) -> None:
        pass

    def __enter__(self) -> None:
        pass

    def __exit__(
        self,
        type: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass


class GatewayConnectionGuard:
    """The raw bytes that follow a stream (``S``) answer; a context manager with ``read``."""

    def __init__(self, client: GatewayClient, connection: Any) -> None:
        self._client = client
        self._connection = connection

    def __enter__(self) -> Self:
        return self

    def read(self, hint: int = -1) -> bytes:
        return self._connection.read(hint)

    def __exit__(
        self,
        type: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._connection.close()


class GatewayConnection:
    """A handle on the client's pool, in place of py4j's single-socket connection.

    ferry's connections live in the native pool; this object lets code written against py4j's
    ``_get_connection()`` / ``send_command`` / ``close`` keep working: its commands go through
    any free pooled connection."""

    def __init__(
        self, gateway_parameters: GatewayParameters, gateway_property: Any = None
    ) -> None:
        self.gateway_parameters = gateway_parameters
        self.address = gateway_parameters.address
        self.port = gateway_parameters.port
        self.gateway_property = gateway_property
        self.is_connected = False
        self._client: GatewayClient | None = None

    def start(self) -> None:
        """Checks that a connection to the gateway opens (and authenticates)."""
        if self._client is None:
            self._client = GatewayClient(
                gateway_parameters=self.gateway_parameters,
                gateway_property=self.gateway_property,
            )
        self._client._native.ensure_connection(self._client)
        self.is_connected = True

    def send_command(self, command: str) -> str:
        if self._client is None:
            self.start()
        assert self._client is not None
        return self._client.send_command(command)

    def close(self, reset: bool = False) -> None:
        if self._client is not None:
            self._client.close()
        self.is_connected = False

    def shutdown_gateway(self) -> None:
        if not self.is_connected or self._client is None:
            raise Py4JError("Gateway must be connected to send shutdown cmd.")
        self._client.shutdown_gateway()
        self.is_connected = False


def _network_error(client: Any, message: str, when: str | None, kind: str) -> Py4JError:
    """Builds the exception the native client raises for a failed request."""
    if kind == "auth":
        return Py4JAuthenticationError(message)
    if kind == "timeout":
        cause: BaseException = TimeoutError(message)
    else:
        cause = ConnectionError(message)
    describe = getattr(client, "_describe_gateway_end", None)
    if describe is not None and kind in ("connect", "send", "receive", "closed"):
        try:
            extra = describe()
        except Exception:  # noqa: BLE001 - describing is best effort; the error must be raised
            extra = None
        if extra:
            message = f"{message}\n{extra}"
    return Py4JNetworkError(message, cause, when)


def _error_answer(answer: str, client: Any, target_id: Any, name: Any) -> Any:
    # Raises through java_gateway.get_return_value looked up now, so that code which patches
    # it (PySpark's exception capture does) sees every error answer.
    from ferry import java_gateway

    return java_gateway.get_return_value(answer, client, target_id, name)


class GatewayClient:
    """Sends commands to one gateway over a pool of connections (one per concurrent caller).

    The connections, the codec and reference release are native; this class keeps py4j's
    attributes and methods."""

    # Pinned-thread mode (ferry.clientserver.JavaClient): each thread calls over its own
    # connection, and Java's calls arriving there run in that thread.
    _PINNED_THREADS = False

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        port: int = DEFAULT_PORT,
        auto_close: bool = True,
        gateway_property: GatewayProperty | None = None,
        ssl_context: Any = None,
        gateway_parameters: GatewayParameters | None = None,
    ) -> None:
        if not gateway_parameters:
            from ferry.java_gateway import GatewayParameters

            gateway_parameters = GatewayParameters(
                address=address,
                port=port,
                auto_close=auto_close,
                ssl_context=ssl_context,
            )
        if gateway_parameters.ssl_context is not None:
            raise Py4JError(
                "ssl_context is not supported by ferry's client yet. Reach a remote gateway "
                "through an SSH tunnel or a Unix socket (GatewayParameters(address="
                "'/path/to/socket')), or use py4j's own client for TLS."
            )
        self.gateway_parameters = gateway_parameters
        self.address = gateway_parameters.address
        self.port = gateway_parameters.port
        self.auto_close = gateway_parameters.auto_close
        self.gateway_property = gateway_property
        self.ssl_context = gateway_parameters.ssl_context
        self._converters: list[Any] | None = None
        enable_mm = (
            gateway_property.enable_memory_management
            if gateway_property is not None
            else gateway_parameters.enable_memory_management
        )
        token = gateway_parameters.auth_token
        protocol = getattr(gateway_parameters, "protocol", None)
        if protocol is None:
            protocol = os.environ.get("FERRY_PROTOCOL") or "auto"
        self._native = _native.Client(
            self.address,
            int(self.port),
            auth_token=unescape_new_line(token) if token else None,
            read_timeout=gateway_parameters.read_timeout or None,
            memory_management=bool(enable_mm),
            pinned_threads=self._PINNED_THREADS,
            protocol=protocol,
            multiplex=bool(getattr(gateway_parameters, "multiplex", False)),
        )
        _clients.add(self._native)
        _gateway_clients.add(self)
        self._native.forks_reported = _FORKS_REPORTED
        # Reflection memo: per JVM view id, name -> (JavaPackage/JavaClass, expiry or None).
        self._view_memos: dict[str, dict[str, tuple[Any, float | None]]] = {}
        # The JVMView objects of each view id (for java_import to make them forget names).
        self._views: dict[str, weakref.WeakSet[Any]] = {}
        # Members of classes by fully qualified name: name -> JavaMember or nested JavaClass.
        self._class_members: dict[str, dict[str, Any]] = {}
        # Set by JavaGateway when ferry launched the gateway's process: describes how it ended.
        self._describe_gateway_end: Any = None

    @property
    def converters(self) -> list[Any] | None:
        """The input converters tried on call arguments (``auto_convert``), or None."""
        return self._converters

    @converters.setter
    def converters(self, converters: list[Any] | None) -> None:
        self._converters = converters
        # Native member calls hand their arguments to the converters only when there are some.
        native = self.__dict__.get("_native")
        if native is not None:
            native.has_converters = converters is not None

    @property
    def is_connected(self) -> bool:
        """False once the gateway was shut down (or the client stopped by setting it to
        False: idle connections close, later commands fail, queued releases are dropped)."""
        return bool(self._native.is_connected)

    @is_connected.setter
    def is_connected(self, connected: bool) -> None:
        self._native.is_connected = bool(connected)

    def garbage_collect_object(self, target_id: str) -> None:
        """Releases a Java object id now (with any other queued releases, in one write)."""
        if target_id in (proto.ENTRY_POINT_OBJECT_ID, proto.GATEWAY_SERVER_OBJECT_ID):
            return
        if not self.is_connected:
            return
        self._native.detach(target_id)
        try:
            self._native.flush_releases(self)
        except Py4JError:
            logger.debug("Exception while releasing a Java object", exc_info=True)

    def _get_connection(self) -> GatewayConnection:
        """Checks that the gateway can be reached; returns a handle on the pool."""
        if not self.is_connected:
            raise Py4JNetworkError("Gateway is not connected.")
        self._native.ensure_connection(self)
        conn = GatewayConnection(self.gateway_parameters, self.gateway_property)
        conn._client = self
        conn.is_connected = True
        return conn

    def _create_connection(self) -> GatewayConnection:
        return self._get_connection()

    def _give_back_connection(self, connection: Any) -> None:
        pass

    def _create_connection_guard(self, connection: Any) -> GatewayConnectionGuard:
        return GatewayConnectionGuard(self, connection)

    def shutdown_gateway(self) -> None:
        """Shuts the gateway down (for every client) and closes the connections."""
        try:
            self._native.shutdown_gateway(self)
        finally:
            self._native.is_connected = False

    def send_command(
        self, command: str, retry: bool = True, binary: bool = False
    ) -> Any:
        """Sends an encoded command and returns the answer (without its ``!``); with
        ``binary``, returns ``(answer, guard)`` where the guard reads the raw bytes of a stream
        command's answer."""
        if not self.is_connected:
            raise Py4JNetworkError("Gateway is not connected.")
        if binary:
            answer, reader = self._native.stream(command, self)
            return answer, GatewayConnectionGuard(self, reader or _EmptyReader())
        return self._native.send_raw(command, retry, self)

    def close(self) -> None:
        """Sends pending releases and closes the idle connections; later commands reconnect."""
        self._native.close()

    # ferry's additions -------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counters: commands, releases, round_trips, frames, connections_opened,
        idle_connections, held_references, pending_releases, refused_hellos, protocol."""
        return self._native.stats()

    def connection_stats(self) -> list[dict[str, int]]:
        """Counters of each open connection: commands, releases, round_trips, frames, and its
        protocol (1: Py4J's text, 2: ferry's binary)."""
        return self._native.connection_stats()

    @property
    def protocol(self) -> int:
        """The protocol calls speak: 1 (Py4J's text protocol) or 2 (ferry's binary protocol).
        Asks the gateway (opens a connection) when no connection told yet."""
        return int(self._native.protocol(self))

    def flush_releases(self) -> None:
        """Sends the queued reference releases now."""
        self._native.flush_releases(self)


class _EmptyReader:
    def read(self, hint: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass
