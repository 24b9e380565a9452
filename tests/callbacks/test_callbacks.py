"""Java calling Python objects: comparators, listeners, ping-pong, values, exceptions.

Each test runs in both modes, with both clients, against both servers (see conftest.py).
"""

from __future__ import annotations

import threading
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

DEPTH = 100


class Descending:
    def compare(self, a: int, b: int) -> int:
        return b - a

    class Java:
        implements = ("java.util.Comparator",)


class Recorder:
    """A listener that records what it is told and in which thread."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.threads: set[int] = set()

    def notify(self, event: str, n: int) -> None:
        self.events.append((event, n))
        self.threads.add(threading.get_ident())

    class Java:
        implements = ("callbacks.Listener",)


class Pong:
    """Python's half of the ping-pong: calls Java back until the depth runs out."""

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.calls = 0

    def pong(self, app: Any, depth: int) -> str:
        self.threads.add(threading.get_ident())
        self.calls += 1
        if depth <= 0:
            return "python@" + threading.current_thread().name
        return str(app.ping(self, depth - 1))

    class Java:
        implements = ("callbacks.Pong",)


def test_a_python_comparator_sorts_a_java_list(gateway: Any) -> None:
    values = gateway.jvm.java.util.ArrayList()
    for v in (3, 1, 4, 1, 5, 9, 2, 6):
        values.add(v)
    gateway.jvm.java.util.Collections.sort(values, Descending())
    assert list(values) == [9, 6, 5, 4, 3, 2, 1, 1]


def test_a_listener_is_notified_from_a_java_thread(mode: str, app: Any) -> None:
    listener = Recorder()
    app.addListener(listener)
    try:
        name = app.fireFromNewThread("tick", 3)
    finally:
        app.removeListeners()
    assert name == "notifier-tick"
    assert listener.events == [("tick", 0), ("tick", 1), ("tick", 2)]
    assert threading.get_ident() not in listener.threads
    if mode == "pinned":
        # The Java thread has its own connection, served by one Python thread.
        assert len(listener.threads) == 1


def test_ping_pong_from_python(mode: str, app: Any) -> None:
    app.resetThreads()
    pong = Pong()
    result = app.ping(pong, DEPTH)
    assert result.startswith("java@")
    assert pong.calls == DEPTH // 2
    java_threads = list(app.pingThreads())
    if mode == "pinned":
        # Python -> Java -> Python ...: one Java thread and one Python thread, this one.
        assert pong.threads == {threading.get_ident()}
        assert len(java_threads) == 1
        assert result == "java@" + java_threads[0]
    else:
        # A thread per level on each side: every level needs a free connection.
        assert threading.get_ident() not in pong.threads
        assert len(pong.threads) > 1
        assert len(java_threads) > 1


def test_ping_pong_from_a_java_thread(mode: str, app: Any) -> None:
    app.resetThreads()
    pong = Pong()
    result = app.pingFromNewThread(pong, DEPTH)
    assert result.startswith("java@")
    assert pong.calls == DEPTH // 2
    java_threads = list(app.pingThreads())
    assert threading.get_ident() not in pong.threads
    if mode == "pinned":
        # The Java thread that started keeps the conversation: one Java thread, one Python
        # thread (the one serving that Java thread's connection).
        assert java_threads == ["java-pinger"]
        assert result == "java@java-pinger"
        assert len(pong.threads) == 1
    else:
        assert len(pong.threads) > 1


def test_a_python_exception_reaches_java_with_its_traceback(
    client_kind: str, server_kind: str, app: Any, cb_api: SimpleNamespace
) -> None:
    class Boom:
        def run(self) -> None:
            raise ValueError("boom from python")

        class Java:
            implements = ("java.lang.Runnable",)

    caught = app.runAndCatch(Boom())
    py4j_exception = (
        "ferry.Py4JException" if server_kind == "ferry" else "py4j.Py4JException"
    )
    assert caught.startswith(
        f"{py4j_exception}: An exception was raised by the Python Proxy. Return Message: "
        "Traceback (most recent call last):"
    )
    assert "ValueError: boom from python" in caught
    assert "raise ValueError" in caught
    # Uncaught in Java, it comes back to Python as the Java exception.
    with pytest.raises(cb_api.Py4JJavaError) as info:
        app.run(Boom())
    assert "ValueError: boom from python" in str(info.value)


def test_a_java_exception_inside_a_callback(app: Any, cb_api: SimpleNamespace) -> None:
    seen: list[str] = []

    class CallsJava:
        def run(self) -> None:
            try:
                app.fail("inner failure")
            except cb_api.Py4JJavaError as e:
                seen.append(str(e.java_exception.getMessage()))
                raise

        class Java:
            implements = ("java.lang.Runnable",)

    caught = app.runAndCatch(CallsJava())
    assert seen == ["inner failure"]
    # Without propagate_java_exceptions, Java gets Py4J's exception with the Python traceback,
    # which names the Java exception.
    assert "An exception was raised by the Python Proxy" in caught
    assert "java.lang.IllegalStateException: inner failure" in caught


def test_propagate_java_exceptions_rethrows_the_java_exception(
    connect: Any, cb_api: SimpleNamespace
) -> None:
    gateway = connect(propagate_java_exceptions=True)
    app = gateway.entry_point

    class CallsJava:
        def run(self) -> None:
            app.fail("inner failure")

        class Java:
            implements = ("java.lang.Runnable",)

    class Plain:
        def run(self) -> None:
            raise KeyError("plain")

        class Java:
            implements = ("java.lang.Runnable",)

    assert (
        app.runAndCatch(CallsJava()) == "java.lang.IllegalStateException: inner failure"
    )
    # Other Python exceptions still arrive as tracebacks.
    assert "KeyError: 'plain'" in app.runAndCatch(Plain())


def test_return_values_are_encoded_as_py4j_encodes_them(gateway: Any, app: Any) -> None:
    java_list = gateway.jvm.java.util.ArrayList()
    java_list.add(1)
    ran: list[str] = []

    class Task:
        def run(self) -> None:
            ran.append("task")

        class Java:
            implements = ("java.lang.Runnable",)

    values: dict[str, Any] = {
        "int": 7,
        "long": 2**40,
        "float": 1.5,
        "bool": True,
        "str": "two\nlines \\ and a backslash",
        "none": None,
        "bytes": b"hi",
        "decimal": Decimal("1.25"),
        "java": java_list,
        "proxy": Task(),
    }

    class Source:
        def get(self, kind: str) -> Any:
            return values[kind]

        class Java:
            implements = ("callbacks.ValueSource",)

    source = Source()
    got = {kind: app.describeReturn(source, kind) for kind in values}
    assert got == {
        "int": "java.lang.Integer:7",
        "long": "java.lang.Long:1099511627776",
        "float": "java.lang.Double:1.5",
        "bool": "java.lang.Boolean:true",
        "str": "java.lang.String:two\nlines \\ and a backslash",
        "none": "null",
        "bytes": "[B:hi",
        "decimal": "java.math.BigDecimal:1.25",
        "java": "java.util.ArrayList:[1]",
        "proxy": "proxy:Runnable",
    }
    assert ran == ["task"]


def test_arguments_from_java_arrive_as_python_values(
    app: Any, cb_api: SimpleNamespace
) -> None:
    received: list[Any] = []

    class Echo:
        def echo(self, *args: Any) -> str:
            received.extend(args)
            return "echoed"

        class Java:
            implements = ("callbacks.Echo",)

    assert app.echoArgs(Echo()) == "echoed"
    i, long_value, d, b, s, n, java_list, data = received
    assert (i, long_value, d, b, s, n, data) == (
        7,
        5000000000,
        1.5,
        True,
        "line\nbreak",
        None,
        b"hi",
    )
    assert list(java_list) == [1, 2]


def test_object_methods_called_by_java_reach_python(app: Any) -> None:
    class Item:
        def toString(self) -> str:
            return "py-item"

        def hashCode(self) -> int:
            return 42

        def equals(self, other: Any) -> bool:
            # Java passes the proxy itself back as a Java object; anything else is not equal.
            return not isinstance(other, str)

        class Java:
            implements = ("java.lang.Runnable",)

        def run(self) -> None:
            pass

    assert app.describe(Item()) == "py-item|42|true|false|true"


def test_the_python_server_entry_point(connect: Any, cb_api: SimpleNamespace) -> None:
    class Greeter:
        def greet(self, name: str) -> str:
            return "hello " + name

        class Java:
            implements = ("callbacks.Greeter",)

    gateway = connect(python_server_entry_point=Greeter())
    jvm = gateway.jvm
    interfaces = gateway.new_array(jvm.java.lang.Class, 1)
    interfaces[0] = cb_api.java_gateway.get_java_class(jvm.callbacks.Greeter)
    entry = gateway.java_gateway_server.getPythonServerEntryPoint(interfaces)
    assert gateway.entry_point.greetVia(entry, "world") == "hello world"


def test_many_python_threads_call_java_while_java_calls_back(
    mode: str, app: Any
) -> None:
    threads_count, calls = 8, 200
    results: dict[int, int] = {}
    callback_threads: dict[int, set[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    class Scaled:
        def __init__(self, k: int) -> None:
            self.k = k
            self.threads: set[int] = set()

        def applyAsInt(self, i: int) -> int:
            self.threads.add(threading.get_ident())
            return i * self.k

        class Java:
            implements = ("java.util.function.IntUnaryOperator",)

    def work(k: int) -> None:
        try:
            op = Scaled(k)
            start.wait(timeout=30)
            total = 0
            for _ in range(3):
                total += int(app.applyMany(op, calls))
            results[k] = total
            callback_threads[threading.get_ident()] = op.threads
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    workers = [
        threading.Thread(target=work, args=(k,)) for k in range(1, threads_count + 1)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors, [str(e)[:1500] for e in errors[:1]]
    expected = 3 * sum(range(calls))
    assert results == {k: k * expected for k in range(1, threads_count + 1)}
    if mode == "pinned":
        # Each thread's callbacks ran in that very thread.
        for ident, seen in callback_threads.items():
            assert seen == {ident}
