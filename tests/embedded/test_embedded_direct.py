"""Direct calls (a member's call on a held object or class; `call` by id without a command)
answer what calls through a call command answer: the same overload, value, error, for every kind of argument, the first time and once
the call site remembers its method; a released object fails the same way."""

from __future__ import annotations

from typing import Any

SCRIPT = """
from ferry import JavaObject
from ferry.java_gateway import JavaMember
from ferry.protocol import get_return_value
from ferry.embedded import start_jvm

g = start_jvm(classpath=CLASSES, entry_point="fixtures.EntryPoint")
client = g._gateway_client
native = client._native
ep = g.entry_point
sb = g.jvm.java.lang.StringBuilder("abc")
dog = g.jvm.fixtures.Dog()


def norm(v):
    if isinstance(v, JavaObject):
        return ("object", v.getClass().getName(), v.toString())
    if isinstance(v, (bytes, float)) or type(v).__name__ == "Decimal":
        return (type(v).__name__, repr(v))
    return v


# A call through a call command (the path that looks the target up by id).
def by_id(target_id, name, args):
    ok, value = native.call_checked(target_id, name, args, client)
    if ok:
        return value
    return get_return_value(value, client, target_id, name)


def outcome(f):
    try:
        return ("ok", norm(f()))
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return ("error", type(e).__name__, str(e).splitlines()[0])


CASES = [
    ("ov", (1,)), ("ov", (2**40,)), ("ov", (1.5,)), ("ov", (True,)), ("ov", ("s",)),
    ("ov", (None,)), ("ov", (1, "b")), ("ov", ("a", 2)), ("ov", ()), ("ov", (sb,)),
    ("narrow", (5,)), ("onlyByte", (5,)), ("onlyShort", (5,)), ("onlyLong", (5,)),
    ("onlyDouble", (5,)), ("onlyFloat", (1.5,)), ("floatOrDouble", (1.5,)),
    ("onlyChar", ("z",)), ("onlyChar", ("",)), ("charOrString", ("z",)),
    ("onlyInt", (2**40,)), ("onlyInt", (2**70,)), ("onlyInt", ("x",)),
    ("boxedInteger", (5,)), ("boxedLong", (5,)), ("boxedDouble", (1.5,)),
    ("boxedBoolean", (False,)), ("boxedCharacter", ("c",)), ("number", (5,)),
    ("intOrObject", (5,)), ("longOrObject", (5,)), ("kind", (dog,)), ("onlyAnimal", (sb,)),
    ("nullIface", (None,)), ("nullClass", (None,)), ("nullPrimitive", (None,)),
    ("echoObject", (sb,)), ("echoObject", (None,)), ("echoString", ("é\\n✓\\U0001f600",)),
    ("echoString", ("\\ud800",)), ("stringLength", ("abc",)), ("echoInt", (-7,)),
    ("echoLong", (2**62,)), ("echoDouble", (0.1,)), ("echoBoolean", (True,)),
    ("getChar", ()), ("getShort", ()), ("getByte", ()), ("getFloat", ()),
    ("getBoxedFloat", ()), ("getBoxedChar", ()), ("getNull", ()), ("doNothing", ()),
    ("getDecimal", ()), ("getBytes", ()), ("isNaN", (float("nan"),)), ("noSuchMethod", ()),
    ("echoBytes", (b"\\x00\\xff",)), ("listOrCollection", ([1, 2],)),
]
results = []
for name, args in CASES:
    reference = outcome(lambda: by_id(ep._target_id, name, args))
    first = outcome(lambda: getattr(ep, name)(*args))
    again = outcome(lambda: getattr(ep, name)(*args))
    results.append([name, repr(args), reference, first, again])

# Boxed arguments (a frame of the call's own), on a collection.
lst = g.jvm.java.util.ArrayList()
lst_by_id = g.jvm.java.util.ArrayList()
for v in (5, "s", True, 1.5, 2**40, None, sb):
    lst.add(v)
    by_id(lst_by_id._target_id, "add", (v,))
boxed = [lst.toString(), lst_by_id.toString(), lst.get(1), lst.indexOf(2**40)]

# Constructors: a reference of the class's kind, a value for a value class, errors.
made = [type(g.jvm.java.util.ArrayList()).__name__, type(g.jvm.java.util.HashMap()).__name__,
        g.jvm.java.lang.StringBuilder("ab").toString(), g.jvm.java.lang.Integer(5),
        g.jvm.java.lang.String("s"), type(g.jvm.java.lang.Object()).__name__,
        g.jvm.fixtures.Dog().getClass().getName(),
        outcome(lambda: g.jvm.java.util.ArrayList("bad"))[0],
        outcome(lambda: g.jvm.java.util.AbstractList())[0],
        outcome(lambda: g.jvm.java.lang.Integer("x"))[0]]

# One member called with arguments of changing kinds: each call resolves its own overload.
m = ep.ov
changing = [m(1), m("s"), m(1.5), m(1), m(None), m(sb), m(1)]

# Statics, and an instance method called on its class.
Math = g.jvm.java.lang.Math
statics = [outcome(lambda: Math.abs(-5)), outcome(lambda: Math.abs(-5.5)),
           outcome(lambda: Math.max(2, 2**40)), outcome(lambda: g.jvm.fixtures.EntryPoint.sov("x")),
           outcome(lambda: g.jvm.fixtures.EntryPoint.staticThrow()),
           outcome(lambda: JavaMember("length", None, "z:java.lang.String", client)()),
           outcome(lambda: g.jvm.java.lang.Integer.parseInt("nope"))]
static_by_id = [outcome(lambda: by_id("z:java.lang.Math", "abs", (-5,))),
                outcome(lambda: by_id("z:java.lang.Math", "abs", (-5.5,))),
                outcome(lambda: by_id("z:java.lang.Math", "max", (2, 2**40))),
                outcome(lambda: by_id("z:fixtures.EntryPoint", "sov", ("x",))),
                outcome(lambda: by_id("z:fixtures.EntryPoint", "staticThrow", ())),
                outcome(lambda: by_id("z:java.lang.String", "length", ())),
                outcome(lambda: by_id("z:java.lang.Integer", "parseInt", ("nope",)))]

# A proxy whose class says which object it stands for.
class Standing(JavaObject):
    def _get_object_id(self):
        return dog._target_id

standing = Standing(sb._target_id, client)
stand = [ep.classOf(standing), ep.classOf(sb)]

# Released objects: as target and as argument.
x = g.jvm.java.lang.StringBuilder("xy")
y = g.jvm.java.lang.StringBuilder("z")
before = [x.length(), ep.echoObject(y).toString()]
g.detach(x)
g.detach(y)
released = [outcome(lambda: x.length()), outcome(lambda: x.length()),
            outcome(lambda: by_id(x._target_id, "length", ())),
            outcome(lambda: ep.echoObject(y)),
            outcome(lambda: by_id(ep._target_id, "echoObject", (y,))),
            outcome(lambda: native.call(x._target_id, "length", (), client)),
            outcome(lambda: native.call(ep._target_id, "echoObject", (y,), client))]
# A released object used by direct calls before (as target and argument) is collectable.
gone = g.jvm.fixtures.Point(1, 2)
probe = g.jvm.fixtures.WeakProbe(gone)
gone.sum()
ep.echoObject(gone)
g.detach(gone)
for _ in range(50):
    g.jvm.fixtures.WeakProbe.gc()
    if probe.isCleared():
        break
collected = bool(probe.isCleared())

size = native.registry_size()
for _ in range(2000):
    sb.length()
    ep.stringLength("abc")
    ep.echoObject(sb)
    Math.abs(-5)
    ep.ov(1)
    try:
        ep.onlyChar("")
    except Exception:
        pass
report(results=results, changing=changing, statics=statics, static_by_id=static_by_id,
       stand=stand, before=before, released=released, boxed=boxed, made=made, collected=collected,
       leaked=native.registry_size() - size)
"""


def test_direct_calls_answer_as_calls_by_id(run: Any) -> None:
    r = run(SCRIPT).report
    for name, args, by_id, first, again in r["results"]:
        assert first == by_id, (name, args)
        assert again == by_id, (name, args)
    kinds = {name: by_id[0] for name, _, by_id, _, _ in r["results"]}
    assert kinds["ov"] == "ok"
    assert kinds["noSuchMethod"] == "error"
    assert r["changing"] == [
        "int:1",
        "String:s",
        "double:1.5",
        "int:1",
        r["changing"][4],
        r["changing"][5],
        "int:1",
    ]
    assert r["statics"] == r["static_by_id"]
    assert r["statics"][0] == ["ok", 5]
    assert r["statics"][4][0] == "error"
    assert r["statics"][5][0] == "error"
    assert r["stand"][0] != r["stand"][1]
    assert r["before"] == [2, "z"]
    assert [o[0] for o in r["released"]] == ["error"] * 7
    assert r["released"][0] == r["released"][2] == r["released"][5]
    assert r["released"][3] == r["released"][4] == r["released"][6]
    assert r["leaked"] == 0
    assert r["collected"] is True
    assert r["boxed"][0] == r["boxed"][1]
    assert r["boxed"][0] == "[5, s, true, 1.5, 1099511627776, null, abc]"
    assert r["boxed"][2:] == ["s", 4]
    assert r["made"] == [
        "JavaList",
        "JavaMap",
        "ab",
        5,
        "s",
        "JavaObject",
        "fixtures.Dog",
        "error",
        "error",
        "error",
    ]
