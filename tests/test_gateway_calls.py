"""Calls: instance and static methods, overload resolution, constructors, values both ways.

The overloads of ``fixtures.EntryPoint`` return a string naming the overload that ran, so each
assertion says which one the server picked. The rules are Py4J's (section 5.3 of the protocol
reference): a cost per argument, the cheapest candidate wins; what ferry accepts beyond them is in
test_gateway_ferry_extensions.py.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

# --------------------------------------------------------------------------- overloads


@pytest.mark.parametrize(
    ("arg", "picked"),
    [
        pytest.param(5, "int:5", id="small-int-is-int"),
        pytest.param(-(2**31), "int:-2147483648", id="int-min"),
        pytest.param(2**31 - 1, "int:2147483647", id="int-max"),
        pytest.param(2**31, "long:2147483648", id="beyond-int-is-long"),
        pytest.param(-(2**40), "long:-1099511627776", id="negative-long"),
        pytest.param(1.5, "double:1.5", id="float-is-double"),
        pytest.param(True, "boolean:true", id="bool-is-boolean"),
        pytest.param("s", "String:s", id="str-is-String"),
        pytest.param(Decimal("1.5"), "BigDecimal:1.5", id="decimal-is-BigDecimal"),
        pytest.param(b"ab", "Object:[B", id="bytes-is-byte-array-to-Object"),
        # null: the class-typed parameter deepest below Object wins (BigDecimal: 2 hops).
        pytest.param(None, "BigDecimal:null", id="none-picks-most-derived-class"),
    ],
)
def test_overload_by_python_type(entry_point: Any, arg: Any, picked: str) -> None:
    assert entry_point.ov(arg) == picked


def test_overload_by_arity_and_order(entry_point: Any) -> None:
    assert entry_point.ov() == "()"
    assert entry_point.ov(1, "a") == "int,String:1,a"
    assert entry_point.ov("a", 1) == "String,int:a,1"


def test_overload_java_object_goes_to_object(gateway: Any, entry_point: Any) -> None:
    point = gateway.jvm.fixtures.Point(1, 2)
    assert entry_point.ov(point) == "Object:fixtures.Point"


def test_narrowing_prefers_short_over_byte(entry_point: Any) -> None:
    assert entry_point.narrow(5) == "short:5"


def test_narrowing_conversions_truncate_like_java_casts(entry_point: Any) -> None:
    assert entry_point.onlyByte(300) == "byte:44"
    assert entry_point.onlyShort(70000) == "short:4464"
    assert entry_point.onlyByte(-1) == "byte:-1"


def test_int_widens_to_long(entry_point: Any) -> None:
    assert entry_point.onlyLong(5) == "long:5"
    assert entry_point.longOrObject(5) == "long:5"
    assert entry_point.boxedLong(5) == "Long:5"


def test_int_prefers_int_then_object(entry_point: Any) -> None:
    assert entry_point.intOrObject(5) == "int:5"
    assert entry_point.intOrObject(2**40) == "Object:java.lang.Long"
    assert entry_point.intOrObject("x") == "Object:java.lang.String"


def test_float_narrows_to_float_but_prefers_double(entry_point: Any) -> None:
    assert entry_point.onlyFloat(1.5) == "float:1.5"
    assert entry_point.floatOrDouble(1.5) == "double:1.5"
    assert entry_point.onlyDouble(2.5) == "double:2.5"


def test_str_to_char(entry_point: Any) -> None:
    assert entry_point.onlyChar("x") == "char:x"
    # Only the first character is taken.
    assert entry_point.onlyChar("xyz") == "char:x"
    # String is an exact match, char a conversion.
    assert entry_point.charOrString("x") == "String:x"
    assert entry_point.boxedCharacter("q") == "Character:q"


def test_boxed_parameters(entry_point: Any) -> None:
    assert entry_point.boxedInteger(5) == "Integer:5"
    assert entry_point.boxedInteger(None) == "Integer:null"
    assert entry_point.boxedDouble(2.5) == "Double:2.5"
    assert entry_point.boxedBoolean(True) == "Boolean:true"


def test_number_parameter_receives_the_boxed_type(entry_point: Any) -> None:
    assert entry_point.number(5) == "Number:java.lang.Integer"
    assert entry_point.number(2**40) == "Number:java.lang.Long"
    assert entry_point.number(2.5) == "Number:java.lang.Double"
    assert entry_point.number(Decimal(1)) == "Number:java.math.BigDecimal"


def test_class_hop_beats_interface_hops(gateway: Any, entry_point: Any) -> None:
    jvm = gateway.jvm
    # Puppy -> Dog is one superclass hop; Puppy -> Animal is reached through Dog (two).
    assert entry_point.kind(jvm.fixtures.Puppy()) == "Dog:yip"
    assert entry_point.kind(jvm.fixtures.Dog()) == "Dog:woof"
    # A Cat is no Dog: only the interface overload applies.
    assert entry_point.kind(jvm.fixtures.Cat()) == "Animal:meow"
    assert entry_point.onlyAnimal(jvm.fixtures.Puppy()) == "Animal:yip"


def test_direct_interface_beats_inherited_interface(
    gateway: Any, entry_point: Any
) -> None:
    jvm = gateway.jvm
    assert entry_point.listOrCollection(jvm.java.util.ArrayList()) == "List:0"
    assert entry_point.listOrCollection(jvm.java.util.HashSet()) == "Collection:0"


def test_none_prefers_classes_over_interfaces(entry_point: Any) -> None:
    # Object (a class) costs less than an interface parameter for null.
    assert entry_point.nullIface(None) == "Object"
    # Integer sits two hops below Object, String one.
    assert entry_point.nullClass(None) == "Integer"


@pytest.mark.parametrize(
    ("method", "arg"),
    [
        pytest.param("onlyInt", 2**40, id="long-to-int"),
        pytest.param("onlyBoolean", 1, id="int-to-boolean"),
        pytest.param("onlyChar", 5, id="int-to-char"),
        pytest.param("nullPrimitive", None, id="none-to-primitive"),
        pytest.param("onlyInt", "5", id="str-to-int"),
        pytest.param("onlyInt", 1.0, id="float-to-int"),
    ],
)
def test_no_applicable_overload_is_py4j_error(
    api: Any, entry_point: Any, method: str, arg: Any
) -> None:
    with pytest.raises(api.Py4JError) as info:
        getattr(entry_point, method)(arg)
    assert not isinstance(info.value, api.Py4JJavaError)
    assert method in str(info.value)


@pytest.mark.parametrize(
    ("arg", "java_class"),
    [
        (5, "java.lang.Integer"),
        (2**31, "java.lang.Long"),
        (-(2**31) - 1, "java.lang.Long"),
        (2**63 - 1, "java.lang.Long"),
        (2.5, "java.lang.Double"),
        (float("nan"), "java.lang.Double"),
        (True, "java.lang.Boolean"),
        ("s", "java.lang.String"),
        ("", "java.lang.String"),
        (b"x", "[B"),
        (bytearray(b"x"), "[B"),
        (Decimal(2), "java.math.BigDecimal"),
        (None, "null"),
    ],
)
def test_python_values_arrive_as(entry_point: Any, arg: Any, java_class: str) -> None:
    assert entry_point.classOf(arg) == java_class


# --------------------------------------------------------------------------- static members


def test_static_method_through_class(gateway: Any) -> None:
    cls = gateway.jvm.fixtures.EntryPoint
    assert cls.add(2, 3) == 5
    assert cls.sov(1) == "static int:1"
    assert cls.sov("a") == "static String:a"
    assert cls.sov(1.5) == "static double:1.5"


def test_static_method_through_instance(entry_point: Any) -> None:
    assert entry_point.add(2, 3) == 5


def test_jdk_static_methods(gateway: Any) -> None:
    jvm = gateway.jvm
    assert jvm.java.lang.Math.max(3, 7) == 7
    assert jvm.java.lang.Math.max(3.0, 7.5) == 7.5
    assert jvm.java.lang.Integer.parseInt("42") == 42
    assert jvm.java.lang.Integer.toString(5) == "5"
    assert jvm.java.lang.String.valueOf(True) == "true"


def test_one_method_name_on_several_classes_and_objects_in_turn(gateway: Any) -> None:
    # The same name on other classes, other objects and other argument types, alternating:
    # each call reaches its own method (a server may remember what a name resolved to).
    jvm = gateway.jvm
    sb = jvm.java.lang.StringBuilder("abc")
    names = jvm.java.util.ArrayList()
    names.add("x")
    for k in range(3):
        assert jvm.java.lang.Math.abs(-3 - k) == 3 + k
        assert jvm.java.lang.StrictMath.abs(-4.5) == 4.5
        assert jvm.java.lang.Math.abs(-2.5) == 2.5
        assert jvm.java.lang.Integer.toString(12) == "12"
        assert jvm.java.lang.Long.toString(13) == "13"
        assert sb.toString() == "abc"
        assert names.toString() == "[x]"
        assert sb.indexOf("c") == 2
        assert names.indexOf("x") == 0


def test_static_fields(api: Any, gateway: Any) -> None:
    cls = gateway.jvm.fixtures.EntryPoint
    assert cls.STATIC_INT == 42
    assert cls.STATIC_LONG == 5000000000
    assert cls.STATIC_DOUBLE == 2.5
    assert cls.STATIC_STRING == "static"
    assert cls.STATIC_NULL is None
    static_list = cls.STATIC_LIST
    assert isinstance(static_list, api.JavaList)
    assert list(static_list) == ["a", "b"]
    assert gateway.jvm.java.lang.Integer.MAX_VALUE == 2**31 - 1


def test_unknown_static_member_is_py4j_error(api: Any, gateway: Any) -> None:
    with pytest.raises(
        api.Py4JError, match="fixtures.EntryPoint.noSuchMember does not exist"
    ):
        gateway.jvm.fixtures.EntryPoint.noSuchMember  # noqa: B018


def test_nested_class(gateway: Any) -> None:
    inner = gateway.jvm.fixtures.EntryPoint.Inner
    assert inner(5).value() == 5
    assert inner.hello() == "inner hello"


def test_entry_point_reached_through_gateway_attributes(gateway: Any) -> None:
    # JavaGateway forwards unknown attributes to the entry point.
    assert gateway.echoInt(9) == 9


# --------------------------------------------------------------------------- non-public members


def test_private_instance_method_is_callable(entry_point: Any) -> None:
    assert entry_point.secret() == "secret"
    assert entry_point.packagePrivate() == 9


def test_private_static_method_only_through_an_instance(
    api: Any, gateway: Any, entry_point: Any
) -> None:
    # The class lookup (r m) sees public members only ...
    with pytest.raises(api.Py4JError, match="does not exist in the JVM"):
        gateway.jvm.fixtures.EntryPoint.secretStatic  # noqa: B018
    # ... while a call on an instance finds it.
    assert entry_point.secretStatic() == "secret static"


# --------------------------------------------------------------------------- constructors


@pytest.mark.parametrize(
    ("args", "ctor"),
    [
        ((), "()"),
        ((1, 2), "(int,int)"),
        ((2**40, 1), "(long,long)"),
        ((1.5, 2.5), "(double,double)"),
        (("a",), "(String)"),
    ],
)
def test_constructor_overloads(
    api: Any, gateway: Any, args: tuple[Any, ...], ctor: str
) -> None:
    point = gateway.jvm.fixtures.Point(*args)
    assert isinstance(point, api.JavaObject)
    assert api.get_field(point, "ctor") == ctor


def test_copy_constructor_takes_a_java_object(api: Any, gateway: Any) -> None:
    original = gateway.jvm.fixtures.Point(3, 4)
    copy = gateway.jvm.fixtures.Point(original)
    assert api.get_field(copy, "ctor") == "(Point)"
    assert copy.sum() == 7


def test_no_matching_constructor_is_py4j_error(api: Any, gateway: Any) -> None:
    with pytest.raises(api.Py4JError) as info:
        gateway.jvm.fixtures.Point(1)
    assert not isinstance(info.value, api.Py4JJavaError)
    assert "fixtures.Point" in str(info.value)


def test_jdk_constructors(gateway: Any) -> None:
    builder = gateway.jvm.java.lang.StringBuilder("abc")
    builder.append(1.5)
    assert builder.toString() == "abc1.5"
    assert gateway.jvm.java.util.Random(42).nextInt(
        1000
    ) == gateway.jvm.java.util.Random(42).nextInt(1000)


# --------------------------------------------------------------------------- values both ways


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "h\u00e9llo \u2603",
        "\U0001f600 outside the BMP",
        "back\\slash \\n not a newline",
        "line\nfeed and\r\ncarriage\rreturn",
        "tab\there",
        "e\ne",
    ],
)
def test_string_round_trip(entry_point: Any, text: str) -> None:
    assert entry_point.echoString(text) == text


def test_string_length_counts_utf16_units(entry_point: Any) -> None:
    assert entry_point.stringLength("\U0001f600") == 2
    assert entry_point.stringLength("\u00e9") == 1


@pytest.mark.parametrize("value", [0, -1, 2**31 - 1, -(2**31)])
def test_int_round_trip(entry_point: Any, value: int) -> None:
    assert entry_point.echoInt(value) == value


@pytest.mark.parametrize("value", [0, 2**40, 2**63 - 1, -(2**63)])
def test_long_round_trip(entry_point: Any, value: int) -> None:
    assert entry_point.echoLong(value) == value


@pytest.mark.parametrize(
    "value", [0.0, -0.5, 1e-5, 1e300, 5e-324, float("inf"), float("-inf")]
)
def test_double_round_trip(entry_point: Any, value: float) -> None:
    assert entry_point.echoDouble(value) == value


def test_nan_round_trip(entry_point: Any) -> None:
    assert math.isnan(entry_point.echoDouble(float("nan")))
    assert entry_point.isNaN(float("nan")) is True
    assert entry_point.isPositiveInfinity(float("inf")) is True


def test_boolean_round_trip(entry_point: Any) -> None:
    assert entry_point.echoBoolean(True) is True
    assert entry_point.echoBoolean(False) is False


@pytest.mark.parametrize("value", [b"", b"\x00\xff", bytes(range(256)) * 40])
def test_bytes_round_trip(entry_point: Any, value: bytes) -> None:
    result = entry_point.echoBytes(value)
    assert isinstance(result, bytes)
    assert result == value


@pytest.mark.parametrize("value", ["0", "-1.25", "1234567890.0987654321", "0.000001"])
def test_decimal_round_trip(entry_point: Any, value: str) -> None:
    assert entry_point.echoDecimal(Decimal(value)) == Decimal(value)


def test_decimal_in_scientific_notation(entry_point: Any) -> None:
    result = entry_point.echoDecimal(Decimal("-1.2E+5"))
    assert result == Decimal(-120000)
    # BigDecimal comes back as plain digits.
    assert str(entry_point.getDecimalExponent()) == "1000"


def test_return_types(api: Any, entry_point: Any) -> None:
    assert entry_point.getShort() == -12345
    assert entry_point.getByte() == -7
    assert entry_point.getFloat() == 1.25
    assert isinstance(entry_point.getFloat(), float)
    # A Java float comes back through its decimal text, not widened bit for bit.
    assert entry_point.getBoxedFloat() == 0.1
    assert entry_point.getChar() == "z"
    assert entry_point.getBoxedChar() == "\u00e9"
    assert entry_point.getBoxedInt() == -3
    assert entry_point.getLong() == -(2**63)
    assert entry_point.getDecimal() == Decimal("1234.5678")
    assert entry_point.getNull() is None
    assert entry_point.doNothing() is None
    assert math.isnan(entry_point.getNaN())
    assert entry_point.getInfinity() == float("inf")
    assert entry_point.getBytes() == bytes(range(256))
    # BigInteger is not a value type: it comes back as a reference.
    big = entry_point.getBigInteger()
    assert isinstance(big, api.JavaObject)
    assert big.toString() == "123456789012345678901234567890"


def test_java_strings_always_come_back_as_python_str(entry_point: Any) -> None:
    assert entry_point.echoObject("x") == "x"
    assert entry_point.echoObject(5) == 5
    assert entry_point.echoObject(None) is None


def test_java_object_identity_equality_hash_and_str(
    api: Any, gateway: Any, entry_point: Any
) -> None:
    point = gateway.jvm.fixtures.Point(1, 2)
    same = entry_point.echoObject(point)
    assert isinstance(same, api.JavaObject)
    # Each return registers the object under a new id ...
    assert same._get_object_id() != point._get_object_id()
    # ... and equality, hashing and str() go to equals, hashCode and toString.
    assert same == point
    assert point == gateway.jvm.fixtures.Point(1, 2)
    assert point != gateway.jvm.fixtures.Point(2, 1)
    assert point != None
    assert hash(point) == 33
    assert str(point) == "Point(1, 2)"
    assert point.getClass().getName() == "fixtures.Point"


def test_void_and_chained_calls(gateway: Any) -> None:
    sb = gateway.jvm.java.lang.StringBuilder()
    assert sb.append("a").append(1).append(True).toString() == "a1true"
    assert sb.setLength(1) is None
    assert sb.toString() == "a"


# --------------------------------------------------------------------------- instance fields


def test_get_field_of_every_type(api: Any, entry_point: Any) -> None:
    assert api.get_field(entry_point, "intField") == 7
    assert api.get_field(entry_point, "longField") == 2**40
    assert api.get_field(entry_point, "doubleField") == 1.5
    assert api.get_field(entry_point, "boolField") is True
    assert api.get_field(entry_point, "charField") == "c"
    assert api.get_field(entry_point, "stringField") == "hello"
    assert api.get_field(entry_point, "objectField") is None
    # A static field read through an instance.
    assert api.get_field(entry_point, "STATIC_INT") == 42


def test_set_field(api: Any, gateway: Any) -> None:
    point = gateway.jvm.fixtures.Point(1, 2)
    assert api.set_field(point, "x", 10) is None
    assert api.get_field(point, "x") == 10
    assert point.sum() == 12
    api.set_field(point, "label", "new\nlabel")
    assert api.get_field(point, "label") == "new\nlabel"


def test_set_field_converts_like_java_reflection(api: Any, gateway: Any) -> None:
    ep = gateway.jvm.fixtures.EntryPoint()
    # Field writes widen primitives the way java.lang.reflect.Field.set does: int -> double, int -> long.
    api.set_field(ep, "doubleField", 3)
    assert api.get_field(ep, "doubleField") == 3.0
    api.set_field(ep, "longField", 3)
    assert api.get_field(ep, "longField") == 3
    api.set_field(ep, "objectField", gateway.jvm.fixtures.Point(1, 1))
    assert str(api.get_field(ep, "objectField")) == "Point(1, 1)"
    api.set_field(ep, "objectField", None)
    assert api.get_field(ep, "objectField") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("x", 2**40, id="long-into-int"),
        pytest.param("x", "s", id="str-into-int"),
        pytest.param("ctor", "s", id="final-field"),
        pytest.param("nosuch", 1, id="no-such-field"),
    ],
)
def test_set_field_refused(api: Any, gateway: Any, name: str, value: Any) -> None:
    point = gateway.jvm.fixtures.Point(1, 2)
    with pytest.raises(api.Py4JError, match=f"no field {name}"):
        api.set_field(point, name, value)
    assert api.get_field(point, "x") == 1


def test_set_char_field_from_str_is_refused(api: Any, gateway: Any) -> None:
    # Field writes get no str -> char conversion (method calls do).
    ep = gateway.jvm.fixtures.EntryPoint()
    with pytest.raises(api.Py4JError, match="no field charField"):
        api.set_field(ep, "charField", "q")


def test_get_field_refused(api: Any, entry_point: Any) -> None:
    with pytest.raises(api.Py4JError, match="no field nosuch"):
        api.get_field(entry_point, "nosuch")
    # Private fields are not reachable.
    with pytest.raises(api.Py4JError, match="no field privateField"):
        api.get_field(entry_point, "privateField")


def test_field_and_method_with_one_name(api: Any, entry_point: Any) -> None:
    assert entry_point.shadowed() == "method"
    assert api.get_field(entry_point, "shadowed") == "field"


def test_auto_field(api: Any, gateway_factory: Any, server: Any) -> None:
    gateway = gateway_factory(server, auto_field=True)
    ep = gateway.entry_point
    assert ep.intField == 7
    assert ep.stringField == "hello"
    # With auto_field the field hides the method; get_method reaches the method.
    assert ep.shadowed == "field"
    assert api.get_method(ep, "shadowed")() == "method"
    # Names that are no field are still methods.
    assert ep.ov(1) == "int:1"
    names = dir(ep)
    assert "intField" in names
    assert "echoInt" in names
