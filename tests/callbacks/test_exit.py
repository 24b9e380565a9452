"""Closing and shutting down leave nothing behind: a child interpreter uses callbacks in the
default configuration (threads that are not daemons), closes or shuts the gateway down, and
must then exit by itself. With ferry's client it also checks that no thread (Python's or
native) and no socket is left.
"""

from __future__ import annotations

from typing import Any

import pytest

CHILD = r"""
import gc, os, sys, threading, time

client, mode, port, python_port, how = sys.argv[1:6]
port, python_port = int(port), int(python_port)
if client == "ferry":
    import ferry.clientserver as cs
    import ferry.java_gateway as jg
else:
    import py4j.clientserver as cs
    import py4j.java_gateway as jg

if mode == "default":
    gateway = jg.JavaGateway(
        gateway_parameters=jg.GatewayParameters(port=port),
        callback_server_parameters=jg.CallbackServerParameters(port=python_port),
    )
else:
    gateway = cs.ClientServer(
        java_parameters=cs.JavaParameters(port=port),
        python_parameters=cs.PythonParameters(port=python_port),
    )
if python_port == 0:
    java_server = gateway.java_gateway_server
    java_server.resetCallbackClient(
        java_server.getCallbackClient().getAddress(),
        gateway.get_callback_server().get_listening_port(),
    )
    del java_server


class Descending:
    def compare(self, a, b):
        return b - a

    class Java:
        implements = ("java.util.Comparator",)


class Recorder:
    def __init__(self):
        self.events = []

    def notify(self, event, n):
        self.events.append(n)

    class Java:
        implements = ("callbacks.Listener",)


values = gateway.jvm.java.util.ArrayList()
for v in (1, 3, 2):
    values.add(v)
gateway.jvm.java.util.Collections.sort(values, Descending())
assert list(values) == [3, 2, 1]
app = gateway.entry_point
recorder = Recorder()
app.addListener(recorder)
app.fireFromNewThread("exit", 2)
app.removeListeners()
assert recorder.events == [0, 1]


def other_thread():
    assert app.currentThreadName()


t = threading.Thread(target=other_thread)
t.start()
t.join()
del values, app, t

if how == "shutdown":
    gateway.shutdown()
else:
    if client == "py4j" and mode == "pinned":
        # py4j's ClientServerConnection.close waits forever for a thread reading its socket
        # (it closes the reader before shutting the socket down): shut the sockets first.
        for c in list(gateway.get_callback_server().connections):
            if c.socket is not None:
                c.socket.shutdown(2)
    gateway.close()
del gateway
gc.collect()

deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    alive = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if not any(not t.daemon for t in alive) and (client == "py4j" or not alive):
        break
    time.sleep(0.05)
print("threads", sorted(t.name for t in threading.enumerate() if t is not threading.main_thread()))
print("non-daemon", sorted(t.name for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()))
if client == "ferry":
    while time.monotonic() < deadline and len(os.listdir("/proc/self/task")) > 1:
        time.sleep(0.05)
    tasks = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/comm") as f:
            tasks.append(f.read().strip())
    print("tasks", len(tasks))
    print("task-names", sorted(tasks))
    sockets = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                sockets += 1
        except OSError:
            pass
    print("sockets", sockets)
print("done")
"""


def run_child(
    cb: Any, client_kind: str, mode: str, side: Any, how: str
) -> dict[str, str]:
    python_port = side.python_port if side.python_port is not None else 0
    done = cb.run_python(
        CHILD,
        timeout=90,
        args=[client_kind, mode, str(side.port), str(python_port), how],
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert "done" in done.stdout
    return lines


def check_nothing_left(client_kind: str, lines: dict[str, str]) -> None:
    assert lines["non-daemon"] == "[]"
    if client_kind == "ferry":
        assert lines["threads"] == "[]"
        assert lines["tasks"] == "1"
        assert lines["sockets"] == "0"


def test_close_leaves_nothing_behind_and_the_process_exits(
    client_kind: str, mode: str, own_java_side: Any, cb: Any
) -> None:
    side = own_java_side()
    lines = run_child(cb, client_kind, mode, side, "close")
    check_nothing_left(client_kind, lines)
    assert side.is_running()


def test_shutdown_leaves_nothing_behind_and_the_process_exits(
    client_kind: str, mode: str, own_java_side: Any, cb: Any
) -> None:
    side = own_java_side()
    lines = run_child(cb, client_kind, mode, side, "shutdown")
    check_nothing_left(client_kind, lines)
    # The gateway's shutdown stops the Java server too.
    assert side.wait_exit(20.0) is not None


@pytest.mark.clients("ferry")
@pytest.mark.modes("pinned")
def test_a_thread_connection_closes_when_its_thread_ends(gateway: Any, cb: Any) -> None:
    import threading

    client = gateway._gateway_client
    app = gateway.entry_point
    app.currentThreadName()
    before = client.pinned_stats()
    names: list[str] = []

    def call() -> None:
        names.append(str(app.currentThreadName()))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
        t.join()
    # Each thread had its own connection, served by its own Java thread.
    assert len(set(names)) == 4
    after = client.pinned_stats()
    assert after["opened"] == before["opened"] + 4
    # Ended threads closed theirs.
    assert cb.poll_until(lambda: client.pinned_stats()["open"] == before["open"], 10.0)
    assert client.pinned_stats()["thread_connection"]


@pytest.mark.clients("ferry")
@pytest.mark.modes("pinned")
def test_releases_never_travel_on_a_thread_connection(gateway: Any) -> None:
    # Py4J once wrote a release into a connection that waited for a reply (issue #275). ferry
    # sends releases on pooled connections of their own, even when Java objects die inside a
    # callback, in the middle of the thread's conversation.
    client = gateway._gateway_client
    app = gateway.entry_point
    jvm = gateway.jvm
    releases_before = client.stats()["releases"]

    class MakesGarbage:
        def run(self) -> None:
            for i in range(50):
                builder = jvm.java.lang.StringBuilder(str(i))
                assert builder.length() == len(str(i))
                del builder

        class Java:
            implements = ("java.lang.Runnable",)

    app.run(MakesGarbage())
    assert app.currentThreadName()
    client.flush_releases()
    assert client.stats()["releases"] >= releases_before + 50
    stats = client.pinned_stats()
    assert stats["releases"] == 0
    assert stats["callbacks"] >= 1
