"""JavaList, JavaMap, JavaSet and JavaIterator: every Python protocol the py4j client gives them.

These proxies are remote views: each operation is one or more commands (the list sub-commands of
the ``l`` command for slicing, concatenation, repetition, sort, reverse and count; plain method
calls for the rest), so the server must answer each the way Py4J does. Some results are quirks of
the py4j client built on those answers; they are asserted as they are, marked "quirk".
"""

from __future__ import annotations

from typing import Any

import pytest

# --------------------------------------------------------------------------- JavaList


@pytest.fixture
def five(entry_point: Any) -> Any:
    """A fresh ArrayList [0, 1, 2, 3, 4]."""
    return entry_point.makeList(5)


def test_list_basics(api: Any, five: Any) -> None:
    assert isinstance(five, api.JavaList)
    assert len(five) == 5
    assert list(five) == [0, 1, 2, 3, 4]
    assert str(five) == "[0, 1, 2, 3, 4]"
    assert repr(five) == "[0, 1, 2, 3, 4]"
    assert bool(five) is True


def test_empty_list_is_falsy(entry_point: Any) -> None:
    assert bool(entry_point.makeList(0)) is False


def test_list_iteration_is_a_java_iterator(api: Any, five: Any) -> None:
    iterator = iter(five)
    assert isinstance(iterator, api.JavaIterator)
    assert next(iterator) == 0
    assert list(iterator) == [1, 2, 3, 4]


def test_list_indexing(five: Any) -> None:
    assert five[0] == 0
    assert five[-1] == 4
    assert five[-5] == 0
    with pytest.raises(IndexError):
        five[5]
    with pytest.raises(IndexError):
        five[-6]


def test_list_slices_are_copies(api: Any, five: Any) -> None:
    part = five[1:3]
    assert isinstance(part, api.JavaList)
    assert list(part) == [1, 2]
    assert list(five[::-1]) == [4, 3, 2, 1, 0]
    assert list(five[::2]) == [0, 2, 4]
    assert list(five[-2:]) == [3, 4]
    assert list(five[10:]) == []
    part.append(99)
    assert list(five) == [0, 1, 2, 3, 4]


def test_list_set_items(five: Any) -> None:
    five[0] = 100
    five[-1] = 99
    assert list(five) == [100, 1, 2, 3, 99]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        pytest.param(slice(1, 3), [10, 11, 12], [0, 10, 11, 12, 3, 4], id="grow"),
        # quirk: shrinking removes by unshifted index, so 3 stays and 4 goes (Python: [0, 10, 4]).
        pytest.param(slice(1, 4), [10], [0, 10, 3], id="shrink"),
        pytest.param(slice(None, None, 2), [7, 8, 9], [7, 1, 8, 3, 9], id="extended"),
        pytest.param(slice(2, 2), [7, 8], [0, 1, 7, 8, 2, 3, 4], id="insert"),
        pytest.param(slice(10, None), [7, 8], [0, 1, 2, 3, 4, 7, 8], id="append"),
    ],
)
def test_list_slice_assignment(
    five: Any, key: slice, value: list[int], expected: list[int]
) -> None:
    five[key] = value
    assert list(five) == expected


def test_list_extended_slice_assignment_needs_same_size(five: Any) -> None:
    with pytest.raises(ValueError, match="attempt to assign sequence of size 1"):
        five[::2] = [1]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param(0, [1, 2, 3, 4], id="first"),
        pytest.param(-1, [0, 1, 2, 3], id="last"),
        pytest.param(slice(1, 3), [0, 3, 4], id="slice"),
        pytest.param(slice(None, None, 2), [1, 3], id="extended-slice"),
    ],
)
def test_list_delete(five: Any, key: Any, expected: list[int]) -> None:
    del five[key]
    assert list(five) == expected


def test_list_concatenation_makes_a_new_list(
    api: Any, entry_point: Any, five: Any
) -> None:
    joined = five + entry_point.makeList(2)
    assert isinstance(joined, api.JavaList)
    assert list(joined) == [0, 1, 2, 3, 4, 0, 1]
    assert list(five) == [0, 1, 2, 3, 4]


def test_list_repetition(api: Any, five: Any) -> None:
    twice = five * 2
    assert isinstance(twice, api.JavaList)
    assert list(twice) == [0, 1, 2, 3, 4] * 2
    assert list(2 * five) == [0, 1, 2, 3, 4] * 2
    assert list(five * 0) == []
    assert list(five) == [0, 1, 2, 3, 4]


def test_list_in_place_repetition_and_extension(entry_point: Any, five: Any) -> None:
    alias = five
    five *= 2
    assert five is alias
    assert list(five) == [0, 1, 2, 3, 4] * 2
    small = entry_point.makeList(2)
    small += entry_point.makeList(3)
    assert list(small) == [0, 1, 0, 1, 2]


def test_list_sort_and_reverse(five: Any) -> None:
    assert five.reverse() is None
    assert list(five) == [4, 3, 2, 1, 0]
    assert five.sort() is None
    assert list(five) == [0, 1, 2, 3, 4]


def test_list_sort_strings(entry_point: Any) -> None:
    words = entry_point.makeObjectList("pear", "apple", "fig")
    words.sort()
    assert list(words) == ["apple", "fig", "pear"]


def test_list_count_index_contains(five: Any) -> None:
    five.append(1)
    assert five.count(1) == 2
    assert five.count(99) == 0
    assert five.index(3) == 3
    # quirk: index() of a missing value is Java's indexOf, -1, not a ValueError.
    assert five.index(99) == -1
    assert 3 in five
    assert 99 not in five
    assert "3" not in five


def test_list_count_of_objects(entry_point: Any) -> None:
    mixed = entry_point.makeObjectList("a", None, "a")
    assert mixed.count("a") == 2
    assert mixed.count(None) == 1


def test_list_pop(api: Any, entry_point: Any, five: Any) -> None:
    assert five.pop() == 4
    assert five.pop(0) == 0
    assert five.pop(-1) == 3
    assert list(five) == [1, 2]
    # quirk: pop() on an empty list is the Java exception, not an IndexError.
    with pytest.raises(api.Py4JJavaError):
        entry_point.makeList(0).pop()


def test_list_insert(five: Any) -> None:
    five.insert(0, 9)
    five.insert(-1, 8)
    five.insert(100, 7)
    assert list(five) == [9, 0, 1, 2, 3, 8, 4, 7]


def test_list_append_and_extend(entry_point: Any, five: Any) -> None:
    five.append("s")
    five.append(None)
    five.extend(entry_point.makeList(2))
    assert list(five) == [0, 1, 2, 3, 4, "s", None, 0, 1]


def test_list_remove(api: Any, entry_point: Any, five: Any) -> None:
    # An int argument is a value to remove, not an index.
    five.remove(3)
    assert list(five) == [0, 1, 2, 4]
    words = entry_point.makeObjectList("a", "b", "c")
    words.remove("b")
    assert list(words) == ["a", "c"]
    with pytest.raises(ValueError, match="x not in java_list"):
        words.remove("z")
    # quirk: a missing int is removed at index -1, which Java refuses.
    with pytest.raises(api.Py4JJavaError):
        five.remove(99)


def test_list_remove_of_zero_quirk(five: Any) -> None:
    # quirk: the removed element is used as a success flag, so removing 0 reports failure after
    # removing it.
    with pytest.raises(ValueError, match="x not in java_list"):
        five.remove(0)
    assert list(five) == [1, 2, 3, 4]


def test_list_clear_quirk(api: Any, five: Any) -> None:
    # quirk: clear() pops until the list is empty, then the failing pop raises the Java exception.
    with pytest.raises(api.Py4JJavaError):
        five.clear()
    assert len(five) == 0


def test_list_equality_is_java_equals(entry_point: Any) -> None:
    assert entry_point.makeList(3) == entry_point.makeList(3)
    assert entry_point.makeList(3) != entry_point.makeList(2)
    # A Python list is never equal to a JavaList.
    assert entry_point.makeList(3) != [0, 1, 2]


def test_list_created_on_the_server(gateway: Any, entry_point: Any) -> None:
    created = gateway.jvm.java.util.ArrayList()
    created.add(1)
    created.add("two")
    assert created.size() == 2
    assert list(created) == [1, "two"]
    assert entry_point.collectionClass(created) == "java.util.ArrayList:2"


def test_list_operations_need_java_lists(five: Any) -> None:
    with pytest.raises(AttributeError):
        five + [1]
    with pytest.raises(AttributeError):
        five.extend([1, 2])


# --------------------------------------------------------------------------- JavaMap


@pytest.fixture
def abc(entry_point: Any) -> Any:
    """A fresh LinkedHashMap {a: 1, b: 2, c: 3}."""
    return entry_point.makeMap()


def test_map_basics(api: Any, abc: Any) -> None:
    assert isinstance(abc, api.JavaMap)
    assert len(abc) == 3
    assert list(abc) == ["a", "b", "c"]
    assert abc["a"] == 1
    assert "a" in abc
    assert "zz" not in abc
    assert dict(abc) == {"a": 1, "b": 2, "c": 3}
    assert list(abc.keys()) == ["a", "b", "c"]
    assert list(abc.values()) == [1, 2, 3]
    assert list(abc.items()) == [("a", 1), ("b", 2), ("c", 3)]
    assert str(abc) == "{'a': 1, 'b': 2, 'c': 3}"


def test_map_set_and_delete(abc: Any) -> None:
    abc["d"] = 4
    abc["a"] = 10
    del abc["b"]
    assert dict(abc) == {"a": 10, "c": 3, "d": 4}
    abc[1] = "one"
    assert abc[1] == "one"
    abc["n"] = None
    assert abc["n"] is None
    assert "n" in abc


def test_map_missing_keys_quirks(abc: Any) -> None:
    # quirk: a missing key reads as None (Java's get), never KeyError ...
    assert abc["zz"] is None
    # ... so get() ignores its default and setdefault() neither sets nor returns the default.
    assert abc.get("zz", 5) is None
    assert abc.get("a", 5) == 1
    assert abc.setdefault("q", 1) is None
    assert "q" not in abc
    # Deleting a missing key is Java's remove: no error.
    del abc["zz"]
    assert len(abc) == 3


def test_map_mutable_mapping_mixins(abc: Any) -> None:
    assert abc.pop("a") == 1
    assert abc.pop("nope", 7) is None  # quirk, as for get()
    abc.update({"u": 2})
    assert dict(abc) == {"b": 2, "c": 3, "u": 2}
    abc.clear()
    assert len(abc) == 0


def test_map_equality_is_java_equals(entry_point: Any, abc: Any) -> None:
    assert abc == entry_point.makeMap()
    assert abc != {"a": 1, "b": 2, "c": 3}


def test_map_created_on_the_server(gateway: Any, entry_point: Any) -> None:
    created = gateway.jvm.java.util.HashMap()
    created["k"] = "v"
    created["n"] = 2
    assert entry_point.describeMap(created) == "k=v;n=2"
    assert entry_point.mapClass(created) == "java.util.HashMap:2"


def test_map_entries_through_java(entry_point: Any, abc: Any) -> None:
    entries = [(e.getKey(), e.getValue()) for e in abc.entrySet().iterator()]
    assert entries == [("a", 1), ("b", 2), ("c", 3)]


# --------------------------------------------------------------------------- JavaSet


@pytest.fixture
def xyz(entry_point: Any) -> Any:
    """A fresh LinkedHashSet {x, y, z}."""
    return entry_point.makeSet()


def test_set_basics(api: Any, xyz: Any) -> None:
    assert isinstance(xyz, api.JavaSet)
    assert len(xyz) == 3
    assert list(xyz) == ["x", "y", "z"]
    assert "x" in xyz
    assert "q" not in xyz
    assert set(xyz) == {"x", "y", "z"}
    assert str(xyz) == "{'x', 'y', 'z'}"


def test_set_add_remove_discard_clear(xyz: Any) -> None:
    xyz.add("w")
    xyz.add("x")
    assert sorted(xyz) == ["w", "x", "y", "z"]
    xyz.remove("w")
    xyz.discard("x")
    assert sorted(xyz) == ["y", "z"]
    with pytest.raises(KeyError):
        xyz.remove("nope")
    # quirk: discard() of a missing element raises too.
    with pytest.raises(KeyError):
        xyz.discard("nope")
    xyz.clear()
    assert len(xyz) == 0
    assert list(xyz) == []


def test_set_mutable_set_mixins(xyz: Any) -> None:
    xyz |= {"k"}
    assert sorted(xyz) == ["k", "x", "y", "z"]
    xyz -= {"k", "x"}
    assert sorted(xyz) == ["y", "z"]
    assert xyz <= {"y", "z", "q"}
    assert xyz >= {"y"}
    assert xyz.isdisjoint({"q"})
    popped = xyz.pop()
    assert popped in {"y", "z"}
    assert len(xyz) == 1


def test_set_binary_operators_fail_in_the_client(xyz: Any) -> None:
    # quirk: MutableSet builds its result with the proxy class, which needs a gateway client.
    with pytest.raises(TypeError):
        xyz | {"a"}


def test_set_of_ints(gateway: Any) -> None:
    created = gateway.jvm.java.util.TreeSet()
    for value in (3, 1, 2, 1):
        created.add(value)
    assert list(created) == [1, 2, 3]
    assert 2 in created


# --------------------------------------------------------------------------- JavaIterator


def test_iterator(api: Any, entry_point: Any) -> None:
    iterator = entry_point.makeIterator(3)
    assert isinstance(iterator, api.JavaIterator)
    assert iter(iterator) is iterator
    assert next(iterator) == 0
    assert list(iterator) == [1, 2]
    with pytest.raises(StopIteration):
        next(iterator)


def test_iterator_in_for_loop(entry_point: Any) -> None:
    assert [x * 10 for x in entry_point.makeIterator(3)] == [0, 10, 20]
    assert list(entry_point.makeIterator(0)) == []


def test_iterator_methods_are_java_methods(entry_point: Any) -> None:
    iterator = entry_point.makeIterator(1)
    assert iterator.hasNext() is True
    assert iterator.next() == 0
    assert iterator.hasNext() is False


# --------------------------------------------------------------------------- auto_convert


def test_auto_convert_python_collections(gateway_factory: Any, server: Any) -> None:
    gateway = gateway_factory(server, auto_convert=True)
    ep = gateway.entry_point
    assert ep.sumList([1, 2, 3]) == 6
    assert ep.sumList((4, 5)) == 9
    assert ep.collectionClass([1, 2]) == "java.util.ArrayList:2"
    assert ep.collectionClass({1, 2, 3}) == "java.util.HashSet:3"
    assert ep.describeMap({"b": 2, "a": 1}) == "a=1;b=2"
    assert ep.mapClass({"a": 1}) == "java.util.HashMap:1"
    # Strings and bytes are values, not collections.
    assert ep.classOf("abc") == "java.lang.String"
    assert ep.classOf(b"abc") == "[B"


def test_without_auto_convert_python_lists_are_refused_by_the_client(
    entry_point: Any,
) -> None:
    with pytest.raises(AttributeError, match="_get_object_id"):
        entry_point.sumList([1, 2, 3])
