"""The native proxies: ``JavaObject`` derives from ``ferry._native.JavaObject``, whose attribute
lookup remembers Java methods, and ``JavaMember`` is native. py4j's behaviour is kept."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ferry.java_gateway as jg
import pytest
from ferry import _native


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Only reference counting frees objects inside."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_the_proxy_classes_are_native(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder("ab")
    assert isinstance(sb, _native.JavaObject)
    assert jg.JavaMember is _native.JavaMember
    assert type(sb.length) is jg.JavaMember


def test_a_method_is_looked_up_once_then_remembered(
    fgateway: Any, client_helpers: Any
) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder("abc")
    assert sb.length() == 3
    before = client_helpers.commands_sent(fgateway)
    first, second = sb.length, sb.length
    # A fresh member each time (it holds the object), made without a command.
    assert first is not second
    assert first.container is sb and second.container is sb
    assert client_helpers.commands_sent(fgateway) == before
    assert "length" not in vars(sb)
    assert first() == second() == 3


def test_a_python_attribute_hides_a_java_method_of_that_name(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder("abc")
    assert sb.length() == 3
    sb.length = "mine"
    assert sb.length == "mine"
    del sb.length
    assert sb.length() == 3
    with pytest.raises(AttributeError):
        del sb.length


def test_members_of_dropped_proxies_are_released_without_the_cyclic_gc(
    ferry_gateway_factory: Any, own_server: Any, client_helpers: Any
) -> None:
    gateway = ferry_gateway_factory(own_server())
    point = gateway.jvm.fixtures.Point
    baseline = client_helpers.live_references(gateway)
    with no_cyclic_gc():
        for i in range(500):
            p = point(i, 1)
            assert p.sum() == i + 1
            assert p.sum() == i + 1
        del p
        gateway._gateway_client.flush_releases()
        assert client_helpers.live_references(gateway) == baseline


def test_subclasses_bind_through_java_object_init(fgateway: Any) -> None:
    class Tagged(jg.JavaObject):
        def __init__(self, target_id: str, gateway_client: Any, tag: str) -> None:
            jg.JavaObject.__init__(self, target_id, gateway_client)
            self.tag = tag

    sb = fgateway.jvm.java.lang.StringBuilder("xyz")
    again = Tagged(sb._get_object_id(), fgateway._gateway_client, "t")
    assert again.tag == "t"
    assert again.length() == 3
    assert again == sb
    with pytest.raises(TypeError, match="already bound"):
        jg.JavaObject.__init__(again, sb._get_object_id(), fgateway._gateway_client)


def test_an_unbound_proxy_has_no_java_methods() -> None:
    class Late(jg.JavaObject):
        def __init__(self) -> None:
            pass

    late = Late()
    with pytest.raises(AttributeError):
        late.length  # noqa: B018
    with pytest.raises(AttributeError, match="__init__ was not called"):
        late._get_object_id()


def test_member_help_and_repr(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder("q")
    member = sb.length
    assert repr(member) == f"<JavaMember {sb._get_object_id()}.length>"
    assert "length" in (member.__doc__ or "")
    math_abs = fgateway.jvm.java.lang.Math.abs
    assert math_abs.container is None
    assert "abs" in (math_abs.__doc__ or "")


def test_auto_field_reads_fields_and_remembers_methods(
    ferry_gateway_factory: Any, server: Any, client_helpers: Any
) -> None:
    gateway = ferry_gateway_factory(server, auto_field=True)
    point = gateway.jvm.fixtures.Point(2, 3)
    assert point.x == 2
    assert point.sum() == 5
    before = client_helpers.commands_sent(gateway)
    assert point.sum() == 5
    # The method is known now: no field lookup before the call.
    assert client_helpers.commands_sent(gateway) - before == 1
