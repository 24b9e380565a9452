# Type stubs of ferry._native, the extension module (crates/python). Kept by hand; the tests
# check that every name here exists in the module and the other way round.

from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeAlias, final

from typing_extensions import Self

__version__: str

_Kind: TypeAlias = Literal["y", "o", "m", "c", "p", "x"]

@final
class Client:
    """A pool of connections to one gateway, with the release queue of its references."""

    def __new__(
        cls,
        address: str,
        port: int,
        auth_token: str | None = None,
        read_timeout: float | None = None,
        memory_management: bool = True,
        connect_timeout: float | None = None,
        release_delay: float = 0.05,
        pinned_threads: bool = False,
        protocol: str = "auto",
        multiplex: bool = False,
    ) -> Client: ...
    def call(self, target: str, method: str, args: tuple[Any, ...], owner: Any) -> Any:
        """Calls a method (``target`` is an object id, or ``z:<class>`` for a static method)."""
    def call_checked(
        self, target: str, method: str, args: tuple[Any, ...], owner: Any
    ) -> tuple[bool, Any]:
        """``(True, value)``, or ``(False, answer)`` for an error answer (not raised)."""
    def call_batch(
        self, target: str, method: str, calls: Iterable[tuple[Any, ...]], owner: Any
    ) -> int:
        """Calls a method once per argument tuple, pipelined; raises the first error."""
    def call_many(
        self, target: str, method: str, calls: Iterable[tuple[Any, ...]], owner: Any
    ) -> list[Any]:
        """Calls a method once per argument tuple, pipelined; the results in order (the first
        error is raised after every reply was read)."""
    def call_mixed(
        self, calls: Iterable[tuple[str, str, tuple[Any, ...]]], owner: Any
    ) -> list[tuple[bool, Any]]:
        """Makes each ``(target, method, args)`` call, pipelined; per call, in order,
        ``(True, value)`` or ``(False, exception)``."""
    def construct(self, fqn: str, args: tuple[Any, ...], owner: Any) -> Any:
        """Calls a constructor."""
    def protocol(self, owner: Any = None) -> int:
        """The protocol calls speak (1: Py4J's text, 2: ferry's binary); asks the gateway when
        not known yet."""
    @property
    def negotiated(self) -> int | None:
        """The protocol negotiated so far, or None before the first connection."""
    def to_java(self, value: Any, owner: Any, deep: bool = True) -> Any:
        """v2: a Python value made into a Java object in one frame."""
    def to_python(self, target_id: str, owner: Any) -> Any:
        """v2: a Java object's value, deeply, in one round trip."""
    def to_numpy(self, target_id: str, owner: Any) -> Any:
        """v2: a Java primitive array (or list of boxed numbers) as a numpy array."""
    def iterate(self, target_id: str, max: int, owner: Any) -> list[Any]:
        """v2: up to ``max`` next elements of a Java iterator (empty once exhausted)."""
    def request(
        self,
        command: str,
        owner: Any,
        target_id: Any = None,
        name: Any = None,
        raise_errors: bool = True,
    ) -> tuple[_Kind, Any]:
        """Sends an encoded command; returns the kind of answer and its value."""
    def send_raw(self, command: str, retry: bool = True, owner: Any = None) -> str:
        """Sends an encoded command; returns the answer line without its ``!``."""
    def stream(
        self, command: str, owner: Any = None
    ) -> tuple[str, StreamReader | None]:
        """Sends a stream command; returns the answer and a reader of the raw bytes."""
    def retain(self, id: str) -> Ref:
        """A handle on a Java id; the id is released when the last handle is collected."""
    def detach(self, id: str) -> None:
        """Queues the release of an id now."""
    def flush_releases(self, owner: Any = None) -> None:
        """Sends the queued releases and waits for their acknowledgements."""
    def ensure_connection(self, owner: Any = None) -> None:
        """Opens a connection if the pool has none."""
    def close(self) -> None:
        """Sends the queued releases and closes the idle connections."""
    def shutdown_gateway(self, owner: Any = None) -> None:
        """Sends Py4J's shutdown command and closes every connection."""
    @property
    def has_converters(self) -> bool:
        """Member calls go through the gateway client's input converters."""
    @has_converters.setter
    def has_converters(self, value: bool) -> None: ...
    @property
    def is_connected(self) -> bool: ...
    @is_connected.setter
    def is_connected(self, connected: bool) -> None: ...
    def after_fork(self) -> None:
        """Forgets the parent's connections and references (in a forked child)."""
    @property
    def forks_reported(self) -> bool:
        """``after_fork`` is called in every forked child: requests skip the pid check."""
    @forks_reported.setter
    def forks_reported(self, reported: bool) -> None: ...
    def stats(self) -> dict[str, int]:
        """commands, releases, round_trips, frames, connections_opened, idle_connections,
        held_references, pending_releases, refused_hellos, protocol (0 while unknown)."""
    def connection_stats(self) -> list[dict[str, int]]:
        """Per open connection: commands, releases, round_trips, frames, protocol."""
    @property
    def endpoint(self) -> str: ...

class JavaMember:
    """A method of a Java object, or a static method; calling it calls Java
    (``ferry.java_gateway.JavaMember``)."""

    def __new__(
        cls, name: str, container: Any, target_id: str, gateway_client: Any
    ) -> Self: ...
    def __call__(self, *args: Any) -> Any: ...
    def stream(self, *args: Any) -> Any:
        """Calls a method returning a ``ReadableByteChannel``; a guard that reads its bytes."""
    @property
    def name(self) -> str: ...
    @property
    def container(self) -> Any: ...
    @property
    def target_id(self) -> str: ...
    @property
    def gateway_client(self) -> Any: ...
    @property
    def command_header(self) -> str: ...
    @property
    def pool(self) -> Any: ...
    @property
    def converters(self) -> Any: ...

class JavaObject:
    """The native base of ``ferry.java_gateway.JavaObject``: the id, the gateway client, the
    handle that keeps the id bound, and the lookup of Java methods."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __init__(self, target_id: str, gateway_client: Any) -> None: ...
    @property
    def _target_id(self) -> str: ...
    @property
    def _gateway_client(self) -> Any: ...
    @property
    def _auto_field(self) -> bool: ...
    def _get_object_id(self) -> str: ...
    def __getattr__(self, name: str) -> Any: ...

class JavaClass:
    """The native base of ``ferry.java_gateway.JavaClass``: its call calls a constructor
    (``_fqn``, ``_gateway_client`` and ``_construct_converting`` are the subclass's)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __call__(self, *args: Any) -> Any: ...

@final
class Ref:
    """Keeps a Java id bound while it lives."""

    @property
    def id(self) -> str: ...

@final
class Bulk:
    """A value to send by value (protocol v2): a collection becomes a Java collection (or a
    Java array where the parameter is one) in the call's frame."""

    def __new__(cls, value: Any, deep: bool = True) -> Bulk: ...
    @property
    def value(self) -> Any: ...
    @property
    def deep(self) -> bool: ...

def install_bulk_hooks(element: Callable[[Any, Any], Any]) -> None:
    """Registers the converter of unknown elements of bulk values (once, at import)."""

@final
class StreamReader:
    """The raw bytes after a stream answer; owns its connection."""

    def read(self, n: int = -1) -> bytes: ...
    def close(self) -> None: ...

def install(
    converters: dict[str, Callable[[str, Any], Any]],
    error_handler: Callable[[str, Any, Any, Any], Any],
    network_error: Callable[[Any, str, str | None, str], BaseException],
    py4j_error: Callable[[str], BaseException],
    decimal: type,
    converting_call: Callable[[JavaMember, tuple[Any, ...]], Any],
) -> None:
    """Registers the package's hooks (once, at import)."""

def set_converter_override(tag: str, overridden: bool) -> None:
    """Marks a primitive tag whose output converter the package replaced."""

def install_proxy_hooks(
    auto_field: Callable[[JavaObject, str], tuple[bool, Any]],
    member_doc: Callable[[JavaMember], str | None],
    member_stream: Callable[[JavaMember, tuple[Any, ...]], Any],
) -> None:
    """Registers the proxies' hooks (once, at import of ferry._proxies)."""

def install_object_converter(converter: Callable[[str, Any], Any], cls: type) -> None:
    """Registers the output converter of plain references, ``converter(target_id, client)``
    being ``cls(target_id, client)``: while it is registered, the decoder makes those proxies
    natively (once, at import of ferry.java_gateway)."""

# Calls from Java to Python (crates/python/src/callback.rs).

@final
class CallbackDispatcher:
    """Runs Java's calls on the objects of a gateway's proxy pool."""

    def __new__(
        cls,
        client_ref: Callable[[], Any],
        pool_ref: Callable[[], Any] | None = None,
        propagate_java_exceptions: bool = False,
    ) -> CallbackDispatcher: ...
    @property
    def propagate_java_exceptions(self) -> bool: ...

@final
class CallbackListener:
    """The listening socket of a Python server."""

    def __new__(cls, address: str, port: int) -> CallbackListener: ...
    @property
    def address(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def accept(self, timeout: float | None = None) -> CallbackConnection | None:
        """A connection from Java, or None when none came in time or the listener closed."""
    def close(self) -> None:
        """Stops listening; a waiting ``accept`` returns None at once."""

@final
class CallbackConnection:
    """A connection Java opened to a Python server."""

    def serve(
        self,
        dispatcher: CallbackDispatcher,
        auth_token: str | None = None,
        read_timeout: float | None = None,
    ) -> tuple[str, str]:
        """Runs Java's commands until the connection ends; returns (kind, description)."""
    def serve_pinned(
        self,
        client: Client,
        auth_token: str | None = None,
        read_timeout: float | None = None,
    ) -> tuple[str, str]:
        """Serves the connection in the pinned-thread mode of ``client``."""
    def close(self, reset: bool = False) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def peer(self) -> tuple[str, int]: ...

def install_callbacks(
    proxy_part: Callable[[Any, Any], str],
    error_reply: Callable[[BaseException, bool, Any], str],
) -> None:
    """Registers the callback hooks (once, at import of ferry._callbacks)."""

def pinned_set_handler(client: Client, dispatcher: CallbackDispatcher) -> None:
    """Sets what runs Java's calls arriving on a pinned-mode client's connections."""

def pinned_stats(client: Client) -> dict[str, int | bool]:
    """opened, served, open, commands, callbacks, thread_connection."""

# Embedded mode ---------------------------------------------------------------------------

def embedded_start_jvm(classpath: list[str], options: list[str]) -> None:
    """Starts the process's JVM (with -Xrs); the same options again do nothing, others raise
    RuntimeError, as does a JVM that cannot be found (naming what was tried)."""

def embedded_jvm_config() -> tuple[list[str], list[str], str] | None:
    """The class path, options and Java home of the JVM in this process, or None."""

def embedded_watch_signals(read_fd: int, forward_fd: int) -> None:
    """Starts the Ctrl-C watcher on the read end of the signal wakeup pipe."""

def embedded_at_exit() -> None:
    """The interpreter is exiting: Java's calls to Python fail from now on."""

@final
class EmbeddedStream:
    """The bytes of a stream answer."""

    def read(self, n: int = -1) -> bytes: ...
    def close(self) -> None: ...

@final
class EmbeddedClient:
    """The engine of an embedded gateway, with the methods of ``Client``."""

    def __new__(
        cls, entry_point: str | None = None, memory_management: bool = True
    ) -> EmbeddedClient: ...
    def set_dispatcher(self, dispatcher: CallbackDispatcher, client: Any) -> None: ...
    def registry_size(self) -> int: ...
    def call(
        self, target: str, method: str, args: tuple[Any, ...], owner: Any
    ) -> Any: ...
    def call_checked(
        self, target: str, method: str, args: tuple[Any, ...], owner: Any
    ) -> tuple[bool, Any]: ...
    def call_batch(self, target: str, method: str, calls: Any, owner: Any) -> int: ...
    def call_many(
        self, target: str, method: str, calls: Any, owner: Any
    ) -> list[Any]: ...
    def call_mixed(self, calls: Any, owner: Any) -> list[tuple[bool, Any]]: ...
    def construct(self, fqn: str, args: tuple[Any, ...], owner: Any) -> Any: ...
    def protocol(self, owner: Any = None) -> int: ...
    @property
    def negotiated(self) -> int | None: ...
    def to_java(self, value: Any, owner: Any, deep: bool = True) -> Any: ...
    def to_python(self, target_id: str, owner: Any) -> Any: ...
    def to_numpy(self, target_id: str, owner: Any) -> Any: ...
    def iterate(self, target_id: str, max: int, owner: Any) -> Any: ...
    def request(
        self,
        command: str,
        owner: Any,
        target_id: Any = None,
        name: Any = None,
        raise_errors: bool = True,
    ) -> tuple[str, Any]: ...
    def send_raw(self, command: str, retry: bool = True, owner: Any = None) -> str: ...
    def stream(
        self, command: str, owner: Any = None
    ) -> tuple[str, EmbeddedStream | None]: ...
    def detach(self, id: str) -> None: ...
    def flush_releases(self, owner: Any = None) -> None: ...
    def ensure_connection(self, owner: Any = None) -> None: ...
    def close(self) -> None: ...
    def shutdown_gateway(self, owner: Any = None) -> None: ...
    @property
    def has_converters(self) -> bool: ...
    @has_converters.setter
    def has_converters(self, value: bool) -> None: ...
    @property
    def is_connected(self) -> bool: ...
    @is_connected.setter
    def is_connected(self, connected: bool) -> None: ...
    @property
    def forks_reported(self) -> bool: ...
    @forks_reported.setter
    def forks_reported(self, reported: bool) -> None: ...
    def after_fork(self) -> None: ...
    def stats(self) -> dict[str, int]: ...
    def connection_stats(self) -> list[dict[str, int]]: ...
    @property
    def endpoint(self) -> str: ...
