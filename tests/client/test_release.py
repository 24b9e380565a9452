"""Reference release: a Java object is released as soon as its proxy is dropped, in batches."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Only reference counting frees objects inside: proves proxies form no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def poll(predicate: Any, deadline: float = 10.0) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_100000_proxies_created_and_dropped_leave_the_live_count_as_it_was(
    ferry_gateway_factory: Any, own_server: Any, client_helpers: Any
) -> None:
    server = own_server()
    gateway = ferry_gateway_factory(server)
    live = client_helpers.live_references
    new_object = gateway.jvm.java.lang.Object
    new_object()
    baseline = live(gateway)
    with no_cyclic_gc():
        for _ in range(100_000):
            new_object()
        gateway._gateway_client.flush_releases()
        assert live(gateway) == baseline
    stats = gateway._gateway_client.stats()
    assert stats["held_references"] == 0
    # Each release rode with the next call: hardly any round trip of its own.
    assert stats["round_trips"] < 100_000 + 1_000


def test_a_proxy_and_its_members_form_no_cycle(fgateway: Any) -> None:
    with no_cyclic_gc():
        sb = fgateway.jvm.java.lang.StringBuilder("x")
        member = sb.length
        probe = weakref.ref(sb)
        del sb
        assert probe() is not None  # the member keeps its object
        assert member() == 1
        del member
        assert probe() is None  # freed by reference counting alone
        assert fgateway._gateway_client.stats()["pending_releases"] <= 1


def test_releases_ride_with_the_next_command(fgateway: Any) -> None:
    client = fgateway._gateway_client
    math = fgateway.jvm.java.lang.Math
    math.abs(-1)
    with no_cyclic_gc():
        made = [fgateway.jvm.java.lang.Object() for _ in range(10)]
        client.flush_releases()
        before = client.stats()
        del made
        math.abs(-2)
        after = client.stats()
    assert after["releases"] - before["releases"] == 10
    assert after["round_trips"] - before["round_trips"] == 1


def test_a_dropped_proxy_is_released_soon_without_another_command(
    fgateway: Any,
) -> None:
    client = fgateway._gateway_client
    obj = fgateway.jvm.java.lang.Object()
    before = client.stats()["releases"]
    with no_cyclic_gc():
        del obj
    # The background flusher sends it (within 50 ms; the deadline here only bounds the wait).
    assert poll(lambda: client.stats()["releases"] == before + 1)
    assert client.stats()["pending_releases"] == 0


def test_releases_never_go_into_a_connection_waiting_for_a_reply(fgateway: Any) -> None:
    client = fgateway._gateway_client
    thread = fgateway.jvm.java.lang.Thread
    thread.sleep(1)
    obj = fgateway.jvm.java.lang.Object()
    done = threading.Event()
    errors: list[BaseException] = []

    def long_call() -> None:
        try:
            thread.sleep(800)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        done.set()

    caller = threading.Thread(target=long_call)
    caller.start()
    time.sleep(0.1)
    released_before = client.stats()["releases"]
    del obj
    # Sent on another connection while the long call still waits on its own.
    assert poll(lambda: client.stats()["releases"] == released_before + 1, deadline=5.0)
    assert not done.is_set()
    caller.join()
    assert errors == []
    assert client.stats()["connections_opened"] >= 2


def test_detach_is_sent_at_once(fgateway: Any) -> None:
    client = fgateway._gateway_client
    obj = fgateway.jvm.java.lang.Object()
    before = client.stats()
    fgateway.detach(obj)
    after = client.stats()
    assert after["releases"] - before["releases"] == 1
    assert after["pending_releases"] == 0


def test_the_entry_point_and_gateway_server_are_never_released(fgateway: Any) -> None:
    client = fgateway._gateway_client
    with no_cyclic_gc():
        for _ in range(3):
            fgateway.entry_point.echoInt(1)
            fgateway.java_gateway_server.getListeningPort()
        from ferry.java_gateway import JavaObject

        JavaObject("t", client)
        JavaObject("GATEWAY_SERVER", client)
    client.flush_releases()
    assert client.stats()["releases"] == 0
    assert fgateway.entry_point.echoInt(2) == 2


def test_two_proxies_of_one_id_release_it_once_both_are_gone(fgateway: Any) -> None:
    from ferry.java_gateway import JavaObject

    client = fgateway._gateway_client
    sb = fgateway.jvm.java.lang.StringBuilder("twice")
    twin = JavaObject(sb._target_id, client)
    with no_cyclic_gc():
        del sb
        client.flush_releases()
        assert twin.toString() == "twice"
        del twin
    client.flush_releases()
    assert client.stats()["releases"] == 1
