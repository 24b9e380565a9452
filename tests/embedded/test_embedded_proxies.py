"""Proxies of returned objects and constructor calls, made natively: the same proxies as the
output converters make (class chosen by type, attributes, release on death), and a replaced
converter or a class with its own ``__init__`` still takes the Python path."""

from __future__ import annotations

from typing import Any

SCRIPT = """
import gc
from ferry import JavaObject
from ferry import java_gateway, protocol
from ferry.java_collections import JavaList, JavaMap
from ferry.embedded import start_jvm

g = start_jvm(classpath=CLASSES)
client = g._gateway_client
jvm = g.jvm
seen = {}

sb = jvm.java.lang.StringBuilder("abc")
r = sb.reverse()
seen["types"] = [type(sb).__name__, type(r).__name__, type(jvm.java.util.ArrayList()).__name__,
                 type(jvm.java.util.HashMap()).__name__]
seen["is_java_list"] = isinstance(jvm.java.util.ArrayList(), JavaList)
seen["is_java_map"] = isinstance(jvm.java.util.HashMap(), JavaMap)
seen["client"] = r._gateway_client is client and sb._gateway_client is client
seen["ids"] = isinstance(r._target_id, str) and r._target_id == r._get_object_id()
seen["auto_field"] = r._auto_field
seen["value"] = str(r)
seen["dict"] = r.__dict__ == {}

# Released when the proxy dies.
gc.collect()
before = client._native.registry_size()
objs = [jvm.java.lang.StringBuilder(str(i)) for i in range(50)]
seen["held"] = client._native.registry_size() - before
del objs
gc.collect()
seen["released"] = client._native.registry_size() - before

# A replaced converter of plain references is called.
made = []
def converter(target_id, gateway_client):
    made.append(target_id)
    return JavaObject(target_id, gateway_client)
old = protocol.OUTPUT_CONVERTER[protocol.REFERENCE_TYPE]
protocol.register_output_converter(protocol.REFERENCE_TYPE, converter)
sb.reverse()
jvm.java.lang.StringBuilder("x")
protocol.register_output_converter(protocol.REFERENCE_TYPE, old)
seen["converter_calls"] = len(made)

# A collection class with its own __init__ keeps it.
inits = []
class MyList(JavaList):
    def __init__(self, target_id, gateway_client):
        inits.append(target_id)
        JavaList.__init__(self, target_id, gateway_client)
old_list = protocol.OUTPUT_CONVERTER[protocol.LIST_TYPE]
protocol.register_output_converter(protocol.LIST_TYPE, MyList)
lst = jvm.java.util.ArrayList()
protocol.register_output_converter(protocol.LIST_TYPE, old_list)
seen["my_list"] = [type(lst).__name__, len(inits)]

# Constructors: arguments, errors, keywords, input converters.
seen["ctor"] = str(jvm.java.lang.StringBuilder("hi").append(1))
try:
    jvm.java.lang.StringBuilder(x=1)
except TypeError:
    seen["kwargs"] = "TypeError"
try:
    jvm.java.lang.StringBuilder(1, 2, 3)
except Exception as e:
    seen["ctor_error"] = type(e).__name__
client.converters = protocol.INPUT_CONVERTER
seen["converted"] = jvm.java.util.ArrayList([1, 2, 3]).size()
client.converters = None
report(**seen)
"""


def test_native_proxies_match_the_converters(run: Any) -> None:
    seen = run(SCRIPT).report
    assert seen["types"] == ["JavaObject", "JavaObject", "JavaList", "JavaMap"]
    assert seen["is_java_list"] and seen["is_java_map"]
    assert seen["client"] and seen["ids"]
    assert seen["auto_field"] is False
    assert seen["value"] == "cba"
    assert seen["dict"]
    assert seen["held"] == 50
    assert seen["released"] == 0
    assert seen["converter_calls"] == 2
    assert seen["my_list"] == ["MyList", 1]
    assert seen["ctor"] == "hi1"
    assert seen["kwargs"] == "TypeError"
    assert seen["ctor_error"] == "Py4JError"
    assert seen["converted"] == 3
