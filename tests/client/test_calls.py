"""ferry's client: calls, constructors, fields, reflection and the proxy classes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from ferry import java_gateway as jg
from ferry.java_collections import JavaArray, JavaList, JavaMap, JavaSet
from ferry.protocol import Py4JError, Py4JJavaError


def test_values_travel_both_ways(fgateway: Any) -> None:
    ep = fgateway.entry_point
    assert ep.echoInt(-7) == -7
    assert ep.echoLong(5_000_000_000) == 5_000_000_000
    assert ep.echoDouble(1.5) == 1.5
    assert ep.echoBoolean(True) is True
    assert ep.echoString("line\nback\\slash\ttab\r") == "line\nback\\slash\ttab\r"
    assert ep.echoString("é😀") == "é😀"
    assert ep.echoBytes(b"\x00\x01\xff") == b"\x00\x01\xff"
    assert ep.echoBytes(bytearray(b"ab")) == b"ab"
    assert ep.echoDecimal(Decimal("1.25")) == Decimal("1.25")
    assert ep.echoObject(None) is None
    assert ep.doNothing() is None
    assert ep.getNull() is None
    assert ep.getShort() == ep.getShort()
    assert isinstance(ep.getFloat(), float)
    assert ep.getNaN() != ep.getNaN()
    assert ep.getInfinity() == float("inf")
    assert ep.isNaN(float("nan")) is True
    assert ep.isPositiveInfinity(float("inf")) is True


def test_integers_beyond_a_java_long_are_refused_locally(fgateway: Any) -> None:
    with pytest.raises(Py4JError, match="does not fit in a Java long"):
        fgateway.entry_point.echoLong(2**64)
    assert fgateway.entry_point.echoLong(-(2**63)) == -(2**63)


def test_constructors_and_instance_calls(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder("abc")
    assert isinstance(sb, jg.JavaObject)
    sb.append(1.5).append(True).append("x")
    assert sb.toString() == "abc1.5truex"
    assert str(sb) == "abc1.5truex"
    assert sb.length() == 11
    assert repr(sb).startswith("JavaObject id=")
    rnd = fgateway.jvm.java.util.Random(42)
    assert rnd.nextInt(10) == fgateway.jvm.java.util.Random(42).nextInt(10)


def test_returned_collections_get_their_proxy_class(fgateway: Any) -> None:
    ep = fgateway.entry_point
    assert isinstance(ep.makeList(2), JavaList)
    assert isinstance(ep.makeMap(), JavaMap)
    assert isinstance(ep.makeSet(), JavaSet)
    assert isinstance(ep.intArray(), JavaArray)
    assert list(ep.makeIterator(3)) == [0, 1, 2]


def test_members_are_java_members_and_keep_their_object(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder("xy")
    member = sb.length
    assert isinstance(member, jg.JavaMember)
    assert member.name == "length"
    assert member.container is sb
    assert member.target_id == sb._get_object_id()
    assert member.command_header == sb._get_object_id() + "\nlength\n"
    del sb
    # The member keeps its object alive (and bound on the Java side).
    assert member() == 2


def test_dunder_names_never_reach_java(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder()
    with pytest.raises(AttributeError):
        sb.__len__  # noqa: B018
    with pytest.raises(AttributeError):
        fgateway.jvm.java.__wrapped__  # noqa: B018


def test_equality_and_hash_are_java_equals_and_hash_code(fgateway: Any) -> None:
    a = fgateway.jvm.java.lang.Integer(5)
    b = fgateway.jvm.java.lang.Integer(5)
    s1 = fgateway.jvm.java.util.HashSet()
    s2 = fgateway.jvm.java.util.HashSet()
    assert s1 == s2
    assert hash(s1) == s1.hashCode()
    assert s1 != None
    assert a == b


def test_static_members(fgateway: Any) -> None:
    math = fgateway.jvm.java.lang.Math
    assert isinstance(math, jg.JavaClass)
    assert math._fqn == "java.lang.Math"
    assert math.abs(-5) == 5
    assert math.max(3, 7) == 7
    assert fgateway.jvm.java.lang.Integer.MAX_VALUE == 2**31 - 1
    assert fgateway.jvm.fixtures.EntryPoint.STATIC_STRING == "static"
    assert fgateway.jvm.fixtures.EntryPoint.add(2, 3) == 5
    with pytest.raises(Py4JError, match="does not exist in the JVM"):
        math.noSuchMember  # noqa: B018


def test_nested_classes(fgateway: Any) -> None:
    inner = fgateway.jvm.fixtures.EntryPoint.Inner
    assert isinstance(inner, jg.JavaClass)
    assert inner._fqn == "fixtures.EntryPoint$Inner"
    assert inner(4).value() == 4
    assert inner.hello() == fgateway.jvm.fixtures.EntryPoint.Inner.hello()
    entry = fgateway.jvm.java.util.Map.Entry
    assert entry._fqn == "java.util.Map$Entry"


def test_packages_and_views(fgateway: Any) -> None:
    java = fgateway.jvm.java
    assert isinstance(java, jg.JavaPackage)
    assert java._fqn == "java"
    assert isinstance(fgateway.jvm, jg.JVMView)
    # java.lang is imported in every view.
    assert fgateway.jvm.StringBuilder("abc").length() == 3
    with pytest.raises(TypeError):
        java()
    with pytest.raises(Py4JError, match="Trying to call a package"):
        java.__call__  # noqa: B018
    assert jg.UserHelpAutoCompletion.KEY in dir(java)


def test_java_import_and_new_views(fgateway: Any) -> None:
    view = fgateway.new_jvm_view("mine")
    assert isinstance(view, jg.JVMView)
    assert isinstance(view.ArrayList, jg.JavaPackage)  # not imported yet: a "package"
    jg.java_import(view, "java.util.*")
    assert isinstance(view.ArrayList, jg.JavaClass)
    assert view.ArrayList().size() == 0
    jg.java_import(view, "java.util.concurrent.ConcurrentHashMap")
    assert view.ConcurrentHashMap().size() == 0
    assert "ConcurrentHashMap" in dir(view)
    # The default view did not get the imports.
    assert isinstance(fgateway.jvm.ConcurrentHashMap, jg.JavaPackage)


def test_fields(fgateway: Any) -> None:
    ep = fgateway.entry_point
    assert jg.get_field(ep, "intField") == 7
    assert jg.get_field(ep, "stringField") == "hello"
    jg.set_field(ep, "intField", 9)
    try:
        assert jg.get_field(ep, "intField") == 9
    finally:
        jg.set_field(ep, "intField", 7)
    with pytest.raises(Py4JError, match="no field nope in object t"):
        jg.get_field(ep, "nope")
    with pytest.raises(Py4JError, match="no field nope in object t"):
        jg.set_field(ep, "nope", 1)
    # Without auto_field an attribute is a method.
    assert isinstance(ep.intField, jg.JavaMember)
    assert ep.shadowed() == jg.get_method(ep, "shadowed")()


def test_reflection_class_objects_and_instance_checks(fgateway: Any) -> None:
    string_class = jg.get_java_class(fgateway.jvm.java.lang.String)
    assert string_class.getName() == "java.lang.String"
    lst = fgateway.jvm.java.util.ArrayList()
    assert jg.is_instance_of(fgateway, lst, "java.util.List")
    assert jg.is_instance_of(fgateway, lst, fgateway.jvm.java.util.Collection)
    assert not jg.is_instance_of(fgateway, lst, "java.util.Map")
    assert jg.is_instance_of(fgateway, lst, fgateway.jvm.java.util.ArrayList())
    with pytest.raises(Py4JError):
        jg.is_instance_of(fgateway, lst, 3)
    with pytest.raises(Py4JError, match="does not exist in the JVM"):
        jg.JavaClass("java.lang.NoSuchThing", fgateway._gateway_client)._java_lang_class  # noqa: B018


def test_dir_of_objects_and_classes(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder()
    assert {"append", "length", "toString"} <= set(dir(sb))
    assert {"abs", "max", "PI"} <= set(dir(fgateway.jvm.java.lang.Math))


def test_help_pages(fgateway: Any) -> None:
    page = fgateway.help(fgateway.jvm.java.lang.StringBuilder(), display=False)
    assert "length" in page
    page = fgateway.help(fgateway.jvm.java.lang.Math, pattern="abs*", display=False)
    assert "abs" in page and "max(" not in page
    member_page = fgateway.help(
        fgateway.jvm.java.lang.StringBuilder().length, display=False
    )
    assert "length" in member_page
    with pytest.raises(Py4JError):
        fgateway.help(3, display=False)


def test_java_exceptions_carry_the_java_stack_trace(fgateway: Any) -> None:
    with pytest.raises(Py4JJavaError) as caught:
        fgateway.jvm.java.lang.Integer.parseInt("abc")
    error = caught.value
    assert (
        error.errmsg
        == "An error occurred while calling z:java.lang.Integer.parseInt.\n"
    )
    assert (
        error.java_exception.getClass().getName() == "java.lang.NumberFormatException"
    )
    text = str(error)
    assert "java.lang.NumberFormatException" in text
    assert '"abc"' in text
    assert "\tat " in text
    assert str(error) == text


def test_py4j_level_errors(fgateway: Any) -> None:
    with pytest.raises(
        Py4JError, match=r"An error occurred while calling t\.noSuchMethod"
    ):
        fgateway.entry_point.noSuchMethod()
    with pytest.raises(
        Py4JError, match=r"An error occurred while calling None\.java\.lang\.Math"
    ):
        fgateway.jvm.java.lang.Math()


def test_gateway_forwards_unknown_attributes_to_the_entry_point(fgateway: Any) -> None:
    assert fgateway.echoInt(3) == 3
    assert fgateway.entry_point._get_object_id() == "t"
    assert fgateway.java_gateway_server._get_object_id() == "GATEWAY_SERVER"
    with pytest.raises(AttributeError):
        fgateway.__nothing__  # noqa: B018


def test_arrays(fgateway: Any) -> None:
    ints = fgateway.new_array(fgateway.jvm.int, 3)
    assert isinstance(ints, JavaArray)
    ints[0] = 5
    ints[-1] = 7
    assert list(ints) == [5, 0, 7]
    grid = fgateway.new_array(fgateway.jvm.double, 2, 3)
    assert len(grid) == 2 and len(grid[0]) == 3
    with pytest.raises(Py4JError, match="at least one dimension"):
        fgateway.new_array(fgateway.jvm.int)


def test_detach_releases_an_object(fgateway: Any) -> None:
    sb = fgateway.jvm.java.lang.StringBuilder("x")
    fgateway.detach(sb)
    with pytest.raises(Py4JError):
        sb.length()


def test_raw_send_command_is_py4j_s(fgateway: Any) -> None:
    client = fgateway._gateway_client
    answer = client.send_command("c\nz:java.lang.Math\nabs\ni-2\ne\n")
    assert answer == "yi2"
    assert jg.get_return_value(answer, client) == 2
    assert client.send_command("r\nu\njava\nrj\ne\n") == "yp"


def test_stream_calls_read_the_channel(fgateway: Any) -> None:
    data = b"stream me"
    channel = fgateway.jvm.java.nio.channels.Channels.newChannel(
        fgateway.jvm.java.io.ByteArrayInputStream(data)
    )
    holder = fgateway.jvm.java.util.concurrent.atomic.AtomicReference(channel)
    with holder.get.stream() as guard:
        assert guard.read(len(data)) == data


def test_eager_load_connects_at_construction(
    ferry_gateway_factory: Any, server: Any
) -> None:
    gateway = ferry_gateway_factory(server, eager_load=True)
    assert gateway._gateway_client.stats()["connections_opened"] == 1
