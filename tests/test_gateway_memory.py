"""Memory release: the server's live references fall when the client lets objects go.

The count of live references is read the way clients can read it,
``gateway.java_gateway_server.getGateway().getBindings().size()`` (``helpers.live_references``),
on a server of the test's own: the bindings are shared by every client of a server.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

OBJECTS = 25
DROPPED = 400


def test_count_rises_with_objects_and_falls_with_detach(
    gateway_factory: Any, own_server: Any, helpers: Any
) -> None:
    gateway = gateway_factory(own_server())
    live = helpers.live_references
    baseline = live(gateway)
    assert live(gateway) == baseline
    objects = [gateway.jvm.java.lang.Object() for _ in range(OBJECTS)]
    assert live(gateway) == baseline + OBJECTS
    for obj in objects[:10]:
        gateway.detach(obj)
    assert live(gateway) == baseline + OBJECTS - 10
    for obj in objects[10:]:
        gateway.detach(obj)
    assert live(gateway) == baseline


def test_every_returned_reference_is_a_new_binding(
    gateway_factory: Any, own_server: Any, helpers: Any
) -> None:
    gateway = gateway_factory(own_server())
    live = helpers.live_references
    ep = gateway.entry_point
    point = gateway.jvm.fixtures.Point(1, 2)
    baseline = live(gateway)
    again = ep.echoObject(point)
    and_again = ep.echoObject(point)
    assert live(gateway) == baseline + 2
    assert (
        len(
            {point._get_object_id(), again._get_object_id(), and_again._get_object_id()}
        )
        == 3
    )
    # Releasing one binding leaves the object reachable through the others.
    gateway.detach(point)
    assert again.sum() == 3
    assert live(gateway) == baseline + 1
    gateway.detach(again)
    gateway.detach(and_again)
    assert live(gateway) == baseline - 1


def test_values_and_errors_hold_no_reference(
    api: Any, gateway_factory: Any, own_server: Any, helpers: Any
) -> None:
    gateway = gateway_factory(own_server())
    live = helpers.live_references
    ep = gateway.entry_point
    baseline = live(gateway)
    assert ep.echoString("x") == "x"
    assert ep.getBytes()[:1] == b"\x00"
    assert ep.getDecimal() is not None
    assert ep.doNothing() is None
    try:
        ep.noSuchMethod()
    except api.Py4JError:
        pass
    assert live(gateway) == baseline


def test_java_exception_is_a_binding_until_released(
    api: Any, gateway_factory: Any, own_server: Any, helpers: Any
) -> None:
    gateway = gateway_factory(own_server())
    live = helpers.live_references
    baseline = live(gateway)
    try:
        gateway.entry_point.throwChecked()
    except api.Py4JJavaError as error:
        assert live(gateway) == baseline + 1
        gateway.detach(error.java_exception)
    assert live(gateway) == baseline


def test_dropped_proxies_are_released(
    gateway_factory: Any, own_server: Any, helpers: Any
) -> None:
    gateway = gateway_factory(own_server())
    live = helpers.live_references
    gc.collect()
    baseline = live(gateway)
    points = [gateway.jvm.fixtures.Point(i, i) for i in range(DROPPED)]
    # A method call links proxy and member in a cycle: only the cyclic collector frees them.
    assert sum(p.sum() for p in points) == sum(2 * i for i in range(DROPPED))
    assert live(gateway) == baseline + DROPPED
    del points
    gc.collect()
    assert live(gateway) == baseline


def test_detach_twice_and_unknown_ids_are_harmless(
    gateway_factory: Any, own_server: Any, helpers: Any
) -> None:
    gateway = gateway_factory(own_server())
    live = helpers.live_references
    baseline = live(gateway)
    obj = gateway.jvm.java.lang.Object()
    gateway.detach(obj)
    gateway.detach(obj)
    assert live(gateway) == baseline
    assert gateway.entry_point.echoInt(1) == 1


def test_a_call_right_after_a_detach_finds_the_id_gone(
    api: Any, gateway_factory: Any, own_server: Any
) -> None:
    # The object was the target of the call just before (a server may remember that target):
    # once released, its id names nothing.
    gateway = gateway_factory(own_server())
    sb = gateway.jvm.java.lang.StringBuilder("abc")
    assert sb.length() == 3
    assert sb.length() == 3
    gateway.detach(sb)
    with pytest.raises(api.Py4JError):
        sb.length()
    assert gateway.entry_point.echoInt(1) == 1


def test_other_clients_see_the_same_bindings(
    gateway_factory: Any, own_server: Any, helpers: Any
) -> None:
    server = own_server()
    first = gateway_factory(server)
    second = gateway_factory(server)
    live = helpers.live_references
    baseline = live(first)
    obj = second.jvm.java.lang.Object()
    assert live(first) == baseline + 1
    second.detach(obj)
    assert live(first) == baseline


def test_weak_reference_clears_after_detach_and_gc(
    gateway_factory: Any, own_server: Any, helpers: Any
) -> None:
    gateway = gateway_factory(own_server())
    jvm = gateway.jvm
    released = jvm.fixtures.Point(1, 2)
    kept = jvm.fixtures.Point(3, 4)
    released_probe = jvm.fixtures.WeakProbe(released)
    kept_probe = jvm.fixtures.WeakProbe(kept)
    assert not released_probe.isCleared()
    gateway.detach(released)

    def collected() -> bool:
        jvm.fixtures.WeakProbe.gc()
        return bool(released_probe.isCleared())

    assert helpers.poll_until(collected), (
        "the released object is still reachable in the JVM"
    )
    # The binding of an object the client still holds keeps it alive through the same collections.
    assert not kept_probe.isCleared()
    assert kept.sum() == 7
