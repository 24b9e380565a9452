"""Java collections as Python collections (py4j.java_collections' API), and the input
converters that turn Python lists, sets and dicts into Java ones.

Every operation is a call to Java (the collections stay in the JVM), with py4j's semantics.
Differences from py4j, same results: converting a Python collection sends its elements in
batches of pipelined calls (a few round trips instead of one per element); a Java array's
length is asked once; reading a list element by a non-negative index is one call. Iterating
stops on ``NoSuchElementException`` only: other Java errors are raised, not swallowed.

Over ferry's protocol v2 (a ferry gateway):

- the collection converters do not build the Java collection call by call: the value travels
  in the call's frame (``_native.Bulk``), nested collections included;
- iterating a ``JavaList``, ``JavaSet`` or ``JavaMap`` fetches elements in chunks (one round
  trip for up to thousands of elements); a ``JavaIterator`` handed out by Java fetches 1, then
  4, 16, ... elements at a time: its Java iterator may be ahead of what Python consumed;
- iterating a ``JavaArray`` reads its elements in pipelined batches.
"""

from __future__ import annotations

from collections import deque
from collections.abc import (
    Iterable,
    Iterator,
    MutableMapping,
    MutableSequence,
    MutableSet,
    Sequence,
)
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from ferry import protocol as proto
from ferry.java_gateway import JavaClass, JavaObject, get_method
from ferry.protocol import (
    get_command_part,
    register_input_converter,
    register_output_converter,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "JavaArray",
    "JavaIterator",
    "JavaList",
    "JavaMap",
    "JavaSet",
    "ListConverter",
    "MapConverter",
    "SetConverter",
    "get_method",
]

_NO_SUCH_ELEMENT = "java.util.NoSuchElementException"

# Chunked iteration (protocol v2): the first request of an iterator ferry made itself, and the
# largest request; each request asks for four times the previous one.
_FIRST_CHUNK = 256
_MAX_CHUNK = 16384
# A JavaArray's elements read per pipelined batch (protocol v2).
_ARRAY_BATCH = 1024
_INDEX_ERRORS = (
    "java.lang.IndexOutOfBoundsException",
    "java.lang.ArrayIndexOutOfBoundsException",
)


def _invoke(obj: JavaObject, name: str, *args: Any) -> Any:
    """Calls a Java method of ``obj`` whose Python name is taken by a collection method."""
    client = obj._gateway_client
    if client.converters:
        from ferry._proxies import _convert_args, _release_temps

        args, temps = _convert_args(args, client)
        try:
            return client._native.call(obj._target_id, name, args, client)
        finally:
            _release_temps(temps)
    return client._native.call(obj._target_id, name, args, client)


def _send(obj: JavaObject, command: str) -> Any:
    client = obj._gateway_client
    _, value = client._native.request(command, client, obj._target_id, None)
    return value


def _thrown_class(obj: JavaObject, answer: str) -> str | None:
    """The class name of the Throwable of an ``xr`` answer (from its stack trace)."""
    if not answer.startswith(proto.ERROR + proto.REFERENCE_TYPE):
        return None
    client = obj._gateway_client
    kind, trace = client._native.request(
        proto.EXCEPTION_COMMAND_NAME + answer[1:] + "\n" + proto.END_COMMAND_PART,
        client,
        raise_errors=False,
    )
    if kind != "y" or not isinstance(trace, str):
        return None
    first = trace.split("\n", 1)[0]
    return first.split(":", 1)[0].strip()


def _raise_answer(obj: JavaObject, answer: str, name: str) -> Any:
    from ferry import java_gateway

    return java_gateway.get_return_value(
        answer, obj._gateway_client, obj._target_id, name
    )


def _v2(client: Any) -> bool:
    return bool(client._native.protocol(client) == 2)


class JavaIterator(JavaObject):
    """A Java ``Iterator`` as a Python iterator. Over protocol v2 it fetches elements in chunks
    (1, then 4, 16, ... up to 16384 at a time)."""

    def __init__(self, target_id: str, gateway_client: Any) -> None:
        JavaObject.__init__(self, target_id, gateway_client)
        self._next_name = "next"
        # Protocol v2: elements fetched and not consumed yet, the size of the next request,
        # and whether the Java iterator ran out.
        self._ahead: deque[Any] = deque()
        self._chunk = 1
        self._exhausted = False

    def __iter__(self) -> JavaIterator:
        return self

    def _fetch(self, client: Any) -> Any:
        if self._exhausted:
            raise StopIteration
        asked = self._chunk
        values = client._native.iterate(self._target_id, asked, client)
        self._chunk = min(asked * 4, _MAX_CHUNK)
        if len(values) < asked:
            self._exhausted = True
        if not values:
            raise StopIteration
        self._ahead.extend(values)
        return self._ahead.popleft()

    def next(self) -> Any:
        """Java's ``next()``; ``StopIteration`` when it throws ``NoSuchElementException``."""
        ahead = self._ahead
        if ahead:
            return ahead.popleft()
        client = self._gateway_client
        if _v2(client):
            return self._fetch(client)
        ok, value = client._native.call_checked(
            self._target_id, self._next_name, (), client
        )
        if ok:
            return value
        thrown = _thrown_class(self, value)
        if thrown == _NO_SUCH_ELEMENT:
            client._native.detach(value[2:])
            raise StopIteration
        return _raise_answer(self, value, self._next_name)

    __next__ = next


class JavaMap(JavaObject, MutableMapping):  # type: ignore[type-arg]
    """A Java ``Map`` as a Python mapping. ``m[k]`` is Java's ``get``: None for a missing key
    (never ``KeyError``)."""

    def __getitem__(self, key: Any) -> Any:
        return _invoke(self, "get", key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _invoke(self, "put", key, value)

    def __delitem__(self, key: Any) -> None:
        _invoke(self, "remove", key)

    def __len__(self) -> int:
        return int(_invoke(self, "size"))

    def __iter__(self) -> Iterator[Any]:
        return _chunked(_invoke(_invoke(self, "keySet"), "iterator"))

    def __contains__(self, key: object) -> bool:
        return bool(_invoke(self, "containsKey", key))

    def __str__(self) -> str:
        return self.__repr__()

    def __repr__(self) -> str:
        items = ", ".join(f"{k!r}: {v!r}" for k, v in self.items())
        return "{" + items + "}"


class JavaSet(JavaObject, MutableSet):  # type: ignore[type-arg]
    """A Java ``Set`` as a Python set. ``remove`` and ``discard`` both raise ``KeyError`` for an
    absent value (py4j's behaviour)."""

    def add(self, value: Any) -> None:
        _invoke(self, "add", value)

    def discard(self, value: Any) -> None:
        self.remove(value)

    def remove(self, value: Any) -> None:
        if value not in self:
            raise KeyError(value)
        _invoke(self, "remove", value)

    def clear(self) -> None:
        _invoke(self, "clear")

    def __len__(self) -> int:
        return int(_invoke(self, "size"))

    def __iter__(self) -> Iterator[Any]:
        return _chunked(_invoke(self, "iterator"))

    def __contains__(self, value: object) -> bool:
        return bool(_invoke(self, "contains", value))

    def __str__(self) -> str:
        return self.__repr__()

    def __repr__(self) -> str:
        if len(self) == 0:
            return "set()"
        return "{" + ", ".join(repr(x) for x in self) + "}"


def _chunked(iterator: Any) -> Any:
    """An iterator ferry made itself: nobody else sees it, so it fetches large chunks at once."""
    if isinstance(iterator, JavaIterator):
        iterator._chunk = _FIRST_CHUNK
    return iterator


def _normalize(key: int, size: int, clamp: bool = False) -> int:
    if 0 <= key < size:
        return key
    if key < 0 and -key <= size:
        return size + key
    if clamp:
        return size
    raise IndexError("list index out of range")


class JavaArray(JavaObject, Sequence):  # type: ignore[type-arg]
    """A Java array as a Python sequence: elements can be read and assigned (converted to the
    component type by Java), the length is fixed."""

    def __len__(self) -> int:
        length = self.__dict__.get("_length")
        if length is None:
            command = (
                proto.ARRAY_COMMAND_NAME
                + proto.ARRAY_LEN_SUB_COMMAND_NAME
                + self._target_id
                + "\n"
                + proto.END_COMMAND_PART
            )
            length = int(_send(self, command))
            self.__dict__["_length"] = length
        return length  # type: ignore[no-any-return]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return self._slice(range(*key.indices(len(self))))
        if isinstance(key, int):
            index = _normalize(key, len(self))
            command = (
                proto.ARRAY_COMMAND_NAME
                + proto.ARRAY_GET_SUB_COMMAND_NAME
                + self._target_id
                + "\n"
                + get_command_part(index)
                + proto.END_COMMAND_PART
            )
            return _send(self, command)
        raise TypeError(f"array indices must be integers, not {type(key).__name__}")

    def __iter__(self) -> Iterator[Any]:
        client = self._gateway_client
        if not _v2(client):
            return Sequence.__iter__(self)
        return self._batches(client)

    def _batches(self, client: Any) -> Iterator[Any]:
        """The elements, read in pipelined batches of ``java.lang.reflect.Array.get``."""
        n = len(self)
        for start in range(0, n, _ARRAY_BATCH):
            calls = [(self, i) for i in range(start, min(n, start + _ARRAY_BATCH))]
            yield from client._native.call_many(
                "z:java.lang.reflect.Array", "get", calls, client
            )

    def _slice(self, indices: range) -> Any:
        command = proto.ARRAY_COMMAND_NAME + proto.ARRAY_SLICE_SUB_COMMAND_NAME
        command += self._target_id + "\n"
        command += "".join(get_command_part(i) for i in indices)
        return _send(self, command + proto.END_COMMAND_PART)

    def _set(self, index: int, value: Any) -> None:
        command = (
            proto.ARRAY_COMMAND_NAME
            + proto.ARRAY_SET_SUB_COMMAND_NAME
            + self._target_id
            + "\n"
            + get_command_part(index)
            + get_command_part(value, self._gateway_client.gateway_property.pool)
            + proto.END_COMMAND_PART
        )
        _send(self, command)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, slice):
            targets = range(*key.indices(len(self)))
            values = list(value)
            if len(values) != len(targets):
                raise ValueError(
                    f"attempt to assign sequence of size {len(values)} to extended slice of "
                    f"size {len(targets)}"
                )
            for index, item in zip(targets, values):
                self._set(index, item)
        elif isinstance(key, int):
            self._set(_normalize(key, len(self)), value)
        else:
            raise TypeError(f"list indices must be integers, not {type(key).__name__}")


class JavaList(JavaObject, MutableSequence):  # type: ignore[type-arg]
    """A Java ``List`` as a Python list. Slicing copies (a new Java list).

    The Python methods behave as py4j's do, quirks included, since code written for py4j relies
    on them: ``index`` returns -1 for a missing value (Java's ``indexOf``), ``sort`` uses the
    natural order, ``pop()`` on an empty list raises the Java exception, ``remove(x)`` of an
    int looks the value up with ``indexOf`` and reports failure when the removed element is
    falsy, and ``clear()`` pops until the Java exception ends it."""

    def __len__(self) -> int:
        return int(_invoke(self, "size"))

    def __iter__(self) -> Iterator[Any]:
        return _chunked(_invoke(self, "iterator"))

    def _index(self, key: int, clamp: bool = False) -> int:
        return _normalize(key, len(self), clamp)

    def _checked(self, name: str, *args: Any) -> Any:
        """A call whose ``IndexOutOfBoundsException`` becomes ``IndexError``."""
        client = self._gateway_client
        ok, value = client._native.call_checked(self._target_id, name, args, client)
        if ok:
            return value
        if _thrown_class(self, value) in _INDEX_ERRORS:
            client._native.detach(value[2:])
            raise IndexError("list index out of range")
        return _raise_answer(self, value, name)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            indices = range(*key.indices(len(self)))
            command = proto.LIST_COMMAND_NAME + proto.LIST_SLICE_SUBCOMMAND_NAME
            command += self._target_id + "\n"
            command += "".join(get_command_part(i) for i in indices)
            return _send(self, command + proto.END_COMMAND_PART)
        if isinstance(key, int):
            # One round trip for a non-negative index: Java's bounds check gives the IndexError.
            index = key if key >= 0 else self._index(key)
            return self._checked("get", index)
        raise TypeError(f"list indices must be integers, not {type(key).__name__}")

    def _set_item(self, key: int, value: Any) -> None:
        index = key if key >= 0 else self._index(key)
        self._checked("set", index, value)

    def _del_item(self, key: int) -> None:
        index = key if key >= 0 else self._index(key)
        self._checked("remove", index)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, int):
            self._set_item(key, value)
            return
        if not isinstance(key, slice):
            raise TypeError(f"list indices must be integers, not {type(key).__name__}")
        size = len(self)
        start, stop, step = key.indices(size)
        if start >= size:
            for item in value:
                _invoke(self, "add", item)
        elif start == stop:
            for offset, item in enumerate(value):
                _invoke(self, "add", start + offset, item)
        elif step == 1:
            # py4j's order: replace in place, remove (by the unshifted index) where the values
            # ran out, then insert what is left after the last index.
            values = iter(value)
            last = start
            for index in range(start, stop):
                try:
                    self._set_item(index, next(values))
                except StopIteration:
                    self._del_item(index)
                last = index + 1
            for item in values:
                _invoke(self, "add", last, item)
                last += 1
        else:
            targets = range(start, stop, step)
            if len(targets) != len(value):
                raise ValueError(
                    f"attempt to assign sequence of size {len(value)} to extended slice of "
                    f"size {len(targets)}"
                )
            for index, item in zip(targets, value):
                self._set_item(index, item)

    def __delitem__(self, key: Any) -> None:
        if isinstance(key, slice):
            for offset, index in enumerate(range(*key.indices(len(self)))):
                self._del_item(index - offset)
        elif isinstance(key, int):
            self._del_item(key)
        else:
            raise TypeError(f"list indices must be integers, not {type(key).__name__}")

    def __contains__(self, item: object) -> bool:
        return bool(_invoke(self, "contains", item))

    def __add__(self, other: Any) -> Any:
        command = (
            proto.LIST_COMMAND_NAME
            + proto.LIST_CONCAT_SUBCOMMAND_NAME
            + self._target_id
            + "\n"
            + other._get_object_id()
            + "\n"
            + proto.END_COMMAND_PART
        )
        return _send(self, command)

    def __radd__(self, other: Any) -> Any:
        return self.__add__(other)

    def __iadd__(self, other: Any) -> Self:
        self.extend(other)
        return self

    def __mul__(self, other: int) -> Any:
        command = (
            proto.LIST_COMMAND_NAME
            + proto.LIST_MULT_SUBCOMMAND_NAME
            + self._target_id
            + "\n"
            + get_command_part(other)
            + proto.END_COMMAND_PART
        )
        return _send(self, command)

    __rmul__ = __mul__

    def __imul__(self, other: int) -> Self:
        command = (
            proto.LIST_COMMAND_NAME
            + proto.LIST_IMULT_SUBCOMMAND_NAME
            + self._target_id
            + "\n"
            + get_command_part(other)
            + proto.END_COMMAND_PART
        )
        _send(self, command)
        return self

    def append(self, value: Any) -> None:
        _invoke(self, "add", value)

    def insert(self, key: int, value: Any) -> None:
        if not isinstance(key, int):
            raise TypeError(f"list indices must be integers, not {type(key).__name__}")
        _invoke(self, "add", self._index(key, clamp=True), value)

    def extend(self, other_list: Any) -> None:
        _invoke(self, "addAll", other_list)

    def pop(self, key: int | None = None) -> Any:
        index = len(self) - 1 if key is None else self._index(key)
        return _invoke(self, "remove", index)

    def index(self, value: Any, *args: Any) -> int:  # type: ignore[override]
        return int(_invoke(self, "indexOf", value))

    def count(self, value: Any) -> int:
        command = (
            proto.LIST_COMMAND_NAME
            + proto.LIST_COUNT_SUBCOMMAND_NAME
            + self._target_id
            + "\n"
            + get_command_part(value)
            + proto.END_COMMAND_PART
        )
        return int(_send(self, command))

    def sort(self) -> None:  # type: ignore[override]
        command = proto.LIST_COMMAND_NAME + proto.LIST_SORT_SUBCOMMAND_NAME
        _send(self, command + self._target_id + "\n" + proto.END_COMMAND_PART)

    def reverse(self) -> None:
        command = proto.LIST_COMMAND_NAME + proto.LIST_REVERSE_SUBCOMMAND_NAME
        _send(self, command + self._target_id + "\n" + proto.END_COMMAND_PART)

    def remove(self, value: Any) -> None:
        # An int would select List.remove(int index): look the value's index up first.
        target = _invoke(self, "indexOf", value) if isinstance(value, int) else value
        if not _invoke(self, "remove", target):
            raise ValueError("java_list.remove(x): x not in java_list")

    def __str__(self) -> str:
        return self.__repr__()

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(x) for x in self) + "]"


def _fill(
    target: JavaObject, method: str, calls: Iterable[tuple[Any, ...]], client: Any
) -> None:
    """Calls ``method`` on ``target`` once per argument tuple, pipelined in batches; nested
    collections are converted first when ``auto_convert`` is on."""
    from ferry._proxies import _convert_args, _release_temps

    temps: list[Any] = []
    batch: list[tuple[Any, ...]] = []
    try:
        for args in calls:
            if client.converters:
                args, made = _convert_args(args, client)
                temps.extend(made)
            batch.append(args)
            if len(batch) >= _FILL_BATCH:
                client._native.call_batch(target._target_id, method, batch, client)
                batch = []
        if batch:
            client._native.call_batch(target._target_id, method, batch, client)
    finally:
        _release_temps(temps)


_FILL_BATCH = 512


class SetConverter:
    """Converts a Python set (any ``collections.abc.Set``) to a ``java.util.HashSet``."""

    # Over protocol v2 the set travels by value in the call's frame (see _convert_args).
    _ferry_bulk = True

    def can_convert(self, object: Any) -> bool:
        return isinstance(object, AbstractSet)

    def convert(self, object: Any, gateway_client: Any) -> Any:
        if _v2(gateway_client):
            value = object if isinstance(object, (set, frozenset)) else set(object)
            return gateway_client._native.to_java(
                value, gateway_client, gateway_client.converters is not None
            )
        java_set = JavaClass("java.util.HashSet", gateway_client)()
        _fill(java_set, "add", ((e,) for e in object), gateway_client)
        return java_set


class ListConverter:
    """Converts any iterable (except str, bytes and bytearray) to a ``java.util.ArrayList``."""

    _ferry_bulk = True

    def can_convert(self, object: Any) -> bool:
        return hasattr(type(object), "__iter__") and not isinstance(
            object, (str, bytes, bytearray)
        )

    def convert(self, object: Any, gateway_client: Any) -> Any:
        if _v2(gateway_client):
            value = object if isinstance(object, (list, tuple)) else list(object)
            return gateway_client._native.to_java(
                value, gateway_client, gateway_client.converters is not None
            )
        java_list = JavaClass("java.util.ArrayList", gateway_client)()
        _fill(java_list, "add", ((e,) for e in object), gateway_client)
        return java_list


class MapConverter:
    """Converts a mapping (anything with ``keys`` and ``__getitem__``) to a
    ``java.util.HashMap``."""

    _ferry_bulk = True

    def can_convert(self, object: Any) -> bool:
        cls = type(object)
        return hasattr(cls, "keys") and hasattr(cls, "__getitem__")

    def convert(self, object: Any, gateway_client: Any) -> Any:
        if _v2(gateway_client):
            value = (
                object
                if isinstance(object, dict)
                else {k: object[k] for k in object.keys()}  # noqa: SIM118 (py4j calls keys())
            )
            return gateway_client._native.to_java(
                value, gateway_client, gateway_client.converters is not None
            )
        java_map = JavaClass("java.util.HashMap", gateway_client)()
        keys = object.keys()
        _fill(java_map, "put", ((k, object[k]) for k in keys), gateway_client)
        return java_map


register_input_converter(SetConverter())
register_input_converter(MapConverter())
register_input_converter(ListConverter())

register_output_converter(proto.MAP_TYPE, JavaMap)
register_output_converter(proto.LIST_TYPE, JavaList)
register_output_converter(proto.ARRAY_TYPE, JavaArray)
register_output_converter(proto.SET_TYPE, JavaSet)
register_output_converter(proto.ITERATOR_TYPE, JavaIterator)
