"""Exact replies to well-formed commands, byte for byte where Py4J's reply has no varying part.

Object ids vary with what ran before, so replies that carry one are matched with a pattern.
These run on the shared server: every command here is well formed and releases what it makes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.not_embedded(
    "asserts the bytes of Py4J's protocol on a raw socket; embedded calls send no bytes"
)


@pytest.fixture
def conn(raw_connect: Any, server: Any) -> Iterator[Any]:
    connection = raw_connect(server)
    yield connection


def object_id(reply: str, prefix: str) -> str:
    """The id in a reply such as ``!yro12`` (prefix ``!yr``) or ``!ylo3`` (prefix ``!yl``)."""
    match = re.fullmatch(re.escape(prefix) + r"(o\d+)", reply)
    assert match, f"{reply!r} is not {prefix}<id>"
    return match.group(1)


@pytest.mark.parametrize(
    ("method", "args", "reply"),
    [
        ("echoInt", ["i42"], "!yi42"),
        ("echoInt", ["i-2147483648"], "!yi-2147483648"),
        # Python sends ints beyond 32 bits as L; Java answers a long with L.
        ("echoLong", ["L5000000000"], "!yL5000000000"),
        # An i value that overflows int is taken as a long.
        ("echoLong", ["i5000000000"], "!yL5000000000"),
        ("getLong", [], "!yL-9223372036854775808"),
        ("getShort", [], "!yi-12345"),
        ("getByte", [], "!yi-7"),
        ("getBoxedInt", [], "!yi-3"),
        ("echoDouble", ["d1.5"], "!yd1.5"),
        ("echoDouble", ["d1e-05"], "!yd1.0E-5"),
        ("echoDouble", ["dInfinity"], "!ydInfinity"),
        ("echoDouble", ["d-Infinity"], "!yd-Infinity"),
        ("echoDouble", ["dNaN"], "!ydNaN"),
        ("getFloat", [], "!yd1.25"),
        ("getBoxedFloat", [], "!yd0.1"),
        ("echoBoolean", ["bTrue"], "!ybtrue"),
        ("echoBoolean", ["bfalse"], "!ybfalse"),
        ("echoString", ["shello"], "!yshello"),
        ("echoString", ["s"], "!ys"),
        ("echoString", ["s\\nhello\\\\world\\r"], "!ys\\nhello\\\\world\\r"),
        ("echoString", ["s\u00e9\U0001f600\ttab"], "!ys\u00e9\U0001f600\ttab"),
        ("getChar", [], "!ysz"),
        ("getBoxedChar", [], "!ys\u00e9"),
        ("getDecimal", [], "!yD1234.5678"),
        ("getDecimalExponent", [], "!yD1000"),
        ("echoDecimal", ["D-1.2E+5"], "!yD-120000"),
        ("echoBytes", ["jAAH/"], "!yjAAH/"),
        ("echoBytes", ["j"], "!yj"),
        ("getNull", [], "!yn"),
        ("echoObject", ["n"], "!yn"),
        ("doNothing", [], "!yv"),
        ("ov", ["i5"], "!ysint:5"),
        ("onlyChar", ["sxyz"], "!yschar:x"),
    ],
)
def test_value_replies(conn: Any, method: str, args: list[str], reply: str) -> None:
    assert conn.call("c", "t", method, *args, "e") == reply


def test_bytes_reply_is_base64_on_one_line(conn: Any) -> None:
    reply = conn.call("c", "t", "getBytes", "e")
    assert reply == "!yj" + base64.b64encode(bytes(range(256))).decode()


def test_static_call(conn: Any) -> None:
    assert conn.call("c", "z:java.lang.Math", "max", "i3", "i7", "e") == "!yi7"
    assert conn.call("c", "z:fixtures.EntryPoint", "add", "i2", "i3", "e") == "!yi5"


def test_reference_kinds(conn: Any) -> None:
    made = []
    for method, prefix in [
        ("makeList", "!yl"),
        ("makeMap", "!ya"),
        ("makeSet", "!yh"),
        ("intArray", "!yt"),
        ("makeIterator", "!yg"),
        ("getBigInteger", "!yr"),
    ]:
        args = ["i2"] if method in ("makeList", "makeIterator") else []
        made.append(object_id(conn.call("c", "t", method, *args, "e"), prefix))
    assert len(set(made)) == len(made)
    for oid in made:
        assert conn.call("m", "d", oid, "e") == "!yv"


def test_constructor_and_calls_on_the_new_object(conn: Any) -> None:
    builder = object_id(conn.call("i", "java.lang.StringBuilder", "sabc", "e"), "!yr")
    again = object_id(conn.call("c", builder, "append", "d1.5", "e"), "!yr")
    assert again != builder
    assert conn.call("c", builder, "toString", "e") == "!ysabc1.5"
    array_list = object_id(conn.call("i", "java.util.ArrayList", "e"), "!yl")
    assert conn.call("c", array_list, "add", "s\\nhello\\\\world", "e") == "!ybtrue"
    assert conn.call("c", array_list, "get", "i0", "e") == "!ys\\nhello\\\\world"
    iterator = object_id(conn.call("c", array_list, "iterator", "e"), "!yg")
    for oid in (builder, again, array_list, iterator):
        assert conn.call("m", "d", oid, "e") == "!yv"


def test_fields(conn: Any) -> None:
    point = object_id(conn.call("i", "fixtures.Point", "i1", "i2", "e"), "!yr")
    assert conn.call("f", "g", point, "x", "e") == "!yi1"
    assert conn.call("f", "s", point, "x", "i10", "e") == "!yv"
    assert conn.call("f", "g", point, "x", "e") == "!yi10"
    assert conn.call("f", "g", point, "nosuch", "e") == "!yo"
    assert conn.call("f", "g", point, "ctor", "e") == "!ys(int,int)"
    assert conn.call("m", "d", point, "e") == "!yv"


def test_reflection(conn: Any) -> None:
    assert conn.call("r", "u", "java", "rj", "e") == "!yp"
    assert conn.call("r", "u", "java.util", "rj", "e") == "!yp"
    assert conn.call("r", "u", "String", "rj", "e") == "!ycjava.lang.String"
    assert (
        conn.call("r", "u", "java.util.ArrayList", "rj", "e")
        == "!ycjava.util.ArrayList"
    )
    assert (
        conn.call("r", "u", "fixtures.EntryPoint", "rj", "e")
        == "!ycfixtures.EntryPoint"
    )
    assert conn.call("r", "u", "int", "rj", "e") == "!ycint"
    assert conn.call("r", "m", "java.lang.Integer", "MAX_VALUE", "e") == "!yi2147483647"
    assert (
        conn.call("r", "m", "fixtures.EntryPoint", "STATIC_STRING", "e") == "!ysstatic"
    )
    assert conn.call("r", "m", "fixtures.EntryPoint", "STATIC_NULL", "e") == "!yn"
    assert conn.call("r", "m", "java.lang.Integer", "parseInt", "e") == "!ym"
    assert conn.call("r", "m", "java.util.Map", "Entry", "e") == "!yc"
    assert conn.call("r", "m", "fixtures.EntryPoint", "Inner", "e") == "!yc"
    list_id = object_id(
        conn.call("r", "m", "fixtures.EntryPoint", "STATIC_LIST", "e"), "!yl"
    )
    class_id = object_id(conn.call("r", "c", "java.lang.String", "e"), "!yr")
    assert conn.call("c", class_id, "getName", "e") == "!ysjava.lang.String"
    for oid in (list_id, class_id):
        assert conn.call("m", "d", oid, "e") == "!yv"


def test_arrays(conn: Any) -> None:
    array = object_id(conn.call("a", "c", "sint", "i3", "e"), "!yt")
    assert conn.call("a", "e", array, "e") == "!yi3"
    assert conn.call("a", "g", array, "i0", "e") == "!yi0"
    assert conn.call("a", "s", array, "i0", "i5", "e") == "!yv"
    assert conn.call("a", "s", array, "i2", "i7", "e") == "!yv"
    assert conn.call("a", "g", array, "i0", "e") == "!yi5"
    part = object_id(conn.call("a", "l", array, "i2", "i0", "e"), "!yt")
    assert conn.call("c", "t", "sumIntArray", "r" + part, "e") == "!yi12"
    assert conn.call("a", "e", part, "e") == "!yi2"
    grid = object_id(conn.call("a", "c", "sjava.lang.String", "i2", "i3", "e"), "!yt")
    row = object_id(conn.call("a", "g", grid, "i1", "e"), "!yt")
    assert conn.call("a", "e", row, "e") == "!yi3"
    assert conn.call("a", "g", row, "i2", "e") == "!yn"
    # byte[] is a value even when created empty.
    assert conn.call("a", "c", "sbyte", "i2", "e") == "!yjAAA="
    for oid in (array, part, grid, row):
        assert conn.call("m", "d", oid, "e") == "!yv"


def test_list_sub_commands(conn: Any) -> None:
    first = object_id(conn.call("c", "t", "makeList", "i3", "e"), "!yl")
    second = object_id(conn.call("c", "t", "makeList", "i2", "e"), "!yl")
    made = [first, second]
    assert conn.call("l", "f", first, "i1", "e") == "!yi1"
    made.append(object_id(conn.call("l", "l", first, "i2", "i0", "e"), "!yl"))
    made.append(object_id(conn.call("l", "a", first, second, "e"), "!yl"))
    made.append(object_id(conn.call("l", "m", first, "i2", "e"), "!yl"))
    assert conn.call("c", made[-1], "size", "e") == "!yi6"
    assert conn.call("l", "i", first, "i2", "e") == "!yv"
    assert conn.call("c", first, "size", "e") == "!yi6"
    assert conn.call("l", "r", first, "e") == "!yv"
    assert conn.call("c", first, "get", "i0", "e") == "!yi2"
    assert conn.call("l", "s", first, "e") == "!yv"
    assert conn.call("c", first, "get", "i0", "e") == "!yi0"
    for oid in made:
        assert conn.call("m", "d", oid, "e") == "!yv"


def test_exception_and_its_stack_trace(conn: Any) -> None:
    error = object_id(
        conn.call("c", "z:java.lang.Integer", "parseInt", "sabc", "e"), "!xr"
    )
    trace = conn.call("p", "r" + error, "e")
    assert trace.startswith(
        '!ysjava.lang.NumberFormatException: For input string: "abc"\\n\tat '
    )
    error = object_id(conn.call("c", "t", "throwUnchecked", "e"), "!xr")
    trace = conn.call("p", "r" + error, "e")
    assert trace.startswith(
        "!ysjava.lang.IllegalStateException: unchecked boom\\n\tat fixtures.EntryPoint."
    )
    assert "\\nCaused by: java.lang.IllegalArgumentException: root cause\\n" in trace
    assert "\n" not in trace


def test_views(conn: Any) -> None:
    view = object_id(conn.call("j", "c", "smy view", "e"), "!yr")
    assert conn.call("r", "u", "ArrayList", "r" + view, "e") == "!yp"
    assert conn.call("j", "i", "r" + view, "java.util.ArrayList", "e") == "!yv"
    assert conn.call("r", "u", "ArrayList", "r" + view, "e") == "!ycjava.util.ArrayList"
    assert conn.call("j", "i", "r" + view, "java.util.concurrent.*", "e") == "!yv"
    assert (
        conn.call("r", "u", "ConcurrentHashMap", "r" + view, "e")
        == "!ycjava.util.concurrent.ConcurrentHashMap"
    )
    listing = conn.call("d", "v", "r" + view, "n", "e")
    match = re.fullmatch(r"!ys(\d+)\\nArrayList", listing)
    assert match, listing
    # Asked with the sequence it has, the server answers that nothing changed.
    assert conn.call("d", "v", "r" + view, "s" + match.group(1), "e") == "!yn"
    assert conn.call("m", "d", view, "e") == "!yv"


def test_dir_and_help(conn: Any) -> None:
    methods = conn.call("d", "m", "t", "e")
    assert methods.startswith("!ys")
    names = set(methods[3:].split("\\n"))
    assert {"echoInt", "ov", "toString"} <= names
    fields = conn.call("d", "f", "t", "e")
    assert {"intField", "stringField", "STATIC_INT"} <= set(fields[3:].split("\\n"))
    statics = conn.call("d", "s", "fixtures.EntryPoint", "e")
    assert {"add", "STATIC_INT", "Inner"} <= set(statics[3:].split("\\n"))
    assert conn.call("d", "s", "fixtures.Point", "e") == "!ys"
    page = conn.call("h", "o", "t", "sonlyInt(*", "btrue", "e")
    assert page.startswith("!ys")
    assert "onlyInt(int)" in page
    page = conn.call("h", "c", "fixtures.Point", "n", "bfalse", "e")
    assert "equals(java.lang.Object)" in page


def test_release(conn: Any) -> None:
    point = object_id(conn.call("i", "fixtures.Point", "e"), "!yr")
    assert conn.call("m", "d", point, "e") == "!yv"
    assert conn.call("c", point, "sum", "e").startswith("!xs")
    # Releasing again, or releasing what never existed, is answered the same way.
    assert conn.call("m", "d", point, "e") == "!yv"
    assert conn.call("m", "d", "o999999999", "e") == "!yv"


def test_gateway_server_object(conn: Any, server: Any) -> None:
    assert (
        conn.call("c", "GATEWAY_SERVER", "getListeningPort", "e") == f"!yi{server.port}"
    )
