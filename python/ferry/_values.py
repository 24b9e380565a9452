"""Whole values between Python and Java: ``to_java``, ``to_python`` and ``to_numpy``.

Over ferry's protocol v2 (a ferry gateway) each is one request whatever the size of the value:
a Python list, tuple, set or dict (nested) becomes a Java collection in one frame, a Java
collection, map or array comes back by value in one frame, and a numpy array travels as the raw
elements of a Java primitive array. Over Py4J's protocol (a Py4J gateway) ``to_java`` and
``to_python`` fall back to py4j's ways (collections built and read call by call, in pipelined
batches) and the numpy conversions say what they need.
"""

from __future__ import annotations

from typing import Any

from ferry import _gateway_client
from ferry.protocol import Py4JError

__all__ = ["to_java", "to_numpy", "to_python"]

# Elements read per pipelined batch when walking a collection over protocol v1.
_BATCH = 512

# Java primitive type names and the numpy dtypes of their arrays.
_DTYPES = {
    "boolean": "bool",
    "byte": "int8",
    "short": "int16",
    "char": "uint16",
    "int": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
}


def _client_of(where: Any) -> Any:
    """The gateway client of a JavaGateway, a GatewayClient or a Java object."""
    for attribute in ("_gateway_client",):
        client = getattr(where, attribute, None)
        if client is not None:
            return client
    if hasattr(where, "_native"):
        return where
    raise Py4JError(
        f"cannot tell which gateway to use from a {type(where).__name__}: pass a JavaGateway, "
        "its GatewayClient or a Java object of that gateway"
    )


def _v2(client: Any) -> bool:
    return bool(client._native.protocol(client) == 2)


def to_java(value: Any, gateway: Any = None) -> Any:
    """``value`` made into a Java object: lists, tuples and other iterables become
    ``java.util.ArrayList``, sets ``HashSet``, dicts and other mappings ``HashMap`` (nested
    values too; numbers and strings as their boxed Java values, Java objects by reference,
    ``datetime`` values as ``java.time`` values), a one-dimensional numpy array of bool, int8 to
    int64, float32 or float64 the matching primitive array. ``gateway`` (a JavaGateway, its
    GatewayClient or a Java object) may be left out when one gateway client exists.

    Over a ferry gateway this is one frame, whatever the size; over a Py4J gateway collections
    are built by pipelined calls (as ``auto_convert`` does) and numpy arrays are refused."""
    client = _find_client(gateway)
    if _v2(client):
        return client._native.to_java(value, client)
    from ferry.java_collections import ListConverter, MapConverter, SetConverter

    if _is_ndarray(value):
        raise Py4JError(
            "ferry.to_java of a numpy array needs a ferry gateway (protocol v2); this gateway "
            "speaks Py4J's protocol (v1). Convert it to a list first (arr.tolist())."
        )
    for converter in (SetConverter(), MapConverter(), ListConverter()):
        if converter.can_convert(value):
            return converter.convert(value, client)
    return value


def _find_client(gateway: Any) -> Any:
    if gateway is not None:
        return _client_of(gateway)
    live = [c for c in list(_gateway_client._gateway_clients) if c.is_connected]
    if len(live) == 1:
        return live[0]
    raise Py4JError(
        f"ferry.to_java needs to be told which gateway to use ({len(live)} gateway clients "
        "are connected): pass gateway=<a JavaGateway>"
    )


def _is_ndarray(value: Any) -> bool:
    cls = type(value)
    return cls.__name__ == "ndarray" and cls.__module__ == "numpy"


def to_python(obj: Any) -> Any:
    """The value of a Java object, deeply: a ``java.util.List`` (or any collection, or an
    object array) becomes a list, a ``Set`` a set, a ``Map`` a dict, a primitive array a list,
    boxed values, strings and ``BigDecimal`` their Python values, ``java.time`` values
    ``datetime`` objects (over protocol v2), and nestings of them; other objects stay
    references. Values that are not Java objects are returned as they are.

    Over a ferry gateway this is one round trip; over a Py4J gateway the collection is read
    in pipelined batches (java.time values stay references there)."""
    from ferry.java_gateway import JavaObject

    if not isinstance(obj, JavaObject):
        return obj
    client = obj._gateway_client
    if _v2(client):
        return client._native.to_python(obj._target_id, client)
    return _walk(obj, client, 0)


def _walk(obj: Any, client: Any, depth: int) -> Any:
    from ferry.java_collections import (
        JavaArray,
        JavaIterator,
        JavaList,
        JavaMap,
        JavaSet,
        _invoke,
    )

    if depth > 64:
        raise Py4JError("collections nested too deeply (or containing themselves)")
    if isinstance(obj, JavaList):
        return [
            _walk(v, client, depth + 1) for v in _batched_get(obj, obj.size(), client)
        ]
    if isinstance(obj, JavaArray):
        return [_walk(v, client, depth + 1) for v in _batched_array(obj, client)]
    if isinstance(obj, JavaSet):
        array = obj.toArray()
        return {_walk(v, client, depth + 1) for v in _batched_array(array, client)}
    if isinstance(obj, JavaMap):
        keys = _batched_array(_invoke(obj, "keySet").toArray(), client)
        values = _batched_array(_invoke(obj, "values").toArray(), client)
        return {
            _walk(k, client, depth + 1): _walk(v, client, depth + 1)
            for k, v in zip(keys, values)
        }
    if isinstance(obj, JavaIterator):
        return [_walk(v, client, depth + 1) for v in obj]
    return obj


def _batched_get(jlist: Any, n: int, client: Any) -> list[Any]:
    out: list[Any] = []
    for start in range(0, n, _BATCH):
        calls = [(i,) for i in range(start, min(n, start + _BATCH))]
        out.extend(client._native.call_many(jlist._target_id, "get", calls, client))
    return out


def _batched_array(array: Any, client: Any) -> list[Any]:
    n = len(array)
    out: list[Any] = []
    for start in range(0, n, _BATCH):
        calls = [(array, i) for i in range(start, min(n, start + _BATCH))]
        out.extend(
            client._native.call_many("z:java.lang.reflect.Array", "get", calls, client)
        )
    return out


def to_numpy(obj: Any) -> Any:
    """A Java primitive array (``double[]``, ``int[]``, ...; or a list of boxed numbers) as a
    numpy array of the matching dtype (``boolean`` bool, ``byte`` int8, ``short`` int16,
    ``char`` uint16, ``int`` int32, ``long`` int64, ``float`` float32, ``double`` float64).

    Over a ferry gateway the elements travel raw, in one frame, and a large array is received
    straight into the numpy array's memory. Over a Py4J gateway the elements are read in
    pipelined batches."""
    import numpy

    from ferry.java_gateway import JavaObject

    if isinstance(obj, (bytes, bytearray)):
        return numpy.frombuffer(bytearray(obj), dtype="int8")
    if not isinstance(obj, JavaObject):
        raise Py4JError(
            f"ferry.to_numpy takes a Java array or list, not a {type(obj).__name__}"
        )
    client = obj._gateway_client
    if _v2(client):
        result = client._native.to_numpy(obj._target_id, client)
        if not isinstance(result, numpy.ndarray):
            raise Py4JError(
                f"ferry.to_numpy: {obj!r} is not a primitive array or a list of numbers of one "
                f"type (its value is a {type(result).__name__})"
            )
        return result
    component = obj.getClass().getComponentType()
    values = _walk(obj, client, 0)
    if component is not None:
        name = str(component.getName())
        dtype = _DTYPES.get(name)
        if dtype is None:
            raise Py4JError(
                f"ferry.to_numpy: an array of {name} is not a primitive array"
            )
        if name == "char":
            return numpy.array([ord(c) for c in values], dtype=dtype)
        return numpy.array(values, dtype=dtype)
    return numpy.array(values)
