"""Using a JVM from Python: py4j.java_gateway's API on ferry's native client.

``JavaGateway`` connects to a gateway (Py4J's own ``GatewayServer`` or ``ferry serve``);
``gateway.jvm`` reaches classes, ``gateway.entry_point`` the object the gateway exposes.
Java calls Python objects (those implementing Java interfaces, passed as arguments) through the
callback server (``CallbackServer``, started with ``CallbackServerParameters`` or
``start_callback_server``); ``ferry.clientserver`` has the pinned-thread mode.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import struct
import subprocess
import weakref
from decimal import Decimal
from typing import Any

from ferry import _native
from ferry import protocol as proto
from ferry._callbacks import (
    CallbackConnection,
    CallbackServer,
    post_server_shutdown,
    pre_server_shutdown,
    server_connection_error,
    server_connection_started,
    server_connection_stopped,
    server_started,
    server_stopped,
)
from ferry._gateway_client import (
    DEFAULT_ADDRESS,
    DEFAULT_PORT,
    DummyRLock,
    GatewayClient,
    GatewayConnection,
    GatewayConnectionGuard,
    GatewayProperty,
    PythonProxyPool,
    _error_answer,
    _network_error,
)
from ferry._launcher import (
    OutputConsumer,
    ProcessConsumer,
    describe_process_end,
    find_jar_path,
    launch_gateway,
)
from ferry._proxies import (
    JavaClass,
    JavaMember,
    JavaObject,
    JavaPackage,
    JVMView,
    UserHelpAutoCompletion,
    _converting_call,
    forget_view_names,
    gateway_help,
    is_magic_member,
)
from ferry.protocol import (
    Py4JAuthenticationError,
    Py4JError,
    Py4JJavaError,
    Py4JNetworkError,
    compute_exception_message,
    escape_new_line,
    get_command_part,
    get_error_message,
    get_return_value,
    is_error,
    is_fatal_error,
    register_output_converter,
    smart_decode,
    unescape_new_line,
)
from ferry.version import __version__

__all__ = [
    "BUFFER_SIZE",
    "DEFAULT_ACCEPT_TIMEOUT_PLACEHOLDER",
    "DEFAULT_ADDRESS",
    "DEFAULT_CALLBACK_SERVER_ACCEPT_TIMEOUT",
    "DEFAULT_PORT",
    "DEFAULT_PYTHON_PROXY_PORT",
    "PY4J_SKIP_COLLECTIONS",
    "PY4J_TRUE",
    "CallbackConnection",
    "CallbackServer",
    "CallbackServerParameters",
    "DummyRLock",
    "GatewayClient",
    "GatewayConnection",
    "GatewayConnectionGuard",
    "GatewayParameters",
    "GatewayProperty",
    "JVMView",
    "JavaClass",
    "JavaGateway",
    "JavaMember",
    "JavaObject",
    "JavaPackage",
    "OutputConsumer",
    "ProcessConsumer",
    "Py4JAuthenticationError",
    "Py4JError",
    "Py4JJavaError",
    "Py4JNetworkError",
    "PythonProxyPool",
    "UserHelpAutoCompletion",
    "__version__",
    "check_connection",
    "compute_exception_message",
    "deprecated",
    "do_client_auth",
    "escape_new_line",
    "find_jar_path",
    "gateway_help",
    "get_command_part",
    "get_create_new_process_group_kwargs",
    "get_error_message",
    "get_field",
    "get_java_class",
    "get_method",
    "get_return_value",
    "is_error",
    "is_fatal_error",
    "is_instance_of",
    "is_magic_member",
    "java_import",
    "launch_gateway",
    "post_server_shutdown",
    "pre_server_shutdown",
    "quiet_close",
    "quiet_shutdown",
    "register_output_converter",
    "server_connection_error",
    "server_connection_started",
    "server_connection_stopped",
    "server_started",
    "server_stopped",
    "set_default_callback_accept_timeout",
    "set_field",
    "set_linger",
    "set_reuse_address",
    "smart_decode",
    "unescape_new_line",
]

logging.getLogger("ferry").addHandler(logging.NullHandler())
logger = logging.getLogger("ferry.java_gateway")

BUFFER_SIZE = 4096
DEFAULT_PYTHON_PROXY_PORT = 25334
DEFAULT_ACCEPT_TIMEOUT_PLACEHOLDER = "DEFAULT"
DEFAULT_CALLBACK_SERVER_ACCEPT_TIMEOUT = 5
PY4J_SKIP_COLLECTIONS = "PY4J_SKIP_COLLECTIONS"
PY4J_TRUE = {"yes", "y", "t", "true"}


def get_create_new_process_group_kwargs() -> dict[str, Any]:
    """``Popen`` arguments that start a process in its own process group (so that Ctrl-C in
    this process does not reach it)."""
    if os.name != "nt":
        return {"preexec_fn": os.setpgrp}
    return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]


def set_reuse_address(server_socket: socket.socket) -> None:
    """Sets SO_REUSEADDR (not on Windows, where it means something else)."""
    if os.name != "nt":
        server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)


def set_default_callback_accept_timeout(accept_timeout: float) -> None:
    """Sets the default accept timeout of callback servers (deprecated in py4j)."""
    deprecated("set_default_callback_accept_timeout", "1.0", "CallbackServerParameters")
    global DEFAULT_CALLBACK_SERVER_ACCEPT_TIMEOUT
    DEFAULT_CALLBACK_SERVER_ACCEPT_TIMEOUT = accept_timeout  # type: ignore[assignment]


def deprecated(
    name: str,
    last_version: str,
    use_instead: str = "",
    level: int = logging.DEBUG,
    raise_exc: bool = False,
) -> None:
    """Logs (and optionally raises) a deprecation notice."""
    msg = f"{name} is deprecated and will be removed in version {last_version}"
    if use_instead:
        msg += f". Use {use_instead} instead."
    logger.log(level, msg)
    if raise_exc:
        raise DeprecationWarning(msg)


def java_import(jvm_view: JVMView, import_str: str) -> None:
    """Imports a class (``"java.util.List"``) or a package (``"java.util.*"``) into a JVM view,
    so that its simple names resolve there. Forgets the view's remembered names."""
    client = jvm_view._gateway_client
    command = (
        proto.JVMVIEW_COMMAND_NAME
        + proto.JVM_IMPORT_SUB_COMMAND_NAME
        + jvm_view._id
        + "\n"
        + escape_new_line(import_str)
        + "\n"
        + proto.END_COMMAND_PART
    )
    forget_view_names(client, jvm_view._id)
    answer = client.send_command(command)
    get_return_value(answer, client, None, None)


def get_field(java_object: JavaObject, field_name: str) -> Any:
    """The value of a public field of a Java object."""
    client = java_object._gateway_client
    command = (
        proto.FIELD_COMMAND_NAME
        + proto.FIELD_GET_SUBCOMMAND_NAME
        + java_object._target_id
        + "\n"
        + field_name
        + "\n"
        + proto.END_COMMAND_PART
    )
    kind, value = client._native.request(command, client, raise_errors=False)
    if kind == "y":
        return value
    _, error_message = get_error_message(value if kind == "x" else "")
    raise Py4JError(
        compute_exception_message(
            f"no field {field_name} in object {java_object._target_id}", error_message
        )
    )


def set_field(java_object: JavaObject, field_name: str, value: Any) -> None:
    """Sets a public field of a Java object (the only way: Python's ``=`` cannot reach Java)."""
    client = java_object._gateway_client
    command = (
        proto.FIELD_COMMAND_NAME
        + proto.FIELD_SET_SUBCOMMAND_NAME
        + java_object._target_id
        + "\n"
        + field_name
        + "\n"
        + get_command_part(value, client.gateway_property.pool)
        + proto.END_COMMAND_PART
    )
    kind, answer = client._native.request(command, client, raise_errors=False)
    if kind == "y":
        return
    _, error_message = get_error_message(answer if kind == "x" else "")
    raise Py4JError(
        compute_exception_message(
            f"no field {field_name} in object {java_object._target_id}", error_message
        )
    )


def get_method(java_object: JavaObject, method_name: str) -> JavaMember:
    """A method of a Java object, even where ``auto_field`` makes a field of the same name hide
    it."""
    return JavaMember(
        method_name, java_object, java_object._target_id, java_object._gateway_client
    )


def is_instance_of(
    gateway: JavaGateway, java_object: JavaObject, java_class: Any
) -> bool:
    """Whether ``java_object`` is an instance of ``java_class``: a fully qualified name, a
    ``JavaClass``, or a ``JavaObject`` (then: of that object's class)."""
    if isinstance(java_class, str):
        klass = JavaClass(java_class, gateway._gateway_client)._java_lang_class
    elif isinstance(java_class, JavaClass):
        klass = java_class._java_lang_class
    elif isinstance(java_class, JavaObject):
        klass = java_class.getClass()
    else:
        raise Py4JError("java_class must be a string, a JavaClass, or a JavaObject")
    return bool(klass.isInstance(java_object))


def get_java_class(java_class: JavaClass) -> JavaObject:
    """The ``java.lang.Class`` of a ``JavaClass`` (``.class`` in Java)."""
    return java_class._java_lang_class  # type: ignore[no-any-return]


def quiet_close(closable: Any) -> None:
    """Closes something, ignoring any error."""
    if closable is None:
        return
    try:
        closable.close()
    except Exception:
        logger.debug("Exception while closing", exc_info=True)


def quiet_shutdown(socket_instance: Any) -> None:
    """Shuts a socket down both ways, ignoring any error."""
    if socket_instance is None:
        return
    try:
        socket_instance.shutdown(socket.SHUT_RDWR)
    except Exception:
        logger.debug("Exception while shutting down a socket", exc_info=True)


def set_linger(a_socket: socket.socket) -> None:
    """SO_LINGER on with a zero timeout: closing the socket sends a reset."""
    a_socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def check_connection(a_socket: socket.socket, read_timeout: float | None) -> None:
    """Raises if the peer closed the socket (a short read finds EOF)."""
    a_socket.settimeout(0.0001)
    response: bytes | int = 0
    try:
        response = a_socket.recv(2)
    except TimeoutError:
        pass
    finally:
        a_socket.settimeout(read_timeout)
    if response == b"":
        raise ConnectionError("The connection was remotely closed.")


def do_client_auth(command: str, input_stream: Any, sock: Any, auth_token: str) -> bool:
    """Checks the authentication a peer sends first on a connection (``A``, token, ``e``);
    answers it, and raises ``Py4JAuthenticationError`` on a mismatch."""
    try:
        if command != proto.AUTH_COMMAND_NAME:
            raise Py4JAuthenticationError(
                f"Expected {proto.AUTH_COMMAND_NAME}, received {command}."
            )
        client_token = smart_decode(input_stream.readline()[:-1])
        input_stream.readline()
        if auth_token == client_token:
            sock.sendall(proto.OUTPUT_VOID_COMMAND.encode("utf-8"))
        else:
            sock.sendall(proto.ERROR_RETURN_MESSAGE.encode("utf-8"))
            raise Py4JAuthenticationError("Client authentication failed.")
    except Py4JAuthenticationError:
        raise
    except Exception as e:
        raise Py4JAuthenticationError(cause=e) from e
    return True


# Kept for code that checks a socket with select before reading.
_select = select.select


class GatewayParameters:
    """How a ``JavaGateway`` connects.

    - ``address``, ``port``: where the gateway listens (an address that is a path, or
      ``unix:<path>``, is a Unix socket).
    - ``auto_field``: attributes of Java objects are looked up as fields first.
    - ``auto_close``: close the sockets when the client is garbage collected (ferry always
      does).
    - ``auto_convert``: Python lists, sets and dicts passed to Java are converted to Java
      collections (``ListConverter``...).
    - ``eager_load``: connect (and call ``System.currentTimeMillis``) at construction.
    - ``ssl_context``: TLS; not supported by ferry's client yet (a clear error says so).
    - ``enable_memory_management``: release Java objects when their proxies are collected.
    - ``read_timeout``: seconds to wait for an answer (None: no limit).
    - ``auth_token``: the gateway's authentication token.
    - ``protocol`` (ferry's): ``"auto"`` (ferry's binary protocol v2 when the gateway is ferry's,
      Py4J's text protocol otherwise), ``"v1"`` or ``"v2"``; None reads the ``FERRY_PROTOCOL``
      environment variable (default ``"auto"``).
    - ``multiplex`` (ferry's, protocol v2): combine the method calls of concurrent threads on
      one connection (one write and one read for all the calls waiting). Off by default: with
      it, those calls run in order on one Java thread, whichever Python thread made them (py4j
      gives each Python thread a Java thread of its own), so a Java method that waits for
      another Python thread's call waits forever. Calls made while serving a callback, and
      calls carrying 64 KiB or more, are not combined. Ctrl-C takes back a call not written
      yet and abandons one written by another thread; against a v1 gateway nothing changes.
    """

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
        read_timeout: float | None = None,
        auth_token: str | None = None,
        protocol: str | None = None,
        multiplex: bool = False,
    ) -> None:
        self.address = address
        self.port = port
        self.auto_field = auto_field
        self.auto_close = auto_close
        self.auto_convert = auto_convert
        self.eager_load = eager_load
        self.ssl_context = ssl_context
        self.enable_memory_management = enable_memory_management
        self.read_timeout = read_timeout
        self.auth_token = escape_new_line(auth_token)
        self.protocol = protocol
        self.multiplex = multiplex


class CallbackServerParameters:
    """Settings of a Python callback server (py4j's fields and defaults).

    - ``address``, ``port``: where it listens (127.0.0.1:25334; port 0 picks a free port: read
      it with ``get_listening_port()`` and tell the JVM with
      ``gateway.java_gateway_server.resetCallbackClient(address, port)``).
    - ``daemonize``: the accepting thread is a daemon thread (a callback server that is not
      daemonized keeps the process alive until it is shut down, as in py4j).
    - ``daemonize_connections``: the threads serving Java's connections are daemon threads.
    - ``eager_load``: a gateway given these parameters starts the server at once.
    - ``ssl_context``: TLS; not supported by ferry's callback server yet (a clear error says so).
    - ``accept_timeout``: seconds between checks for shutdown while waiting for a connection (5);
      ferry's shutdown does not wait for it.
    - ``read_timeout``: seconds a connection from Java may stay silent before it is reset (None:
      no limit).
    - ``propagate_java_exceptions``: a ``Py4JJavaError`` raised by a callback rethrows the Java
      exception itself in Java (else Java gets a ``Py4JException`` with the Python traceback).
    - ``auth_token``: the token Java must send first on every connection.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        port: int = DEFAULT_PYTHON_PROXY_PORT,
        daemonize: bool = False,
        daemonize_connections: bool = False,
        eager_load: bool = True,
        ssl_context: Any = None,
        accept_timeout: Any = DEFAULT_ACCEPT_TIMEOUT_PLACEHOLDER,
        read_timeout: float | None = None,
        propagate_java_exceptions: bool = False,
        auth_token: str | None = None,
    ) -> None:
        self.address = address
        self.port = port
        self.daemonize = daemonize
        self.daemonize_connections = daemonize_connections
        self.eager_load = eager_load
        self.ssl_context = ssl_context
        if accept_timeout == DEFAULT_ACCEPT_TIMEOUT_PLACEHOLDER:
            accept_timeout = DEFAULT_CALLBACK_SERVER_ACCEPT_TIMEOUT
        self.accept_timeout = accept_timeout
        self.read_timeout = read_timeout
        self.propagate_java_exceptions = propagate_java_exceptions
        self.auth_token = escape_new_line(auth_token)


class JavaGateway:
    """The connection to a JVM gateway.

    - ``jvm``: the default JVM view (``gateway.jvm.java.util.ArrayList()``);
    - ``entry_point``: the object the gateway exposes (attributes the gateway does not have
      are looked up there: ``gateway.doThat()`` is ``gateway.entry_point.doThat()``);
    - ``java_gateway_server``: the gateway server object;
    - ``java_process``: the gateway's process when it was launched from here, else None.
    """

    def __init__(
        self,
        gateway_client: GatewayClient | None = None,
        auto_field: bool = False,
        python_proxy_port: int = DEFAULT_PYTHON_PROXY_PORT,
        start_callback_server: bool = False,
        auto_convert: bool = False,
        eager_load: bool = False,
        gateway_parameters: GatewayParameters | None = None,
        callback_server_parameters: CallbackServerParameters | None = None,
        python_server_entry_point: Any = None,
        java_process: Any = None,
    ) -> None:
        self.gateway_parameters = gateway_parameters
        if not gateway_parameters:
            self.gateway_parameters = GatewayParameters(
                auto_field=auto_field, auto_convert=auto_convert, eager_load=eager_load
            )
        params = self.gateway_parameters
        assert params is not None
        self.callback_server_parameters = callback_server_parameters
        if not callback_server_parameters:
            self.callback_server_parameters = CallbackServerParameters(
                port=python_proxy_port,
                eager_load=False,
                auth_token=unescape_new_line(params.auth_token),
            )
        if auto_field:
            deprecated("JavaGateway.auto_field", "1.0", "GatewayParameters")
        if auto_convert:
            deprecated("JavaGateway.auto_convert", "1.0", "GatewayParameters")
        if eager_load:
            deprecated("JavaGateway.eager_load", "1.0", "GatewayParameters")
        if start_callback_server:
            deprecated(
                "JavaGateway.start_callback_server and python_proxy_port",
                "1.0",
                "CallbackServerParameters",
            )
            assert self.callback_server_parameters is not None
            self.callback_server_parameters.eager_load = True

        self.python_server_entry_point = python_server_entry_point
        self._python_proxy_port = python_proxy_port
        self.gateway_property = self._create_gateway_property()
        self.java_process = java_process
        self._callback_server: Any = None
        # Set when this gateway launched Py4J's GatewayServer with a fresh token (see
        # _share_callback_token).
        self._launched_py4j_with_auth = False

        if gateway_client:
            deprecated("JavaGateway.gateway_client", "1.0", "GatewayParameters")
        else:
            gateway_client = self._create_gateway_client()
        self.set_gateway_client(gateway_client)

        if params.eager_load:
            self._eager_load()
        assert self.callback_server_parameters is not None
        if self.callback_server_parameters.eager_load:
            self.start_callback_server(self.callback_server_parameters)

    def _create_gateway_client(self) -> GatewayClient:
        client = GatewayClient(
            gateway_parameters=self.gateway_parameters,
            gateway_property=self.gateway_property,
        )
        return client

    def _create_gateway_property(self) -> GatewayProperty:
        params = self.gateway_parameters
        assert params is not None
        prop = GatewayProperty(
            params.auto_field, PythonProxyPool(), params.enable_memory_management
        )
        if self.python_server_entry_point:
            prop.pool.put(self.python_server_entry_point, proto.ENTRY_POINT_OBJECT_ID)
        return prop

    def set_gateway_client(self, gateway_client: GatewayClient) -> None:
        """Uses another gateway client (advanced; before the gateway is used)."""
        params = self.gateway_parameters
        assert params is not None
        if params.auto_convert:
            gateway_client.converters = proto.INPUT_CONVERTER
        else:
            gateway_client.converters = None
        gateway_client.gateway_property = self.gateway_property
        gateway_client._describe_gateway_end = _process_describer(weakref.ref(self))
        self._gateway_client = gateway_client
        self.entry_point = JavaObject(proto.ENTRY_POINT_OBJECT_ID, gateway_client)
        self.java_gateway_server = JavaObject(
            proto.GATEWAY_SERVER_OBJECT_ID, gateway_client
        )
        self.jvm = JVMView(
            gateway_client, jvm_name=proto.DEFAULT_JVM_NAME, id=proto.DEFAULT_JVM_ID
        )

    def __getattr__(self, name: str) -> Any:
        entry_point = self.__dict__.get("entry_point")
        if entry_point is None or is_magic_member(name):
            raise AttributeError(name)
        return getattr(entry_point, name)

    def _eager_load(self) -> None:
        try:
            self.jvm.System.currentTimeMillis()
        except Exception:
            self.shutdown()
            raise

    def get_callback_server(self) -> Any:
        """The callback server, or None when it is not started."""
        return self._callback_server

    def start_callback_server(self, callback_server_parameters: Any = None) -> bool:
        """Starts the callback server (with these parameters, else the gateway's). Returns
        False when one is already started. Raises ``Py4JNetworkError`` when it cannot listen
        (unlike py4j, the Java gateway is not shut down then: other clients may use it)."""
        if self._callback_server:
            return False
        if not callback_server_parameters:
            callback_server_parameters = self.callback_server_parameters
        server = self._create_callback_server(callback_server_parameters)
        try:
            server.start()
        except Py4JNetworkError:
            self._callback_server = None
            raise
        self._callback_server = server
        if self._launched_py4j_with_auth:
            self._share_callback_token(server)
        return True

    def _create_callback_server(self, callback_server_parameters: Any) -> Any:
        return CallbackServer(
            self.gateway_property.pool,
            self._gateway_client,
            callback_server_parameters=callback_server_parameters,
        )

    def _share_callback_token(self, server: Any) -> None:
        """Gives the token to the callback client of a Py4J GatewayServer this gateway launched.

        ``java py4j.GatewayServer --enable-auth`` makes a fresh token for Python's connections
        but none for its own connections to Python, while the Python callback server expects
        the token: Java's calls to Python would fail authentication. The JVM's callback client
        is replaced (through reflection, there being no setter) by one that sends the token and
        connects where this callback server listens."""
        token = server.callback_server_parameters.auth_token
        if not token:
            return
        try:
            jvm = self.jvm
            address = jvm.java.net.InetAddress.getByName(server.get_listening_address())
            callback_client = jvm.py4j.CallbackClient(
                int(server.get_listening_port()), address, unescape_new_line(token)
            )
            inner = self.java_gateway_server.getGateway()
            field = inner.getClass().getDeclaredField("cbClient")
            field.setAccessible(True)
            old = field.get(inner)
            field.set(inner, callback_client)
            if old is not None:
                old.shutdown()
        except Py4JError:
            logger.warning(
                "Could not give the callback token to the launched GatewayServer: Java's calls "
                "to Python will fail authentication",
                exc_info=True,
            )

    def new_jvm_view(self, name: str = "custom jvm") -> JVMView:
        """A new JVM view, with its own imports."""
        command = (
            proto.JVMVIEW_COMMAND_NAME
            + proto.JVM_CREATE_VIEW_SUB_COMMAND_NAME
            + get_command_part(name)
            + proto.END_COMMAND_PART
        )
        answer = self._gateway_client.send_command(command)
        java_object = get_return_value(answer, self._gateway_client)
        return JVMView(
            gateway_client=self._gateway_client, jvm_name=name, jvm_object=java_object
        )

    def new_array(self, java_class: JavaClass, *dimensions: int) -> Any:
        """A new Java array of ``java_class`` (e.g. ``gateway.jvm.int``) with the given
        dimensions: ``new_array(gateway.jvm.double, 2, 3)`` is ``new double[2][3]``."""
        if len(dimensions) == 0:
            raise Py4JError("new arrays must have at least one dimension")
        command = (
            proto.ARRAY_COMMAND_NAME
            + proto.ARRAY_CREATE_SUB_COMMAND_NAME
            + get_command_part(java_class._fqn)
        )
        for dimension in dimensions:
            command += get_command_part(dimension)
        command += proto.END_COMMAND_PART
        answer = self._gateway_client.send_command(command)
        return get_return_value(answer, self._gateway_client)

    def shutdown(self, raise_exception: bool = False) -> None:
        """Shuts the gateway down (the Java server stops, for every client) and closes the
        connections."""
        try:
            self._gateway_client.shutdown_gateway()
        except Exception:
            if raise_exception:
                raise
            logger.info("Exception while shutting down the gateway", exc_info=True)
        self.shutdown_callback_server()

    def shutdown_callback_server(self, raise_exception: bool = False) -> None:
        """Shuts the callback server down (its threads end, the proxy pool is emptied)."""
        if self._callback_server is None:
            return
        try:
            self._callback_server.shutdown()
        except Exception:
            if raise_exception:
                raise
            logger.info("Exception while shutting down callback server", exc_info=True)

    def close_callback_server(self, raise_exception: bool = False) -> None:
        """Closes the callback server's connections (it keeps listening)."""
        if self._callback_server is None:
            return
        try:
            self._callback_server.close()
        except Exception:
            if raise_exception:
                raise
            logger.info("Exception while closing callback server", exc_info=True)

    def restart_callback_server(self) -> None:
        """Shuts the callback server down (if started) and starts a new one."""
        self.shutdown_callback_server()
        self._callback_server = None
        self.start_callback_server(self.callback_server_parameters)

    def close(
        self,
        keep_callback_server: bool = False,
        close_callback_server_connections: bool = False,
    ) -> None:
        """Closes the connections (after sending pending releases); they reopen when needed.
        The callback server is shut down too, unless ``keep_callback_server`` (then
        ``close_callback_server_connections`` closes its connections)."""
        self._gateway_client.close()
        if not keep_callback_server:
            deprecated(
                "JavaGateway.close.keep_callback_server",
                "1.0",
                "JavaGateway.shutdown_callback_server",
            )
            self.shutdown_callback_server()
        elif close_callback_server_connections:
            self.close_callback_server()

    def detach(self, java_object: JavaObject) -> None:
        """Releases a Java object now, without waiting for its proxy to be collected."""
        java_object._detach()

    def help(
        self,
        var: Any,
        pattern: str | None = None,
        short_name: bool = True,
        display: bool = True,
    ) -> str | None:
        """The help page of a Java object, class or member (see ``gateway_help``)."""
        return gateway_help(self._gateway_client, var, pattern, short_name, display)

    @classmethod
    def launch_gateway(
        cls,
        port: int = 0,
        jarpath: str = "",
        classpath: str = "",
        javaopts: list[str] | None = None,
        die_on_exit: bool = False,
        redirect_stdout: Any = None,
        redirect_stderr: Any = None,
        daemonize_redirect: bool = True,
        java_path: str | None = "java",
        create_new_process_group: bool = False,
        enable_auth: bool = False,
        cwd: str | None = None,
        use_shell: bool = False,
        entry_point: str | None = None,
        embedded: bool = False,
    ) -> JavaGateway:
        """Launches a gateway (see ``launch_gateway``) and connects to it.

        With ``embedded``, starts the JVM inside this process instead (see
        ``ferry.embedded.start_jvm``: ``classpath``, ``javaopts`` and ``entry_point`` apply, the
        options of a process and its sockets do not) and returns a gateway on it."""
        if embedded:
            from ferry.embedded import start_jvm

            return start_jvm(
                classpath=classpath or None,
                jvm_options=list(javaopts) if javaopts else None,
                entry_point=entry_point,
            )
        launched = launch_gateway(
            port,
            jarpath,
            classpath,
            javaopts,
            die_on_exit,
            redirect_stdout=redirect_stdout,
            redirect_stderr=redirect_stderr,
            daemonize_redirect=daemonize_redirect,
            java_path=java_path,
            create_new_process_group=create_new_process_group,
            enable_auth=enable_auth,
            cwd=cwd,
            return_proc=True,
            use_shell=use_shell,
            entry_point=entry_point,
        )
        if enable_auth:
            _port, _token, proc = launched
        else:
            _port, proc = launched
            _token = None
        gateway = cls(
            gateway_parameters=GatewayParameters(port=_port, auth_token=_token),
            java_process=proc,
        )
        gateway._launched_py4j_with_auth = bool(enable_auth and jarpath)
        return gateway


def _process_describer(gateway_ref: weakref.ref[JavaGateway]) -> Any:
    # How the gateway's process ended, for network errors (no reference cycle through the
    # client: the gateway is reached through a weak reference).
    def describe() -> str | None:
        gateway = gateway_ref()
        process = None if gateway is None else gateway.__dict__.get("java_process")
        if process is None:
            return None
        return describe_process_end(process)

    return describe


def _make_java_object(target_id: str, gateway_client: GatewayClient) -> JavaObject:
    return JavaObject(target_id, gateway_client)


register_output_converter(proto.REFERENCE_TYPE, _make_java_object)
# While it is the converter of plain references, the decoder makes those proxies natively.
_native.install_object_converter(_make_java_object, JavaObject)

_native.install(
    proto.OUTPUT_CONVERTER,
    _error_answer,
    _network_error,
    Py4JError,
    Decimal,
    _converting_call,
)

if os.environ.get(PY4J_SKIP_COLLECTIONS, "").lower() not in PY4J_TRUE:
    __import__("ferry.java_collections")
