"""Java arrays: returned arrays as JavaArray, new_array, get, set with conversion, slices, length.

``byte[]`` is a value type in Py4J's protocol (Base64 text), so it never becomes a JavaArray.
"""

from __future__ import annotations

from typing import Any

import pytest


def java_class(gateway: Any, name: str) -> Any:
    """The JavaClass of a primitive type name or a fully qualified class name."""
    found = gateway.jvm
    for part in name.split("."):
        found = getattr(found, part)
    return found


@pytest.mark.parametrize(
    ("method", "values"),
    [
        ("intArray", [1, 2, 3, 4, 5]),
        ("longArray", [1, 2**40]),
        ("doubleArray", [0.5, -1.25]),
        ("floatArray", [1.5, 2.5]),
        ("shortArray", [-1, 2]),
        ("booleanArray", [True, False]),
        ("charArray", ["a", "b"]),
        ("stringArray", ["one", "two", None]),
        ("emptyIntArray", []),
    ],
)
def test_returned_arrays(
    api: Any, entry_point: Any, method: str, values: list[Any]
) -> None:
    array = getattr(entry_point, method)()
    assert isinstance(array, api.JavaArray)
    assert len(array) == len(values)
    assert list(array) == values


def test_object_array_elements_keep_their_kinds(api: Any, entry_point: Any) -> None:
    first, second, third = entry_point.objectArray()
    assert first == 1
    assert second == "two"
    assert isinstance(third, api.JavaObject)
    assert str(third) == "Point(3, 4)"


def test_byte_array_comes_back_as_bytes(entry_point: Any) -> None:
    assert entry_point.getBytes()[:3] == b"\x00\x01\x02"


def test_indexing(entry_point: Any) -> None:
    array = entry_point.intArray()
    assert array[0] == 1
    assert array[4] == 5
    assert array[-1] == 5
    assert array[-5] == 1
    with pytest.raises(IndexError):
        array[5]
    with pytest.raises(IndexError):
        array[-6]


def test_slices_are_new_arrays(api: Any, entry_point: Any) -> None:
    array = entry_point.intArray()
    part = array[1:3]
    assert isinstance(part, api.JavaArray)
    assert list(part) == [2, 3]
    assert list(array[::-1]) == [5, 4, 3, 2, 1]
    assert list(array[::2]) == [1, 3, 5]
    assert list(array[-2:]) == [4, 5]
    assert list(array[10:]) == []
    part[0] = 99
    assert array[1] == 2


def test_sequence_protocol(entry_point: Any) -> None:
    array = entry_point.intArray()
    assert 3 in array
    assert 99 not in array
    assert array.index(3) == 2
    assert array.count(3) == 1
    assert list(reversed(array)) == [5, 4, 3, 2, 1]
    assert [x * 2 for x in array] == [2, 4, 6, 8, 10]


def test_set_items(entry_point: Any) -> None:
    array = entry_point.intArray()
    array[0] = 10
    array[-1] = 50
    array[1:3] = [20, 30]
    assert list(array) == [10, 20, 30, 4, 50]
    assert entry_point.sumIntArray(array) == 114
    with pytest.raises(ValueError, match="attempt to assign sequence of size 1"):
        array[1:3] = [1]
    with pytest.raises(IndexError):
        array[5] = 1


def test_arrays_have_fixed_length(entry_point: Any) -> None:
    array = entry_point.intArray()
    with pytest.raises(AttributeError):
        del array[0]  # type: ignore[attr-defined]
    assert len(array) == 5


@pytest.mark.parametrize(
    ("java_type", "initial", "value", "stored"),
    [
        ("int", 0, 3, 3),
        ("long", 0, 3, 3),
        ("long", 0, 2**40, 2**40),
        ("short", 0, 3, 3),
        ("short", 0, 70000, 4464),
        ("double", 0.0, 1.5, 1.5),
        ("float", 0.0, 1.5, 1.5),
        ("char", "\x00", "q", "q"),
        ("boolean", False, True, True),
        ("java.lang.String", None, "s", "s"),
        ("java.lang.Object", None, 3, 3),
        ("java.lang.Integer", None, 3, 3),
        ("java.lang.Long", None, 3, 3),
    ],
)
def test_new_array_and_set_with_conversion(
    api: Any, gateway: Any, java_type: str, initial: Any, value: Any, stored: Any
) -> None:
    array = gateway.new_array(java_class(gateway, java_type), 2)
    assert isinstance(array, api.JavaArray)
    assert list(array) == [initial, initial]
    array[1] = value
    assert list(array) == [initial, stored]


@pytest.mark.parametrize(
    ("java_type", "value"),
    [
        pytest.param("int", 2**40, id="long-into-int"),
        pytest.param("int", 1.5, id="float-into-int"),
        pytest.param("int", "x", id="str-into-int"),
        pytest.param("boolean", 1, id="int-into-boolean"),
    ],
)
def test_array_set_refuses_what_cannot_convert(
    api: Any, gateway: Any, java_type: str, value: Any
) -> None:
    array = gateway.new_array(java_class(gateway, java_type), 1)
    before = array[0]
    with pytest.raises(api.Py4JError):
        array[0] = value
    assert array[0] == before


def test_new_byte_array_comes_back_as_bytes(gateway: Any) -> None:
    # byte[] travels by value, even a fresh one: the result is a copy, not a JavaArray.
    assert gateway.new_array(gateway.jvm.byte, 3) == b"\x00\x00\x00"


def test_new_array_of_a_fixture_class(gateway: Any, entry_point: Any) -> None:
    array = gateway.new_array(gateway.jvm.fixtures.Point, 2)
    array[0] = gateway.jvm.fixtures.Point(1, 2)
    assert str(array[0]) == "Point(1, 2)"
    assert array[1] is None
    assert entry_point.describeArray(array) == "fixtures.Point[][Point(1, 2), null]"


def test_two_dimensional_arrays(api: Any, gateway: Any, entry_point: Any) -> None:
    grid = gateway.new_array(gateway.jvm.int, 2, 3)
    assert len(grid) == 2
    row = grid[1]
    assert isinstance(row, api.JavaArray)
    assert len(row) == 3
    row[2] = 7
    assert entry_point.describeArray(grid) == "int[][][[0, 0, 0], [0, 0, 7]]"

    returned = entry_point.grid()
    assert [list(r) for r in returned] == [[1, 2], [3, 4, 5]]
    assert returned[1][2] == 5


def test_new_array_needs_a_dimension(api: Any, gateway: Any) -> None:
    with pytest.raises(api.Py4JError):
        gateway.new_array(gateway.jvm.int)


def test_arrays_as_arguments(gateway: Any, entry_point: Any) -> None:
    strings = gateway.new_array(gateway.jvm.String, 2)
    strings[0] = "a"
    strings[1] = "b"
    assert entry_point.joinStrings(strings) == "a,b"
    ints = gateway.new_array(gateway.jvm.int, 3)
    ints[0] = 4
    ints[2] = 6
    assert entry_point.sumIntArray(ints) == 10
    assert entry_point.describeArray(ints) == "int[][4, 0, 6]"


def test_varargs_method_takes_an_explicit_array(gateway: Any, entry_point: Any) -> None:
    strings = gateway.new_array(gateway.jvm.String, 2)
    strings[0] = "x"
    strings[1] = "y"
    assert entry_point.joinAll(strings) == "2:x,y"
    ints = gateway.new_array(gateway.jvm.int, 2)
    ints[0] = 2
    ints[1] = 3
    assert gateway.jvm.fixtures.EntryPoint.sumAll(ints) == 5
    empty = gateway.new_array(gateway.jvm.Object, 0)
    assert entry_point.prefixed("p", empty) == "p0"


def test_str_of_a_java_array_is_java_to_string(entry_point: Any) -> None:
    assert str(entry_point.intArray()).startswith("[I@")
