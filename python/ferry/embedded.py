"""Embedded mode: the JVM inside the Python process, with the JavaGateway API and no socket.

    from ferry.embedded import start_jvm
    gateway = start_jvm(classpath=["app.jar"], entry_point="com.acme.App")
    sb = gateway.jvm.java.lang.StringBuilder("x")
    sb.length()

``start_jvm`` starts the process's one JVM (JNI allows one per process) and returns a
``JavaGateway`` whose client drives ferry's engine through the extension module: calls run in
the calling thread, attached to the JVM, with the GIL released. Everything of the JavaGateway API
works as over a socket (``jvm``, ``entry_point``, ``java_import``, ``new_array``, collections,
``Py4JJavaError`` with the Java stack trace, Python objects implementing Java interfaces,
``ferry.to_java`` / ``to_python`` / ``to_numpy``). Java calls Python objects directly (no
callback server). ``JavaGateway.launch_gateway(embedded=True, ...)`` does the same.

The JVM gets ``-Xrs``: Ctrl-C stays Python's. During a Java call on the main thread it interrupts
that Java thread (``Thread.interrupt``) and raises ``KeyboardInterrupt`` when the call returns.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
import weakref
from typing import Any

from ferry import _native
from ferry._gateway_client import (
    _FORKS_REPORTED,
    GatewayClient,
    GatewayProperty,
    _gateway_clients,
)
from ferry.java_gateway import (
    CallbackServerParameters,
    GatewayParameters,
    JavaGateway,
)

__all__ = [
    "EmbeddedGateway",
    "EmbeddedGatewayClient",
    "JvmStartError",
    "jvm_config",
    "start_jvm",
]


class JvmStartError(RuntimeError):
    """The JVM could not be started: none was found (the message names what was tried), its
    options are wrong, or another JVM already runs in this process with other options."""


class EmbeddedGatewayClient(GatewayClient):
    """A ``GatewayClient`` whose commands go to ferry's engine in this process
    (``ferry._native.EmbeddedClient``) instead of a socket."""

    def __init__(
        self,
        gateway_parameters: GatewayParameters | None = None,
        gateway_property: GatewayProperty | None = None,
        entry_point: str | None = None,
    ) -> None:
        # No call to GatewayClient.__init__: it would make a pool of sockets.
        if gateway_parameters is None:
            gateway_parameters = GatewayParameters()
        self.gateway_parameters = gateway_parameters
        self.address = "embedded"
        self.port = 0
        self.auto_close = gateway_parameters.auto_close
        self.gateway_property = gateway_property
        self.ssl_context = None
        self._converters: list[Any] | None = None
        enable_mm = (
            gateway_property.enable_memory_management
            if gateway_property is not None
            else gateway_parameters.enable_memory_management
        )
        self._native = _native.EmbeddedClient(
            entry_point, memory_management=bool(enable_mm)
        )
        self._native.forks_reported = _FORKS_REPORTED
        _gateway_clients.add(self)
        self._view_memos: dict[str, dict[str, tuple[Any, float | None]]] = {}
        self._views: dict[str, weakref.WeakSet[Any]] = {}
        self._class_members: dict[str, dict[str, Any]] = {}
        self._describe_gateway_end: Any = None
        self.entry_point_class = entry_point

    def set_propagate_java_exceptions(self, propagate: bool) -> None:
        """Whether a ``Py4JJavaError`` raised by a Python method called from Java rethrows the
        Java exception (py4j's ``propagate_java_exceptions``)."""
        self._native.set_dispatcher(
            _native.CallbackDispatcher(weakref.ref(self), None, bool(propagate)), self
        )

    def registry_size(self) -> int:
        """How many Java objects the engine holds for this gateway (the entry point and the
        default view included)."""
        return int(self._native.registry_size())


class EmbeddedCallbackServer:
    """What ``JavaGateway.start_callback_server`` gives in embedded mode: Java calls Python
    objects directly, so nothing listens; shutting it down empties the proxy pool."""

    def __init__(
        self,
        pool: Any,
        gateway_client: EmbeddedGatewayClient,
        callback_server_parameters: CallbackServerParameters,
    ) -> None:
        self.pool = pool
        self.gateway_client = gateway_client
        self.callback_server_parameters = callback_server_parameters
        self.server_socket = None
        self.is_shutdown = False

    def start(self) -> None:
        self.is_shutdown = False
        self.gateway_client.set_propagate_java_exceptions(
            bool(self.callback_server_parameters.propagate_java_exceptions)
        )

    def get_listening_port(self) -> int | None:
        return None

    def get_listening_address(self) -> str | None:
        return None

    def close(self) -> None:
        pass

    def shutdown(self) -> None:
        self.is_shutdown = True
        self.pool.clear()


class EmbeddedGateway(JavaGateway):
    """A ``JavaGateway`` on the JVM inside this process (made by ``start_jvm``)."""

    def __init__(
        self,
        entry_point: str | None = None,
        gateway_parameters: GatewayParameters | None = None,
        callback_server_parameters: CallbackServerParameters | None = None,
        python_server_entry_point: Any = None,
    ) -> None:
        self._embedded_entry_point = entry_point
        super().__init__(
            gateway_parameters=gateway_parameters,
            callback_server_parameters=callback_server_parameters,
            python_server_entry_point=python_server_entry_point,
        )

    def _create_gateway_client(self) -> GatewayClient:
        client = EmbeddedGatewayClient(
            gateway_parameters=self.gateway_parameters,
            gateway_property=self.gateway_property,
            entry_point=self._embedded_entry_point,
        )
        params = self.callback_server_parameters
        client.set_propagate_java_exceptions(
            bool(params is not None and params.propagate_java_exceptions)
        )
        return client

    def _create_callback_server(self, callback_server_parameters: Any) -> Any:
        return EmbeddedCallbackServer(
            self.gateway_property.pool,
            self._gateway_client,  # type: ignore[arg-type]
            callback_server_parameters,
        )


_lock = threading.Lock()
_gateways: dict[str | None, EmbeddedGateway] = {}
_watching = False
_started = False


def _classpath(classpath: str | list[str] | tuple[str, ...] | None) -> list[str]:
    if classpath is None:
        return []
    if isinstance(classpath, str):
        return [p for p in classpath.split(os.pathsep) if p]
    return [os.fspath(p) for p in classpath]


def _watch_ctrl_c() -> None:
    """Points Python's signal wakeup fd at a pipe read by a native watcher, which interrupts the
    main thread's Java call on Ctrl-C (the main thread cannot run Python's handler while it is in
    Java). Only from the main thread, once."""
    global _watching
    if _watching or threading.current_thread() is not threading.main_thread():
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except ValueError:
        os.close(read_fd)
        os.close(write_fd)
        return
    _native.embedded_watch_signals(read_fd, previous)
    _watching = True


def jvm_config() -> tuple[list[str], list[str], str] | None:
    """The class path, options and Java home of the JVM running in this process, or None."""
    config = _native.embedded_jvm_config()
    if config is None:
        return None
    classpath, options, java_home = config
    return list(classpath), list(options), str(java_home)


def start_jvm(
    classpath: str | list[str] | None = None,
    jvm_options: list[str] | None = None,
    entry_point: str | None = None,
    *,
    gateway_parameters: GatewayParameters | None = None,
    callback_server_parameters: CallbackServerParameters | None = None,
    python_server_entry_point: Any = None,
) -> JavaGateway:
    """Starts the JVM in this process (once) and returns a gateway on it.

    - ``classpath``: entries, as a list or a ``os.pathsep``-separated string;
    - ``jvm_options``: options such as ``["-Xmx1g"]`` (``-Xrs`` is always added);
    - ``entry_point``: a class whose public no-argument constructor makes ``gateway.entry_point``.

    The JVM is found with ``JAVA_HOME``, else ``java``/``javac`` on the ``PATH``; ``JvmStartError``
    names what was tried when none is found. A process holds one JVM: the same class path and
    options again return the running gateway (a new one if it was shut down, or for another
    entry point); other ones raise ``JvmStartError``."""
    global _started
    cp = _classpath(classpath)
    options = [str(o) for o in (jvm_options or [])]
    with _lock:
        try:
            _native.embedded_start_jvm(cp, options)
        except RuntimeError as e:
            raise JvmStartError(str(e)) from None
        if not _started:
            atexit.register(_native.embedded_at_exit)
            _started = True
        _watch_ctrl_c()
        plain = (
            gateway_parameters is None
            and callback_server_parameters is None
            and python_server_entry_point is None
        )
        running = _gateways.get(entry_point)
        if plain and running is not None and running._gateway_client.is_connected:
            return running
        try:
            gateway = EmbeddedGateway(
                entry_point=entry_point,
                gateway_parameters=gateway_parameters,
                callback_server_parameters=callback_server_parameters,
                python_server_entry_point=python_server_entry_point,
            )
        except RuntimeError as e:
            raise JvmStartError(str(e)) from None
        if plain:
            _gateways[entry_point] = gateway
        return gateway
