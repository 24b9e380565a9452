"""ferry.java_collections: what ferry adds to py4j's collection proxies (the shared gateway suite
checks py4j's semantics), and the converters."""

from __future__ import annotations

from typing import Any

import pytest
from ferry.java_collections import (
    JavaArray,
    JavaIterator,
    JavaList,
    JavaMap,
    JavaSet,
    ListConverter,
    MapConverter,
    SetConverter,
)
from ferry.protocol import Py4JJavaError


def test_explicit_converters_without_auto_convert(fgateway: Any) -> None:
    client = fgateway._gateway_client
    java_list = ListConverter().convert([1, "two", 3.0, None], client)
    assert isinstance(java_list, JavaList)
    assert list(java_list) == [1, "two", 3.0, None]
    java_set = SetConverter().convert({1, 2}, client)
    assert isinstance(java_set, JavaSet)
    assert sorted(java_set) == [1, 2]
    java_map = MapConverter().convert({"a": 1, "b": 2}, client)
    assert isinstance(java_map, JavaMap)
    assert dict(java_map) == {"a": 1, "b": 2}
    # Without auto_convert, nested collections are not converted (as with py4j).
    with pytest.raises(AttributeError, match="_get_object_id"):
        MapConverter().convert({"b": [1]}, client)


def test_converters_accept_what_py4j_s_accept() -> None:
    assert ListConverter().can_convert((1, 2))
    assert ListConverter().can_convert(x for x in ())
    assert not ListConverter().can_convert("abc")
    assert not ListConverter().can_convert(b"abc")
    assert SetConverter().can_convert(frozenset())
    assert not SetConverter().can_convert([1])
    assert MapConverter().can_convert({})
    assert not MapConverter().can_convert([1])


def test_nested_collections_convert_with_auto_convert(
    ferry_gateway_factory: Any, server: Any
) -> None:
    gateway = ferry_gateway_factory(server, auto_convert=True)
    ep = gateway.entry_point
    assert ep.collectionClass([[1, 2], {3}, {"k": [4]}]) == "java.util.ArrayList:3"
    assert ep.describeMap({"k": [1, 2]}) == ep.describeMap({"k": [1, 2]})
    assert ep.sumList(range(100)) == sum(range(100))


def test_converted_temporaries_are_released(
    ferry_gateway_factory: Any, own_server: Any, client_helpers: Any
) -> None:
    gateway = ferry_gateway_factory(own_server(), auto_convert=True)
    baseline = client_helpers.live_references(gateway)
    for _ in range(20):
        gateway.entry_point.sumList([1, 2, 3])
    gateway._gateway_client.flush_releases()
    assert client_helpers.live_references(gateway) == baseline


def test_iteration_stops_only_at_the_end(fgateway: Any) -> None:
    ep = fgateway.entry_point
    iterator = ep.makeIterator(3)
    assert isinstance(iterator, JavaIterator)
    assert iter(iterator) is iterator
    assert [next(iterator), iterator.next(), next(iterator)] == [0, 1, 2]
    with pytest.raises(StopIteration):
        next(iterator)
    # A Java error other than NoSuchElementException is raised, not taken for the end.
    items = fgateway.jvm.java.util.ArrayList()
    items.add(1)
    items.add(2)
    it = items.iterator()
    assert next(it) == 1
    items.add(3)
    with pytest.raises(Py4JJavaError, match="ConcurrentModificationException"):
        next(it)


def test_array_length_is_asked_once(fgateway: Any, client_helpers: Any) -> None:
    array = fgateway.entry_point.intArray()
    assert isinstance(array, JavaArray)
    length = len(array)
    before = client_helpers.commands_sent(fgateway)
    assert len(array) == length
    assert list(array) == [array[i] for i in range(length)]
    # One command per element read twice over, no length query.
    assert client_helpers.commands_sent(fgateway) - before == 2 * length


def test_list_element_by_index_is_one_command(
    fgateway: Any, client_helpers: Any
) -> None:
    five = fgateway.entry_point.makeList(5)
    before = client_helpers.commands_sent(fgateway)
    assert five[3] == 3
    assert client_helpers.commands_sent(fgateway) - before == 1
    with pytest.raises(IndexError):
        five[5]
    assert five[-1] == 4


def test_reprs(fgateway: Any) -> None:
    ep = fgateway.entry_point
    assert repr(ep.makeList(3)) == "[0, 1, 2]"
    assert str(ep.makeMap()) == "{'a': 1, 'b': 2, 'c': 3}"
    assert repr(fgateway.jvm.java.util.HashSet()) == "set()"
