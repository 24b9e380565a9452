"""Bulk values over protocol v2 (ferry's server): Python values to Java collections and arrays in
one frame, Java values back in one round trip, with their edge cases."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import ferry
import numpy as np
import pytest
from ferry.java_collections import JavaArray, JavaList, JavaMap, JavaSet
from ferry.protocol import Py4JError, Py4JJavaError

pytestmark = pytest.mark.servers("ferry")

I32 = (-(2**31), 2**31 - 1)
I64 = (-(2**63), 2**63 - 1)


def round_trip(gw: Any, value: Any) -> Any:
    """``value`` to Java (one frame) and back (one round trip)."""
    java = ferry.to_java(value, gw)
    return ferry.to_python(java)


@pytest.mark.parametrize(
    "value",
    [
        [],
        [1, 2, 3],
        list(I32),
        list(I64),
        [I32[1] + 1, I64[0]],
        [1, 2**40],
        [2**64, -(2**80), 5],
        [0.5, -0.0, float("inf"), float("-inf"), 1e-310],
        [True, False, True],
        ["", "é", "😀 emoji", "line\nbreak", "tab\t\\", "\u0000nul"],
        [None, 1, "two", 3.5, True, None],
        [[1, 2], [], [[3]], ["x", [4.5]]],
        [b"\x00\xff", bytearray(b"ab"), b""],
        [
            Decimal("1.50"),
            Decimal("-0.000001"),
            Decimal("123456789012345678901234567890.5"),
        ],
        {"a": 1, "b": [1, 2], "c": {"d": None}},
        {},
        {1: "one", 2.5: "two and a half", "k": {"nested": {"deeper": [1]}}},
        {1, 2, 3},
        set(),
        {"x", "y"},
    ],
    ids=repr,
)
def test_values_round_trip(gw: Any, value: Any) -> None:
    assert round_trip(gw, value) == value


def test_tuples_and_frozensets_come_back_as_lists_and_sets(gw: Any) -> None:
    assert round_trip(gw, (1, (2, 3))) == [1, [2, 3]]
    assert round_trip(gw, frozenset({1, 2})) == {1, 2}
    assert round_trip(gw, range(5)) == [0, 1, 2, 3, 4]
    assert round_trip(gw, (x * 2 for x in range(3))) == [0, 2, 4]


def test_nan_survives(gw: Any) -> None:
    back = round_trip(gw, [float("nan"), 1.0])
    assert math.isnan(back[0]) and back[1] == 1.0


def test_java_classes_of_what_was_sent(gw: Any, data: Any) -> None:
    d = data.describe
    assert d(ferry.to_java([1, 2], gw)) == "java.util.ArrayList<Integer,Integer>"
    assert d(ferry.to_java([1, 2**40], gw)) == "java.util.ArrayList<Integer,Long>"
    assert d(ferry.to_java([2**40], gw)) == "java.util.ArrayList<Long>"
    assert d(ferry.to_java([1.5], gw)) == "java.util.ArrayList<Double>"
    assert d(ferry.to_java([True], gw)) == "java.util.ArrayList<Boolean>"
    assert d(ferry.to_java([2**70], gw)) == "java.util.ArrayList<BigInteger>"
    assert d(ferry.to_java(["a", None], gw)) == "java.util.ArrayList<String,null>"
    assert d(ferry.to_java({1}, gw)) == "java.util.HashSet<Integer>"
    assert d(ferry.to_java({"a": 1}, gw)) == "java.util.HashMap"
    assert d(ferry.to_java([b"x"], gw)) == "java.util.ArrayList<byte[]>"


def test_large_values_are_one_frame_each_way(gw: Any, data: Any, delta: Any) -> None:
    values = list(range(100_000))
    d = delta(gw)
    java = ferry.to_java(values, gw)
    assert (d()["frames"], d()["round_trips"]) == (1, 1)
    d = delta(gw)
    assert ferry.to_python(java) == values
    assert d()["round_trips"] == 1
    strings = [f"s{i}é" for i in range(50_000)]
    assert round_trip(gw, strings) == strings
    many = ferry.to_python(data.range(100_000))
    assert many == values
    doubles = [i / 7 for i in range(200_000)]
    assert round_trip(gw, doubles) == doubles


def test_java_objects_travel_by_reference_inside_values(gw: Any, data: Any) -> None:
    sb = gw.jvm.java.lang.StringBuilder("inside")
    java = ferry.to_java({"sb": sb, "list": [sb, 1]}, gw)
    assert isinstance(java, JavaMap)
    back = ferry.to_python(java)
    assert str(back["sb"]) == "inside"
    assert back["sb"] == sb
    assert str(back["list"][0]) == "inside"


def test_datetime_values_round_trip(gw: Any) -> None:
    values = [
        dt.date(2024, 2, 29),
        dt.time(10, 15, 30, 500),
        dt.datetime(2024, 2, 29, 10, 15, 30, 123456),
        dt.datetime(2024, 2, 29, 10, 15, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
        dt.timedelta(days=-1, seconds=5, microseconds=7),
        dt.timedelta(hours=50),
    ]
    assert round_trip(gw, values) == values
    with pytest.raises(ValueError, match="OffsetTime"):
        ferry.to_java([dt.time(1, tzinfo=dt.timezone.utc)], gw)


def test_to_python_reads_a_nesting_deeply(data: Any) -> None:
    value = ferry.to_python(data.nested())
    assert value["ints"] == [1, 2, 3]
    assert value["mixed"] == [1, "two", 3.5, None, True]
    assert value["decimal"] == Decimal("1.50")
    assert value["big"] == 123456789012345678901234567890
    assert value["char"] == "x"
    assert value["date"] == dt.date(2024, 2, 29)
    assert value["time"] == dt.time(10, 15, 30, 500000)
    assert value["datetime"] == dt.datetime(2024, 2, 29, 10, 15, 30)
    assert value["offset"] == dt.datetime(
        2024, 2, 29, 10, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    assert value["duration"] == dt.timedelta(seconds=-5, microseconds=250)
    assert value["inner"] == {"k": [7, 8]}
    assert value["doubles"][0] == 1.5 and math.isnan(value["doubles"][1])
    assert value["set"] == {"a", "b"}


def test_to_python_of_values_that_are_not_java_objects(gw: Any) -> None:
    assert ferry.to_python(5) == 5
    assert ferry.to_python("s") == "s"


def test_bytes_travel_raw(gw: Any, data: Any, delta: Any) -> None:
    big = bytes(range(256)) * 40_000  # 10 MB
    d = delta(gw)
    assert data.byteLength(big) == len(big)
    assert d()["frames"] == 1
    assert data.byteLength(bytearray(big)) == len(big)
    assert data.byteLength(memoryview(big)[10:20]) == 10
    assert data.byteSum(b"\x01\xff") == 0
    back = data.keep(big)
    assert back == big and isinstance(back, bytes)
    assert data.keep(b"") == b""


def test_auto_convert_sends_collections_in_the_call_s_frame(
    auto_gw: Any, delta: Any
) -> None:
    data = auto_gw.jvm.fixtures.BulkData()
    assert data.describe([1, 2]) == "java.util.ArrayList<Integer,Integer>"
    d = delta(auto_gw)
    assert data.describe(list(range(100_000))).startswith("java.util.ArrayList<Integer")
    assert (d()["frames"], d()["round_trips"]) == (1, 1)
    assert data.describe({1, 2}) == "java.util.HashSet<Integer,Integer>"
    assert data.describe({"a": [1]}) == "java.util.HashMap"
    echoed = data.echoMap({"a": [1, {"b": {2}}]})
    assert ferry.to_python(echoed) == {"a": [1, {"b": {2}}]}
    # Where the parameter is an array, the list becomes one.
    assert data.arrayParam([1, 2, 3]) == "int[3] sum 6"
    assert data.arrayParam([0.5, 0.25]) == "double[2] sum 0.75"
    assert data.arrayParam(["a", "b"]) == "String[2] a,b"
    assert data.longArray([1, 2]) == "long[2] sum 3"
    assert data.longArray([2**40, 2**41]) == f"long[2] sum {2**40 + 2**41}"
    assert data.arrayParam([]) in ("int[0] sum 0", "double[0] sum 0.0", "String[0] ")


def test_without_auto_convert_collections_are_refused_as_in_py4j(
    gw: Any, data: Any
) -> None:
    with pytest.raises(AttributeError, match="_get_object_id"):
        data.describe([1, 2])
    with pytest.raises(Py4JError, match="does not fit in a Java long"):
        data.echo(2**64)


def test_java_iterables_and_converters_over_v2(gw: Any, delta: Any) -> None:
    from ferry.java_collections import ListConverter, MapConverter, SetConverter

    client = gw._gateway_client
    d = delta(gw)
    java_list = ListConverter().convert(list(range(1000)), client)
    assert d()["round_trips"] == 1
    assert isinstance(java_list, JavaList) and len(java_list) == 1000
    assert isinstance(SetConverter().convert({1}, client), JavaSet)
    assert isinstance(MapConverter().convert({1: 2}, client), JavaMap)


# ------------------------------------------------------------------------------------ numpy


@pytest.mark.parametrize(
    ("dtype", "method"),
    [
        ("bool", "count"),
        ("int8", "byteSum"),
        ("int16", "sum"),
        ("int32", "sum"),
        ("int64", "sum"),
        ("float32", "sum"),
        ("float64", "sum"),
    ],
)
def test_numpy_arrays_become_primitive_arrays(
    gw: Any, data: Any, dtype: str, method: str
) -> None:
    rng = np.random.default_rng(5)
    if dtype == "bool":
        arr = rng.integers(0, 2, 1001).astype(bool)
    elif dtype.startswith("float"):
        arr = rng.standard_normal(1001).astype(dtype)
    else:
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, 1001, dtype=dtype, endpoint=True)
    expected = int(arr.sum(dtype="int64")) if dtype != "bool" else int(arr.sum())
    got = getattr(data, method)(arr)
    if dtype.startswith("float"):
        assert got == pytest.approx(float(arr.astype("float64").sum()), rel=1e-5)
    else:
        assert got == expected
    java = ferry.to_java(arr, gw)
    assert isinstance(java, (JavaArray, bytes))
    back = ferry.to_numpy(java)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, arr)


def test_numpy_edge_cases(gw: Any, data: Any) -> None:
    base = np.arange(20, dtype=np.float64)
    strided = base[::3]
    assert not strided.flags["C_CONTIGUOUS"]
    assert data.sum(strided) == float(strided.sum())
    big_endian = np.arange(10, dtype=">i8")
    assert data.sum(big_endian) == 45
    assert data.sum(np.array([], dtype=np.float64)) == 0.0
    nan = np.array([np.nan, np.inf, -0.0])
    back = ferry.to_numpy(ferry.to_java(nan, gw))
    assert math.isnan(back[0]) and back[1] == np.inf and math.copysign(1, back[2]) < 0
    for bad, match in [
        (np.arange(4, dtype=np.uint8), "dtype uint8"),
        (np.arange(4, dtype=np.complex128), "dtype complex128"),
        (np.array(["a"], dtype=object), "dtype object"),
        (np.zeros((2, 2)), "only one-dimensional"),
    ]:
        with pytest.raises((TypeError, ValueError), match=match):
            data.sum(bad)
        with pytest.raises((TypeError, ValueError), match=match):
            ferry.to_java(bad, gw)


def test_numpy_arrays_come_back_in_the_receive_buffer(gw: Any, data: Any) -> None:
    n = 1_000_000
    arr = ferry.to_numpy(data.doubles(n))
    assert arr.dtype == np.float64 and arr.shape == (n,)
    assert arr[0] == 0.0 and arr[-1] == (n - 1) * 0.5
    assert arr.flags["WRITEABLE"] and arr.flags["ALIGNED"]
    arr[0] = 9.0  # writable, owned by numpy
    ints = ferry.to_numpy(data.ints(10))
    assert ints.dtype == np.int32 and list(ints) == list(range(-5, 5))
    # A list of boxed numbers too.
    assert list(ferry.to_numpy(data.range(5))) == [0, 1, 2, 3, 4]
    assert ferry.to_numpy(data.range(5)).dtype == np.int32
    with pytest.raises(Py4JError, match="not a primitive array"):
        ferry.to_numpy(data.strings(3))


def test_numpy_scalars_are_numbers(auto_gw: Any) -> None:
    data = auto_gw.jvm.fixtures.BulkData()
    values = [np.int64(3), np.float32(0.5), np.int8(-1)]
    assert data.describe(values) == "java.util.ArrayList<Integer,Double,Integer>"


def test_values_nested_too_deeply_are_refused(gw: Any) -> None:
    value: list[Any] = []
    for _ in range(100):
        value = [value]
    with pytest.raises(ValueError, match="nested more than 64 levels"):
        ferry.to_java(value, gw)
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested more than 64 levels"):
        ferry.to_java(loop, gw)


def test_unknown_objects_are_a_clear_error(gw: Any) -> None:
    class Thing:
        pass

    with pytest.raises(TypeError, match="'Thing' cannot be sent to Java by value"):
        ferry.to_java([Thing()], gw)


def test_to_java_finds_the_gateway_or_asks_for_it(
    gw: Any, make_gateway: Any, server: Any
) -> None:
    other = make_gateway(server)
    assert other is not gw
    with pytest.raises(Py4JError, match="pass gateway="):
        ferry.to_java([1])
    assert isinstance(ferry.to_java([1], other), JavaList)
    assert isinstance(ferry.to_java([1], gw.entry_point), JavaList)


def test_errors_in_java_still_raise(data: Any) -> None:
    with pytest.raises(Py4JJavaError):
        data.keptBuffer(0, 1)  # nothing kept: a NullPointerException
