"""Proxy lifetime, authentication, the Python server's life cycle and signals, and the
differences between the two Java sides (both modes, both clients, both servers)."""

from __future__ import annotations

import contextlib
import gc
import socket
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest


class Task:
    def __init__(self) -> None:
        self.runs = 0

    def run(self) -> None:
        self.runs += 1

    class Java:
        implements = ("java.lang.Runnable",)


class Descending:
    def compare(self, a: int, b: int) -> int:
        return b - a

    class Java:
        implements = ("java.util.Comparator",)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def notify(self, event: str, n: int) -> None:
        self.events.append((event, n))

    class Java:
        implements = ("callbacks.Listener",)


def connect_to(port: int) -> socket.socket:
    """A raw connection to a Python server (py4j's starts listening from its thread, a moment
    after start() returned)."""
    for _ in range(100):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except ConnectionRefusedError:
            time.sleep(0.05)
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def sort_descending(gateway: Any, values: tuple[int, ...]) -> list[int]:
    java_list = gateway.jvm.java.util.ArrayList()
    for v in values:
        java_list.add(v)
    gateway.jvm.java.util.Collections.sort(java_list, Descending())
    return list(java_list)


# --------------------------------------------------------------------------- lifetime


# The lifetime tests run on a JVM of their own: a JVM shared with earlier gateways may keep, in
# the thread that releases proxies, a connection to a Python server that is gone (Py4J's
# ClientServer then drops the release instead of reconnecting).


def test_proxies_are_released_after_java_drops_them(
    connect: Any, own_java_side: Any, cb: Any
) -> None:
    gateway = connect(own_java_side())
    app = gateway.entry_point
    pool = gateway.gateway_property.pool
    tasks = [Task() for _ in range(3)]
    for task in tasks:
        app.hold(task)
    assert app.heldCount() == 3
    held_ids = [k for k, v in list(pool.dict.items()) if any(v is t for t in tasks)]
    assert len(held_ids) == 3
    app.dropAll()

    def released() -> bool:
        app.gc()
        return not any(k in pool for k in held_ids)

    assert cb.poll_until(released, deadline_s=30.0, interval_s=0.2)
    # The objects themselves are Python's again: nothing else holds them.
    assert all(t.runs == 0 for t in tasks)


def test_the_python_entry_point_is_never_released(
    connect: Any, own_java_side: Any, cb: Any
) -> None:
    class Greeter:
        def greet(self, name: str) -> str:
            return "hi " + name

        class Java:
            implements = ("callbacks.Greeter",)

    gateway = connect(own_java_side(), python_server_entry_point=Greeter())
    pool = gateway.gateway_property.pool
    assert "t" in pool
    app = gateway.entry_point
    app.hold(Task())
    app.dropAll()
    assert cb.poll_until(
        lambda: (app.gc(), len(pool) == 1)[1], deadline_s=30.0, interval_s=0.2
    )
    assert "t" in pool


# --------------------------------------------------------------------------- authentication


def test_callbacks_with_authentication(
    mode: str, connect: Any, own_java_side: Any
) -> None:
    side = own_java_side(auth_token="s3cret token")
    gateway = connect(side)
    assert sort_descending(gateway, (1, 3, 2)) == [3, 2, 1]
    # A Java thread opens its own (authenticated) connection to Python.
    listener = Recorder()
    app = gateway.entry_point
    app.addListener(listener)
    assert app.fireFromNewThread("auth", 2) == "notifier-auth"
    assert listener.events == [("auth", 0), ("auth", 1)]


def test_a_wrong_or_missing_token_is_refused(mode: str, connect: Any, cb: Any) -> None:
    gateway = connect(callback_token="right token")
    port = gateway.get_callback_server().get_listening_port()

    def exchange(payload: bytes) -> bytes:
        with connect_to(port) as s:
            s.sendall(payload)
            with contextlib.suppress(OSError):
                # The server may have reset the connection already.
                s.shutdown(socket.SHUT_WR)
            chunks = []
            try:
                while True:
                    data = s.recv(4096)
                    if not data:
                        break
                    chunks.append(data)
            except ConnectionResetError:
                pass
            return b"".join(chunks)

    # The refusal is followed by a reset, which may overtake it.
    assert exchange(b"A\nwrong token\ne\n") in (b"!xn\n", b"")
    # Any other first command: no answer, the connection is closed.
    assert exchange(b"c\np0\nrun\ne\n") == b""
    assert exchange(b"A\nright token\ne\ng\np999\ne\n") == b"!yv\n!y\n"


@pytest.mark.clients("ferry")
@pytest.mark.modes("default")
def test_launch_gateway_with_enable_auth_gets_callbacks(
    server_kind: str, callback_classes: Any, cb: Any
) -> None:
    # Py4J's `GatewayServer --enable-auth` makes a token for Python's connections and none for
    # its own connections to Python, while the Python callback server copies the gateway's
    # token: ferry's launch_gateway gives the JVM's callback client the token.
    from ferry.java_gateway import JavaGateway

    if server_kind == "py4j":
        gateway = JavaGateway.launch_gateway(
            jarpath=str(cb.py4j_jar()),
            classpath=str(callback_classes),
            enable_auth=True,
            die_on_exit=True,
        )
    else:
        gateway = JavaGateway.launch_gateway(
            classpath=str(callback_classes),
            entry_point="callbacks.CallbackApp",
            enable_auth=True,
            die_on_exit=True,
        )
    try:
        assert gateway.gateway_parameters.auth_token
        assert (
            gateway.callback_server_parameters.auth_token
            == gateway.gateway_parameters.auth_token
        )
        gateway.callback_server_parameters.port = 0
        gateway.callback_server_parameters.daemonize = True
        gateway.callback_server_parameters.daemonize_connections = True
        assert gateway.start_callback_server()
        if server_kind == "ferry":
            # ferry's server sends its own token to Python already; only the port is news.
            cb.tell_jvm_the_python_port(gateway)
        assert sort_descending(gateway, (2, 9, 4)) == [9, 4, 2]
    finally:
        process = gateway.java_process
        try:
            gateway.shutdown()
            # die_on_exit: the JVM ends when its stdin closes (Py4J's GatewayServer.main waits
            # for that even after a shutdown).
            process.stdin.close()
            process.wait(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


# --------------------------------------------------------------------------- the Python server


def test_restart_and_close_the_python_server(
    mode: str, gateway: Any, java_side: Any, cb: Any
) -> None:
    first = gateway.get_callback_server()
    assert sort_descending(gateway, (1, 2)) == [2, 1]
    cb.unblock_py4j_shutdown(gateway)
    gateway.restart_callback_server()
    second = gateway.get_callback_server()
    assert second is not first and first.is_shutdown
    if java_side.python_port is None:
        cb.tell_jvm_the_python_port(gateway)
    assert sort_descending(gateway, (1, 3, 2)) == [3, 2, 1]
    gateway.close_callback_server()
    assert not second.is_shutdown
    cb.unblock_py4j_shutdown(gateway)
    gateway.shutdown_callback_server()
    assert second.is_shutdown
    assert gateway.get_callback_server() is second


def test_signals_of_the_python_server(
    mode: str, connect: Any, cb_api: SimpleNamespace, cb: Any
) -> None:
    jg = cb_api.java_gateway
    seen: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def receiver(name: str) -> Any:
        def receive(signal: Any, sender: Any, **params: Any) -> None:
            with lock:
                seen.append((name, sender))

        return receive

    names = (
        "server_started",
        "server_stopped",
        "server_connection_started",
        "server_connection_stopped",
        "pre_server_shutdown",
        "post_server_shutdown",
    )
    receivers = {name: receiver(name) for name in names}
    for name in names:
        getattr(jg, name).connect(receivers[name])
    try:
        gateway = connect()
        server = gateway.get_callback_server()
        app = gateway.entry_point
        app.addListener(Recorder())
        try:
            app.fireFromNewThread("signal", 1)
        finally:
            app.removeListeners()
        assert cb.poll_until(lambda: ("server_started", server) in seen, 10.0)
        # The accepting thread signals after it starts the connection's thread, which may
        # have served the call already.
        assert cb.poll_until(
            lambda: ("server_connection_started", server) in seen, 10.0
        )
        cb.unblock_py4j_shutdown(gateway)
        gateway.shutdown_callback_server()
        assert cb.poll_until(lambda: ("server_stopped", server) in seen, 10.0)
        assert cb.poll_until(
            lambda: ("server_connection_stopped", server) in seen, 10.0
        )
        order = [name for name, sender in seen if sender is server]
        assert order.index("pre_server_shutdown") < order.index("post_server_shutdown")
        assert order[0] == "server_started"
    finally:
        for name in names:
            getattr(jg, name).disconnect(receivers[name])


@pytest.mark.modes("default")
def test_read_timeout_resets_silent_connections(connect: Any, cb: Any) -> None:
    gateway = connect(read_timeout=0.3)
    port = gateway.get_callback_server().get_listening_port()
    with connect_to(port) as s:
        s.sendall(b"g\np999999\ne\n")
        assert s.recv(16) == b"!y\n"
        try:
            assert s.recv(16) == b""
        except ConnectionResetError:
            pass
    # Java's connections time out the same way; a new call opens a new one.
    assert sort_descending(gateway, (5, 7)) == [7, 5]


def test_shutdown_does_not_wait_for_the_accept_timeout(
    mode: str, cb_api: SimpleNamespace, java_side: Any
) -> None:
    if mode == "default":
        gateway = cb_api.JavaGateway(
            gateway_parameters=cb_api.GatewayParameters(port=java_side.port),
            callback_server_parameters=cb_api.CallbackServerParameters(
                port=0, daemonize=True, daemonize_connections=True, accept_timeout=60
            ),
        )
    else:
        gateway = cb_api.ClientServer(
            java_parameters=cb_api.JavaParameters(port=java_side.port),
            python_parameters=cb_api.PythonParameters(
                port=0, daemonize=True, daemonize_connections=True, accept_timeout=60
            ),
        )
    server = gateway.get_callback_server()
    assert server.get_listening_port()
    done = threading.Event()
    stopper = threading.Thread(
        target=lambda: (gateway.shutdown_callback_server(), done.set())
    )
    stopper.start()
    assert done.wait(20.0)
    stopper.join()
    gateway.close()
    gc.collect()


# --------------------------------------------------------------------------- differences


class IntForDouble:
    def get(self) -> int:
        return 3

    class Java:
        implements = ("callbacks.DoubleSource",)


@pytest.mark.servers("ferry")
def test_ferry_accepts_a_python_int_for_a_double_method(app: Any) -> None:
    assert app.readDouble(IntForDouble()) == 3.0


@pytest.mark.servers("py4j")
def test_py4j_rejects_a_python_int_for_a_double_method(
    app: Any, cb_api: SimpleNamespace
) -> None:
    with pytest.raises(cb_api.Py4JJavaError) as info:
        app.readDouble(IntForDouble())
    assert "Incompatible output type" in str(info.value)
