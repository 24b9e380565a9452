"""Where ferry is deliberately more permissive than Py4J, and the proof that Py4J is not.

ferry resolves calls in two phases: first Py4J's rules, and only when no candidate passes them, a
second phase that accepts what Py4J wrongly rejects: a Python int for a ``double`` or ``float``
parameter, varargs, a static method that shares its name with an instance method. Each behaviour
is asserted against ferry alone (``servers("ferry")``) and its twin asserts, against Py4J alone,
that Py4J refuses the same call, so the difference stays documented by tests.
"""

from __future__ import annotations

from typing import Any

import pytest

ferry_only = pytest.mark.servers("ferry")
py4j_only = pytest.mark.servers("py4j")


def refused_by_py4j(api: Any, call: Any) -> None:
    with pytest.raises(api.Py4JError) as info:
        call()
    assert not isinstance(info.value, api.Py4JJavaError)


# --------------------------------------------------------------------------- int for double/float


@ferry_only
def test_int_for_double_parameter(gateway: Any, entry_point: Any) -> None:
    assert gateway.jvm.java.lang.Math.sqrt(4) == 2.0
    assert gateway.jvm.java.lang.Math.max(3.0, 7) == 7.0
    assert gateway.jvm.java.lang.Math.pow(2, 10) == 1024.0
    assert entry_point.onlyDouble(5) == "double:5.0"
    assert entry_point.onlyFloat(5) == "float:5.0"
    assert entry_point.onlyDouble(2**40) == "double:1.099511627776E12"


@py4j_only
def test_int_for_double_parameter_refused_by_py4j(
    api: Any, gateway: Any, entry_point: Any
) -> None:
    refused_by_py4j(api, lambda: gateway.jvm.java.lang.Math.sqrt(4))
    refused_by_py4j(api, lambda: gateway.jvm.java.lang.Math.max(3.0, 7))
    refused_by_py4j(api, lambda: gateway.jvm.java.lang.Math.pow(2, 10))
    refused_by_py4j(api, lambda: entry_point.onlyDouble(5))
    refused_by_py4j(api, lambda: entry_point.onlyFloat(5))
    refused_by_py4j(api, lambda: entry_point.onlyDouble(2**40))


def test_exact_candidates_still_win(gateway: Any, entry_point: Any) -> None:
    # Both servers: the second phase never changes a call that Py4J's rules already resolve.
    assert entry_point.floatOrDouble(1.5) == "double:1.5"
    assert entry_point.ov(5) == "int:5"
    assert entry_point.onlyDouble(2.5) == "double:2.5"
    assert gateway.jvm.java.lang.Math.max(3, 7) == 7


# --------------------------------------------------------------------------- varargs


@ferry_only
def test_varargs_from_separate_arguments(gateway: Any, entry_point: Any) -> None:
    assert entry_point.joinAll("a", "b") == "2:a,b"
    assert entry_point.joinAll("a") == "1:a"
    assert entry_point.joinAll() == "0:"
    assert gateway.jvm.fixtures.EntryPoint.sumAll(1, 2, 3) == 6
    assert entry_point.prefixed("p", 1, "x") == "p2"
    assert entry_point.prefixed("p") == "p0"
    assert gateway.jvm.java.lang.String.format("%s-%s", "a", "b") == "a-b"


@py4j_only
def test_varargs_from_separate_arguments_refused_by_py4j(
    api: Any, gateway: Any, entry_point: Any
) -> None:
    refused_by_py4j(api, lambda: entry_point.joinAll("a", "b"))
    refused_by_py4j(api, lambda: entry_point.joinAll("a"))
    refused_by_py4j(api, lambda: entry_point.joinAll())
    refused_by_py4j(api, lambda: gateway.jvm.fixtures.EntryPoint.sumAll(1, 2, 3))
    refused_by_py4j(api, lambda: entry_point.prefixed("p", 1, "x"))
    refused_by_py4j(api, lambda: entry_point.prefixed("p"))
    refused_by_py4j(api, lambda: gateway.jvm.java.lang.String.format("%s-%s", "a", "b"))


# --------------------------------------------------------------------------- static/instance name clash


@ferry_only
def test_static_method_sharing_a_name_with_an_instance_method(gateway: Any) -> None:
    double = gateway.jvm.java.lang.Double
    assert double.isNaN(float("nan")) is True
    assert double.isNaN(1.0) is False
    assert gateway.jvm.java.lang.Short.toString(5) == "5"
    assert gateway.jvm.fixtures.Clash.describe(5) == "static:5"
    assert gateway.jvm.fixtures.Clash().describe() == "instance"


@py4j_only
def test_static_method_sharing_a_name_refused_by_py4j(api: Any, gateway: Any) -> None:
    with pytest.raises(
        api.Py4JError, match="fixtures.Clash.describe does not exist in the JVM"
    ):
        gateway.jvm.fixtures.Clash.describe  # noqa: B018
    with pytest.raises(
        api.Py4JError, match="java.lang.Double.isNaN does not exist in the JVM"
    ):
        gateway.jvm.java.lang.Double.isNaN  # noqa: B018
    # The instance method itself is fine.
    assert gateway.jvm.fixtures.Clash().describe() == "instance"


@ferry_only
@pytest.mark.not_embedded("asserts replies read on a raw protocol socket")
def test_static_member_lookup_reply(raw_connect: Any, server: Any) -> None:
    conn = raw_connect(server)
    assert conn.call("r", "m", "fixtures.Clash", "describe", "e") == "!ym"
    assert conn.call("c", "z:fixtures.Clash", "describe", "i5", "e") == "!ysstatic:5"
    assert conn.call("r", "m", "java.lang.Double", "isNaN", "e") == "!ym"
    assert conn.call("c", "z:java.lang.Double", "isNaN", "dNaN", "e") == "!ybtrue"


@py4j_only
def test_static_member_lookup_reply_from_py4j(raw_connect: Any, server: Any) -> None:
    conn = raw_connect(server)
    assert conn.call("r", "m", "fixtures.Clash", "describe", "e").startswith("!xs")
    # The static call itself, sent directly, works on Py4J too: only the lookup refuses.
    assert conn.call("c", "z:fixtures.Clash", "describe", "i5", "e") == "!ysstatic:5"
    assert conn.call("c", "z:java.lang.Double", "isNaN", "dNaN", "e") == "!ybtrue"
