"""Against Py4J's own GatewayServer the client speaks Py4J's protocol: py4j's behaviour, and the
new APIs either fall back or say what they need."""

from __future__ import annotations

from typing import Any

import ferry
import numpy as np
import pytest
from ferry.java_collections import JavaList, JavaMap, JavaSet
from ferry.protocol import Py4JError

pytestmark = pytest.mark.servers("py4j")


def test_the_client_speaks_v1(gw: Any) -> None:
    assert gw.entry_point.echoInt(3) == 3
    assert gw._gateway_client.protocol == 1
    assert gw._gateway_client.stats()["frames"] == 0


def test_auto_convert_builds_collections_call_by_call_in_batches(
    auto_gw: Any, delta: Any
) -> None:
    data = auto_gw.jvm.fixtures.BulkData()
    assert data.describe([1, 2]) == "java.util.ArrayList<Integer,Integer>"
    d = delta(auto_gw)
    assert data.describe(list(range(2000))).startswith("java.util.ArrayList<Integer")
    moved = d()
    # ArrayList(), one add per element in pipelined batches, the call.
    assert moved["commands"] >= 2000
    assert moved["round_trips"] < 10
    assert data.describe({"a": 1}) == "java.util.HashMap"


def test_to_java_falls_back_to_the_converters(gw: Any) -> None:
    java = ferry.to_java([1, "two"], gw)
    assert isinstance(java, JavaList) and list(java) == [1, "two"]
    assert isinstance(ferry.to_java({1}, gw), JavaSet)
    assert isinstance(ferry.to_java({1: 2}, gw), JavaMap)
    assert ferry.to_java(5, gw) == 5
    with pytest.raises(Py4JError, match="needs a ferry gateway"):
        ferry.to_java(np.arange(3), gw)


def test_to_python_walks_collections_in_batches(data: Any, gw: Any, delta: Any) -> None:
    jlist = data.range(3000)
    d = delta(gw)
    assert ferry.to_python(jlist) == list(range(3000))
    # size(), then pipelined batches of get(i): not one round trip per element.
    assert d()["round_trips"] <= 8, d()
    assert ferry.to_python(gw.entry_point.makeMap()) == {"a": 1, "b": 2, "c": 3}
    assert ferry.to_python(gw.entry_point.makeSet()) == {"x", "y", "z"}
    assert ferry.to_python(data.ints(4)) == [-2, -1, 0, 1]
    nested = ferry.to_python(data.nested())
    assert nested["ints"] == [1, 2, 3]
    assert nested["inner"] == {"k": [7, 8]}


def test_to_numpy_falls_back_too(data: Any) -> None:
    arr = ferry.to_numpy(data.doubles(1000))
    assert arr.dtype == np.float64 and arr[-1] == 999 * 0.5
    assert ferry.to_numpy(data.ints(4)).dtype == np.int32


def test_iteration_is_py4j_s(data: Any, gw: Any, delta: Any) -> None:
    jlist = data.range(50)
    d = delta(gw)
    assert list(jlist) == list(range(50))
    # One next() per element (py4j's way).
    assert d()["round_trips"] >= 50
