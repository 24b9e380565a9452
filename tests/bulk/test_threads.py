"""Many threads at once, and pipelined calls: every reply reaches the call it answers."""

from __future__ import annotations

import threading
from typing import Any

import pytest


def test_pipelined_calls_from_many_threads_keep_their_replies(gw: Any) -> None:
    math = gw.jvm.java.lang.Math
    client = gw._gateway_client
    math.abs(-1)
    failures: list[str] = []
    barrier = threading.Barrier(8)

    def work(t: int) -> None:
        barrier.wait(10)
        for round_ in range(20):
            base = t * 100_000 + round_ * 1000
            calls = [(-(base + i),) for i in range(200)]
            got = client._native.call_many("z:java.lang.Math", "abs", calls, client)
            want = [base + i for i in range(200)]
            if got != want:
                failures.append(
                    f"thread {t} round {round_}: {got[:3]}... != {want[:3]}..."
                )
                return

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures


def test_plain_calls_from_many_threads_keep_their_replies(gw: Any) -> None:
    ep = gw.entry_point
    failures: list[str] = []

    def work(t: int) -> None:
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


def test_one_thread_s_calls_run_in_order_on_one_java_thread(gw: Any) -> None:
    thread = gw.jvm.java.lang.Thread
    client = gw._gateway_client
    names = client._native.call_many(
        "z:java.lang.Thread", "currentThread", [()] * 50, client
    )
    assert len({str(n.getName()) for n in names}) == 1
    assert thread.currentThread().getName() == names[0].getName()


def test_a_failing_call_in_a_batch_is_raised_after_all_replies(gw: Any) -> None:
    client = gw._gateway_client
    from ferry.protocol import Py4JError

    calls = [("1",), ("x",), ("3",)]
    with pytest.raises(Py4JError):
        client._native.call_many("z:java.lang.Integer", "parseInt", calls, client)
    # The connection is in a clean state: the next batch gets its own replies.
    got = client._native.call_many("z:java.lang.Integer", "parseInt", [("7",)], client)
    assert got == [7]
