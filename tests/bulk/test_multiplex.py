"""The multiplexed mode (``GatewayParameters(multiplex=True)``): concurrent threads' calls
combined on one v2 connection. Every reply reaches its call; a blocked write holds the calls
queued behind it, which then go in one write; interrupts take a queued call back or abandon a
written one; a thread serving a callback does not combine; a forked child starts afresh; v1
never combines.

The tests order the threads with Java semaphores (a call blocks in Java until another
connection releases it) and with the client's gauges (``multiplex_waiting``,
``multiplex_in_flight``), never with timings.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from ferry.java_gateway import CallbackServerParameters, GatewayParameters, JavaGateway

DEADLINE_S = 20.0


def stats(gw: Any) -> dict[str, int]:
    return gw._gateway_client.stats()


def wait_for(gw: Any, what: Callable[[dict[str, int]], bool]) -> None:
    """Waits until the client's stats satisfy ``what`` (fails after a generous deadline)."""
    deadline = time.monotonic() + DEADLINE_S
    while not what(stats(gw)):
        assert time.monotonic() < deadline, stats(gw)
        time.sleep(0.005)


def leased(gw: Any, target: Any, method: str, *args: Any) -> Any:
    """Calls ``method`` on a pooled connection of its own (call_many never combines): how a
    test releases a semaphore that a combined call blocks on."""
    client = gw._gateway_client
    return client._native.call_many(target._target_id, method, [args], client)[0]


class Blocked:
    """A thread whose combined call blocks in Java until ``release()``."""

    def __init__(self, gw: Any) -> None:
        self.gw = gw
        self.sem = gw.jvm.java.util.concurrent.Semaphore(0)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            self.sem.acquire()
        except BaseException as e:  # noqa: BLE001 - checked by the test
            self.error = e

    def start(self) -> Blocked:
        before = stats(self.gw)["multiplexed_requests"]
        self.thread.start()
        # Written, and Java blocked in it (the counters move when the replies are read).
        wait_for(self.gw, lambda s: s["multiplex_in_flight"] >= 1)
        assert stats(self.gw)["multiplexed_requests"] == before
        return self

    def release(self) -> None:
        leased(self.gw, self.sem, "release")
        self.thread.join(DEADLINE_S)
        assert not self.thread.is_alive()
        assert self.error is None, self.error


@pytest.fixture
def mux(make_gateway: Callable[..., JavaGateway], server: Any) -> JavaGateway:
    gw = make_gateway(server, multiplex=True)
    assert gw.jvm.java.lang.Math.abs(-1) == 1  # negotiated
    return gw


@pytest.mark.servers("ferry")
def test_replies_reach_their_calls_from_many_threads(mux: Any) -> None:
    ep = mux.entry_point
    before = stats(mux)
    failures: list[str] = []
    barrier = threading.Barrier(8)

    def work(t: int) -> None:
        barrier.wait(DEADLINE_S)
        for i in range(300):
            value = f"t{t}-{i}"
            got = ep.echoString(value)
            if got != value:
                failures.append(f"{got!r} != {value!r}")
                return

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    after = stats(mux)
    requests = after["multiplexed_requests"] - before["multiplexed_requests"]
    writes = after["multiplexed_writes"] - before["multiplexed_writes"]
    assert requests == 8 * 300
    assert 1 <= writes <= requests
    assert after["multiplex_waiting"] == after["multiplex_in_flight"] == 0


@pytest.mark.servers("ferry")
def test_calls_queued_behind_a_blocked_write_go_in_one_write(mux: Any) -> None:
    math = mux.jvm.java.lang.Math
    blocked = Blocked(mux).start()
    # The blocked call's write is counted when its reply is read.
    before = stats(mux)
    results: dict[int, Any] = {}

    def call(k: int) -> None:
        results[k] = math.abs(-k)

    threads = [threading.Thread(target=call, args=(k,)) for k in range(1, 7)]
    for t in threads:
        t.start()
    wait_for(mux, lambda s: s["multiplex_waiting"] == 6)
    assert results == {}
    blocked.release()
    for t in threads:
        t.join(DEADLINE_S)
    assert results == {k: k for k in range(1, 7)}
    after = stats(mux)
    # The blocked call's write, then one write for the six calls queued behind it.
    assert after["multiplexed_writes"] - before["multiplexed_writes"] == 2
    assert after["multiplexed_requests"] - before["multiplexed_requests"] == 7


@pytest.mark.servers("ferry")
def test_stats_read_while_calls_wait_do_not_deadlock(mux: Any) -> None:
    """A waiting thread asks its interrupt check, which takes the GIL, each time it wakes
    without its reply (every wait slice); a thread that holds the GIL meanwhile reads the
    stats, which lock the combining state. Neither may wait for the other: the check is asked
    with the state unlocked."""
    math = mux.jvm.java.lang.Math
    blocked = Blocked(mux).start()
    results: dict[int, Any] = {}

    def call(k: int) -> None:
        results[k] = math.abs(-k)

    threads = [threading.Thread(target=call, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    wait_for(mux, lambda s: s["multiplex_waiting"] == 4)
    # Stats read back to back (the GIL held in each) over several wait slices of 50 ms.
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        assert stats(mux)["multiplex_waiting"] == 4
    blocked.release()
    for t in threads:
        t.join(DEADLINE_S)
    assert results == {k: k for k in range(1, 5)}


@pytest.mark.servers("ferry")
def test_java_exceptions_reach_their_own_threads(mux: Any) -> None:
    from ferry.protocol import Py4JJavaError

    integer = mux.jvm.java.lang.Integer
    blocked = Blocked(mux).start()
    results: dict[int, Any] = {}

    def call(k: int) -> None:
        try:
            results[k] = integer.parseInt("x" if k % 2 else str(k))
        except Py4JJavaError as e:
            results[k] = type(e)

    threads = [threading.Thread(target=call, args=(k,)) for k in range(1, 7)]
    for t in threads:
        t.start()
    wait_for(mux, lambda s: s["multiplex_waiting"] == 6)
    blocked.release()
    for t in threads:
        t.join(DEADLINE_S)
    assert results == {k: Py4JJavaError if k % 2 else k for k in range(1, 7)}
    assert integer.parseInt("12") == 12


def _interrupt_when(
    gw: Any, what: Callable[[dict[str, int]], bool]
) -> threading.Thread:
    """Sends SIGINT to this process (the main thread) once the stats satisfy ``what``."""

    def go() -> None:
        wait_for(gw, what)
        os.kill(os.getpid(), signal.SIGINT)

    t = threading.Thread(target=go)
    t.start()
    return t


@pytest.mark.servers("ferry")
def test_ctrl_c_takes_back_a_call_not_written_yet(mux: Any) -> None:
    sb = mux.jvm.java.lang.StringBuilder()
    blocked = Blocked(mux).start()
    before = stats(mux)
    sender = _interrupt_when(mux, lambda s: s["multiplex_waiting"] == 1)
    with pytest.raises(KeyboardInterrupt):
        sb.append("x")
    sender.join()
    assert stats(mux)["multiplex_waiting"] == 0
    blocked.release()
    # The call never reached Java; the next calls get their own replies.
    assert sb.length() == 0
    assert sb.append("yz").length() == 2
    after = stats(mux)
    # acquire, length, append, length
    assert after["multiplexed_requests"] - before["multiplexed_requests"] == 4


@pytest.mark.servers("ferry")
def test_ctrl_c_abandons_a_written_call_and_its_reply_is_dropped(mux: Any) -> None:
    sb = mux.jvm.java.lang.StringBuilder()
    # Made first: while a combined call blocks, this thread's calls would wait behind it.
    second = Blocked(mux)
    first = Blocked(mux).start()
    # A second blocking call and this thread's call queue behind the first; the first's
    # release hands the lead to the second, which writes both: Java blocks in the second.
    second.thread.start()
    wait_for(mux, lambda s: s["multiplex_waiting"] == 1)
    sender = _interrupt_when(mux, lambda s: s["multiplex_in_flight"] == 2)

    def release_first() -> None:
        wait_for(mux, lambda s: s["multiplex_waiting"] == 2)
        first.release()

    releaser = threading.Thread(target=release_first)
    releaser.start()
    with pytest.raises(KeyboardInterrupt):
        sb.append("x")
    sender.join()
    releaser.join()
    second.release()
    # The abandoned call ran in Java after the second; its reply went nowhere, and the
    # connection's next replies are matched to the next calls.
    assert [sb.append("y").length() for _ in range(3)] == [2, 3, 4]
    assert mux.entry_point.echoString("after") == "after"


@pytest.mark.servers("ferry")
def test_ctrl_c_of_the_writing_thread_cancels_the_java_call(mux: Any) -> None:
    bulk = mux.jvm.fixtures.BulkData
    bulk.wasInterrupted()
    sender = _interrupt_when(mux, lambda s: s["multiplex_in_flight"] == 1)
    with pytest.raises(KeyboardInterrupt):
        bulk.sleepRecording(20_000)
    sender.join()
    deadline = time.monotonic() + DEADLINE_S
    while not bulk.wasInterrupted():
        assert time.monotonic() < deadline, "the Java call was not interrupted"
        time.sleep(0.05)
    assert mux.jvm.java.lang.Math.abs(-2) == 2


@pytest.mark.servers("ferry")
def test_a_python_callback_calling_java_during_a_combined_call(
    server: Any,
) -> None:
    gw = JavaGateway(
        gateway_parameters=GatewayParameters(
            port=server.port, auth_token=server.auth_token, multiplex=True
        ),
        callback_server_parameters=CallbackServerParameters(port=0, daemonize=True),
    )
    try:
        java_server = gw.java_gateway_server
        java_server.resetCallbackClient(
            java_server.getCallbackClient().getAddress(),
            gw.get_callback_server().get_listening_port(),
        )
        math = gw.jvm.java.lang.Math

        class ByAbs:
            def compare(self, a: int, b: int) -> int:
                # A call to Java from the thread serving Java's call to compare.
                return int(math.abs(a) - math.abs(b))

            class Java:
                implements = ("java.util.Comparator",)

        values = gw.jvm.java.util.ArrayList()
        for v in (-5, 3, -1, 4):
            values.add(v)
        collections = gw.jvm.java.util.Collections
        before = stats(gw)
        collections.sort(values, ByAbs())
        # sort was combined; the calls made inside compare were not (they would wait for
        # sort's write to end, which waits for them).
        assert stats(gw)["multiplexed_requests"] - before["multiplexed_requests"] == 1
        assert list(values) == [-1, 3, 4, -5]
    finally:
        gw.close()


@pytest.mark.servers("ferry")
def test_large_requests_are_not_combined(mux: Any) -> None:
    data = mux.jvm.fixtures.BulkData()
    before = stats(mux)["multiplexed_requests"]
    assert data.byteLength(bytes(1 << 20)) == 1 << 20
    assert stats(mux)["multiplexed_requests"] == before
    assert data.byteLength(bytes(10)) == 10
    assert stats(mux)["multiplexed_requests"] == before + 1


@pytest.mark.servers("ferry")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_combines_on_its_own_while_a_parent_s_write_blocks(
    mux: Any,
) -> None:
    math = mux.jvm.java.lang.Math
    blocked = Blocked(mux).start()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read_end)
        try:
            got = [math.abs(-k) for k in range(1, 4)]
            s = stats(mux)
            message = f"{got} {s['multiplexed_requests']} {s['multiplex_in_flight']}"
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            message = f"child failed: {e!r}"
        os.write(write_end, message.encode())
        os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # The child's counters started again: its three calls, none in flight.
    assert b"".join(chunks).decode() == "[1, 2, 3] 3 0"
    blocked.release()
    assert math.abs(-9) == 9


@pytest.mark.servers("py4j")
def test_py4j_s_server_gets_plain_calls(
    make_gateway: Callable[..., JavaGateway], server: Any
) -> None:
    gw = make_gateway(server, multiplex=True)
    ep = gw.entry_point
    failures: list[str] = []

    def work(t: int) -> None:
        for i in range(100):
            if ep.echoString(f"{t}-{i}") != f"{t}-{i}":
                failures.append(f"{t}-{i}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    s = stats(gw)
    assert gw._gateway_client.protocol == 1
    assert s["multiplexed_writes"] == s["multiplexed_requests"] == 0


@pytest.mark.servers("ferry")
def test_protocol_v1_forced_gets_plain_calls(
    make_gateway: Callable[..., JavaGateway], server: Any
) -> None:
    gw = make_gateway(server, multiplex=True, protocol="v1")
    assert gw.entry_point.echoString("a") == "a"
    assert gw.jvm.java.lang.Math.abs(-3) == 3
    s = stats(gw)
    assert gw._gateway_client.protocol == 1
    assert s["multiplexed_writes"] == s["multiplexed_requests"] == 0


@pytest.mark.servers("ferry")
def test_off_by_default(gw: Any) -> None:
    assert gw.jvm.java.lang.Math.abs(-3) == 3
    assert stats(gw)["multiplexed_requests"] == 0
