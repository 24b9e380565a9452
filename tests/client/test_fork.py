"""A forked child uses its own connections; its parent's keep working."""

from __future__ import annotations

import gc
import os
import threading
from typing import Any

import pytest
from forkkit import fork_and_check

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _in_child(work: Any) -> bytes:
    """Runs ``work()`` in a forked child; returns what it reported (``b"ok"`` or an error)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read_end)
        try:
            message = work()
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            message = f"child failed: {e!r}".encode()
        os.write(write_end, message)
        os._exit(0)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return b"".join(chunks)


def test_a_child_makes_its_own_calls_and_the_parent_s_connections_survive(
    fgateway: Any, client_helpers: Any
) -> None:
    math = fgateway.jvm.java.lang.Math
    kept = fgateway.jvm.java.lang.StringBuilder("parent")
    assert math.abs(-1) == 1
    client = fgateway._gateway_client
    opened_before = client.stats()["connections_opened"]

    def child() -> bytes:
        before = client.stats()["connections_opened"]
        assert math.abs(-7) == 7
        sb = fgateway.jvm.java.lang.StringBuilder("child")
        assert sb.length() == 5
        stats = client.stats()
        # The child opened a connection of its own (its parent's pooled one was let go).
        assert stats["connections_opened"] == before + 1, stats
        assert stats["idle_connections"] == 1, stats
        return b"ok"

    assert _in_child(child) == b"ok"
    # The parent's pooled connection was not shut down by the child: no reconnect here.
    assert math.abs(-3) == 3
    assert kept.toString() == "parent"
    assert client.stats()["connections_opened"] == opened_before


def test_a_child_never_releases_its_parent_s_objects(
    fgateway: Any, client_helpers: Any
) -> None:
    held = fgateway.jvm.java.lang.StringBuilder("held by the parent")
    client = fgateway._gateway_client

    def child() -> bytes:
        nonlocal held
        released_before = client.stats()["releases"]
        del held
        gc.collect()
        fgateway.jvm.java.lang.Math.abs(
            -1
        )  # a command that would carry queued releases
        client.flush_releases()
        stats = client.stats()
        assert stats["releases"] == released_before, stats
        return b"ok"

    assert _in_child(child) == b"ok"
    assert held.toString() == "held by the parent"


def test_the_gateway_works_in_a_child_started_before_any_call(
    server: Any, client_helpers: Any
) -> None:
    from ferry.java_gateway import GatewayParameters, JavaGateway

    gateway = JavaGateway(
        gateway_parameters=GatewayParameters(
            port=server.port, auth_token=server.auth_token
        )
    )
    try:

        def child() -> bytes:
            assert gateway.jvm.java.lang.Math.max(2, 9) == 9
            return b"ok"

        assert _in_child(child) == b"ok"
        assert gateway.jvm.java.lang.Math.max(2, 9) == 9
    finally:
        client_helpers.close_gateway(gateway)


def test_forks_are_reported_by_the_at_fork_hook(fgateway: Any) -> None:
    # The package registers after_fork with os.register_at_fork, so requests skip the pid check.
    assert fgateway._gateway_client._native.forks_reported is True


def test_forks_while_other_threads_call_never_hang_the_child(
    ferry_gateway_factory: Any, server: Any
) -> None:
    _fork_while_threads_call(ferry_gateway_factory(server))


@pytest.mark.servers("ferry")
def test_forks_while_threads_combine_calls_never_hang_the_child(
    ferry_gateway_factory: Any, server: Any
) -> None:
    _fork_while_threads_call(ferry_gateway_factory(server, multiplex=True))


def _fork_while_threads_call(gateway: Any) -> None:
    # Other threads take the client's locks (the pool, the protocol's memo, the release queue,
    # the multiplexed mode's state) at every call, and open connections at first: a fork must
    # not leave one of them held in the child, where the thread that held it does not exist.
    stop = threading.Event()
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            sb = gateway.jvm.java.lang.StringBuilder("x")
            while not stop.is_set():
                sb.length()
                gateway.jvm.java.util.ArrayList()  # a release each time
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(40):
            fork_and_check(lambda: gateway.jvm.java.lang.Math.abs(-3) == 3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
