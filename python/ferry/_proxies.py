"""Python proxies of Java things: objects, their members, classes, packages and JVM views.

Differences from py4j, same API:

- a ``JavaObject`` derives from ``ferry._native.JavaObject``, which holds a native handle on
  its id; when the proxy and the members taken from it are garbage collected (by reference
  counting: they form no cycle) the id is queued for release;
- ``JavaMember`` is native (``ferry._native.JavaMember``): the first ``obj.method`` makes the
  member natively and remembers it as a plain attribute of ``obj`` (the member holds ``obj``
  weakly), so ``obj.method(...)`` is a dictionary lookup and a call that encodes the arguments,
  waits for the reply with the GIL released and decodes it, all in Rust;
- reflection answers are remembered per client and JVM view: a class name, and the static
  methods and nested classes of a class, cost no round trip the second time (they become plain
  attributes of the package, view or class object). Static field values are never remembered.
  "This is a package" answers expire after ``PACKAGE_MEMO_SECONDS`` (a class may appear
  later), unless a class was found under the package, which proves it. ``java_import`` on a
  view forgets that view's answers.
"""

from __future__ import annotations

import time
import weakref
from pydoc import pager
from typing import TYPE_CHECKING, Any

from ferry import _native
from ferry import protocol as proto
from ferry.protocol import Py4JError, get_command_part, get_error_message

if TYPE_CHECKING:
    from ferry._gateway_client import GatewayClient

PACKAGE_MEMO_SECONDS = 1.0
"""How long a "this name is a package" answer is trusted."""

_monotonic = time.monotonic


def is_magic_member(name: str) -> bool:
    """Whether a name starts and ends with ``__``."""
    return name[:2] == "__" and name[-2:] == "__"


def _convert_args(
    args: tuple[Any, ...], client: Any
) -> tuple[tuple[Any, ...], list[Any]]:
    """Applies the input converters (``auto_convert``); returns the new arguments and the
    temporary Java objects made for them (released after the call).

    Over protocol v2, what ferry's own collection converters claim is not converted here: it is
    marked to travel by value (``_native.Bulk``), in the call's frame, nested collections
    included; custom converters (PySpark's, say) still run first, in their order, for the
    arguments and for the elements of the collections."""
    converters = client.converters
    new_args = []
    temps = []
    bulk: bool | None = None
    for arg in args:
        if not isinstance(arg, JavaObject):
            for converter in converters:
                if converter.can_convert(arg):
                    if getattr(converter, "_ferry_bulk", False):
                        if bulk is None:
                            bulk = client._native.protocol(client) == 2
                        if bulk:
                            arg = _native.Bulk(arg)
                            break
                    arg = converter.convert(arg, client)
                    temps.append(arg)
                    break
        new_args.append(arg)
    return tuple(new_args), temps


def _bulk_element(obj: Any, client: Any) -> Any:
    """What an element of a value sent by value becomes when a custom input converter claims
    it (ferry's own collection converters are skipped: the encoder handles collections); None
    when no converter does."""
    for converter in client.converters or ():
        if getattr(converter, "_ferry_bulk", False):
            continue
        if converter.can_convert(obj):
            return converter.convert(obj, client)
    return None


def _release_temps(temps: list[Any]) -> None:
    """Releases the temporary Java objects made for a call's arguments: queued, they go with
    the next command."""
    for temp in temps:
        if isinstance(temp, JavaObject):
            temp._gateway_client._native.detach(temp._target_id)
        else:
            detach = getattr(temp, "_detach", None)
            if detach is not None:
                detach()


JavaMember = _native.JavaMember


def _build_args(member: JavaMember, args: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """The argument lines of a call (input converters applied) and the temporaries made."""
    client = member.gateway_client
    temps: list[Any] = []
    if client.converters:
        args, temps = _convert_args(args, client)
    pool = client.gateway_property.pool
    return "".join(get_command_part(a, pool) for a in args), temps


def _member_stream(member: JavaMember, args: tuple[Any, ...]) -> Any:
    """``member.stream(*args)``: calls a method that returns a ``ReadableByteChannel``; returns
    a guard whose ``read`` gives the channel's bytes (py4j's binary call)."""
    args_command, temps = _build_args(member, args)
    command = (
        proto.STREAM_COMMAND_NAME
        + member.command_header
        + args_command
        + proto.END_COMMAND_PART
    )
    client = member.gateway_client
    try:
        answer, guard = client.send_command(command, binary=True)
        _get_return_value(answer, client, member.target_id, member.name)
    finally:
        _release_temps(temps)
    return guard


def _member_doc(member: JavaMember) -> str | None:
    """``member.__doc__``: the help page of the method's overloads."""
    return gateway_help(member.gateway_client, member, display=False)


def _auto_field_lookup(obj: JavaObject, name: str) -> tuple[bool, Any]:
    """A name looked up on an ``auto_field`` object: ``(True, value)`` when it is a field."""
    is_field, value = obj._get_field(name)
    if is_field:
        obj._known_fields().add(name)
    return is_field, value


def _converting_call(member: JavaMember, args: tuple[Any, ...]) -> Any:
    """A member call with the input converters applied (``auto_convert``); the native
    ``__call__`` hands calls over to it when the client has converters."""
    client = member.gateway_client
    args, temps = _convert_args(args, client)
    try:
        return client._native.call(member.target_id, member.name, args, client)
    finally:
        _release_temps(temps)


def _get_return_value(answer: str, client: Any, target_id: Any, name: Any) -> Any:
    from ferry import java_gateway

    return java_gateway.get_return_value(answer, client, target_id, name)


class JavaObject(_native.JavaObject):
    """A Java object held by the gateway. Attributes are its methods (``obj.size()``); fields
    are read with ``get_field`` (or as attributes with ``auto_field``).

    ``_target_id``, ``_gateway_client``, ``_get_object_id()`` and the lookup of Java methods
    are native (``ferry._native.JavaObject``)."""

    _gateway_doc: str | None = None
    _fully_populated = False

    def _detach(self) -> None:
        """Releases the Java object now (it is sent with the next command)."""
        self._gateway_client.garbage_collect_object(self._target_id)

    @property  # type: ignore[override]
    def __doc__(self) -> str | None:
        if self._gateway_doc is None:
            self._gateway_doc = gateway_help(self._gateway_client, self, display=False)
        return self._gateway_doc

    def _known_fields(self) -> set[str]:
        fields: set[str] = self.__dict__.setdefault("_field_names", set())
        return fields

    def _get_field(self, name: str) -> tuple[bool, Any]:
        command = (
            proto.FIELD_COMMAND_NAME
            + proto.FIELD_GET_SUBCOMMAND_NAME
            + self._target_id
            + "\n"
            + name
            + "\n"
            + proto.END_COMMAND_PART
        )
        client = self._gateway_client
        kind, value = client._native.request(command, client, raise_errors=False)
        if kind == "y":
            return True, value
        return False, None

    def __dir__(self) -> list[str]:
        self._populate_fields()
        return sorted(self.__dict__["_dir_names"])

    def _populate_fields(self) -> None:
        if self._fully_populated:
            return
        names: set[str] = set()
        if self._auto_field:
            names.update(self._dir("f"))
            self._known_fields().update(names)
        names.update(self._dir("m"))
        self.__dict__["_dir_names"] = names
        self._fully_populated = True

    def _dir(self, sub: str) -> list[str]:
        client = self._gateway_client
        command = proto.DIR_COMMAND_NAME + sub + "\n" + self._target_id + "\n" + "e\n"
        _, value = client._native.request(command, client, self._target_id, "__dir__")
        return [n for n in (value or "").split("\n") if n]

    def __eq__(self, other: object) -> bool:
        if other is None:
            return False
        if hasattr(other, "_get_object_id"):
            return bool(self.equals(other))
        return other.__eq__(self)  # type: ignore[no-any-return]

    def __hash__(self) -> int:
        return int(self.hashCode())

    def __str__(self) -> str:
        return str(self.toString())

    def __repr__(self) -> str:
        return "JavaObject id=" + self._target_id


class JavaClass(_native.JavaClass):
    """A Java class: calling it calls a constructor; its attributes are its static members
    (static fields are read at each access; static methods and nested classes are
    remembered).

    The call is native (``ferry._native.JavaClass``): it calls the client's ``construct`` with
    ``_fqn``, or ``_construct_converting`` when the client has input converters."""

    def __init__(self, fqn: str, gateway_client: GatewayClient) -> None:
        self._fqn = fqn
        self._gateway_client = gateway_client
        self._pool = gateway_client.gateway_property.pool
        self._command_header = fqn + "\n"
        self._converters = gateway_client.converters
        self._gateway_doc: str | None = None
        self._statics: list[str] | None = None
        members = gateway_client._class_members.get(fqn)
        if members is None:
            members = gateway_client._class_members.setdefault(fqn, {})
        self._members = members

    @property  # type: ignore[override]
    def __doc__(self) -> str | None:
        if self._gateway_doc is None:
            self._gateway_doc = gateway_help(self._gateway_client, self, display=False)
        return self._gateway_doc

    def __dir__(self) -> list[str]:
        if self._statics is None:
            client = self._gateway_client
            command = (
                proto.DIR_COMMAND_NAME
                + proto.DIR_STATIC_SUBCOMMAND_NAME
                + self._fqn
                + "\n"
                + proto.END_COMMAND_PART
            )
            _, value = client._native.request(command, client, self._fqn, "__dir__")
            self._statics = (value or "").split("\n")
        return self._statics[:]

    @property
    def _java_lang_class(self) -> Any:
        """The ``java.lang.Class`` of this class (``.class`` in Java)."""
        client = self._gateway_client
        command = (
            proto.REFLECTION_COMMAND_NAME
            + proto.REFL_GET_JAVA_LANG_CLASS_SUB_COMMAND_NAME
            + self._fqn
            + "\n"
            + proto.END_COMMAND_PART
        )
        kind, value = client._native.request(command, client, raise_errors=False)
        if kind == "y":
            return value
        raise Py4JError(f"{self._fqn} does not exist in the JVM")

    def __getattr__(self, name: str) -> Any:
        if is_magic_member(name):
            raise AttributeError(name)
        member = self._members.get(name)
        if member is not None:
            self.__dict__[name] = member
            return member
        client = self._gateway_client
        command = (
            proto.REFLECTION_COMMAND_NAME
            + proto.REFL_GET_MEMBER_SUB_COMMAND_NAME
            + self._fqn
            + "\n"
            + name
            + "\n"
            + proto.END_COMMAND_PART
        )
        kind, value = client._native.request(
            command, client, self._fqn, name, raise_errors=False
        )
        if kind == "m":
            member = JavaMember(name, None, proto.STATIC_PREFIX + self._fqn, client)
        elif kind == "c":
            member = JavaClass(self._fqn + "$" + name, client)
        elif kind == "y":
            return value
        else:
            raise Py4JError(f"{self._fqn}.{name} does not exist in the JVM")
        self._members[name] = member
        # Static methods and nested classes do not change: a plain attribute from now on.
        self.__dict__[name] = member
        return member

    def _construct_converting(self, args: tuple[Any, ...]) -> Any:
        """A constructor call with the input converters applied (the native call's path when
        the client has converters)."""
        client = self._gateway_client
        args, temps = _convert_args(args, client)
        try:
            return client._native.construct(self._fqn, args, client)
        finally:
            _release_temps(temps)

    def __repr__(self) -> str:
        return f"<JavaClass {self._fqn}>"


class UserHelpAutoCompletion:
    """
    Type a package name or a class name.

    For example with a JVMView called view:
    >>> o = view.Object() # create a java.lang.Object
    >>> random = view.jvm.java.util.Random() # create a java.util.Random

    The default JVMView is in the gateway and is called:
    >>> gateway.jvm

    By default, java.lang.* is available in the view. To
    add additional Classes/Packages, do:
    >>> from ferry.java_gateway import java_import
    >>> java_import(gateway.jvm, "com.example.Class1")
    >>> instance = gateway.jvm.Class1()

    Package and class completions are only available for
    explicitly imported Java classes.
    """

    KEY = "<package or class name>"


def _resolve(client: Any, view_id: str, name: str) -> Any:
    """A name seen from a JVM view: a ``JavaClass``, or a ``JavaPackage``; remembered."""
    memo = client._view_memos.get(view_id)
    if memo is None:
        memo = client._view_memos.setdefault(view_id, {})
    hit = memo.get(name)
    if hit is not None:
        expiry = hit[1]
        if expiry is None or _monotonic() < expiry:
            return hit[0]
    command = (
        proto.REFLECTION_COMMAND_NAME
        + proto.REFL_GET_UNKNOWN_SUB_COMMAND_NAME
        + name
        + "\n"
        + view_id
        + "\n"
        + proto.END_COMMAND_PART
    )
    kind, value = client._native.request(command, client, raise_errors=False)
    if kind == "p":
        # Still a package: keep the same object (and the classes it remembers).
        stale = hit[0] if hit is not None else None
        obj: Any = (
            stale
            if isinstance(stale, JavaPackage)
            else JavaPackage(name, client, view_id)
        )
        memo[name] = (obj, _monotonic() + PACKAGE_MEMO_SECONDS)
        return obj
    if kind == "c":
        obj = JavaClass(value, client)
        memo[name] = (obj, None)
        return obj
    _, error_message = get_error_message(value if kind == "x" else "")
    raise Py4JError(
        proto.compute_exception_message(
            f"{name} does not exist in the JVM", error_message
        )
    )


def _remember(holder: Any, name: str, found: Any) -> None:
    """Keeps what a name resolved to as a plain attribute of ``holder`` (a package or a view),
    when it cannot change: a class, or a package proven by a class found under it. Then the
    holder, containing something, is itself a proven package. Unproven package answers only stay
    in the view's memo, where they expire."""
    if not (
        isinstance(found, JavaClass)
        or (isinstance(found, JavaPackage) and found._proven)
    ):
        return
    holder.__dict__[name] = found
    if isinstance(holder, JVMView):
        holder.__dict__.setdefault("_remembered", set()).add(name)
    elif isinstance(holder, JavaPackage) and not holder._proven:
        holder._proven = True
        memo = holder._gateway_client._view_memos.setdefault(holder._jvm_id, {})
        memo[holder._fqn] = (holder, None)


def forget_view_names(client: Any, view_id: str) -> None:
    """Forgets what names meant in a JVM view (after an import into it): the memo, and the
    names remembered as attributes of every view object of that id."""
    client._view_memos.pop(view_id, None)
    for view in list(client._views.get(view_id, ())):
        for name in view.__dict__.pop("_remembered", ()):
            view.__dict__.pop(name, None)


class JavaPackage:
    """A Java package: its attributes are sub-packages and classes."""

    # A class (or a proven package) was found under it: it is a package for good.
    _proven = False

    def __init__(
        self, fqn: str, gateway_client: GatewayClient, jvm_id: str | None = None
    ) -> None:
        self._fqn = fqn
        self._gateway_client = gateway_client
        self._jvm_id = jvm_id if jvm_id is not None else proto.DEFAULT_JVM_ID

    def __dir__(self) -> list[str]:
        return [UserHelpAutoCompletion.KEY]

    def __getattr__(self, name: str) -> Any:
        if name == UserHelpAutoCompletion.KEY:
            return UserHelpAutoCompletion
        if name == "__call__":
            raise Py4JError("Trying to call a package.")
        if is_magic_member(name):
            raise AttributeError(name)
        found = _resolve(self._gateway_client, self._jvm_id, self._fqn + "." + name)
        _remember(self, name, found)
        return found

    def __repr__(self) -> str:
        return f"<JavaPackage {self._fqn}>"


class JVMView:
    """Access to the JVM's classes and packages, with its own imports (``java_import``);
    ``java.lang`` is always imported."""

    def __init__(
        self,
        gateway_client: GatewayClient,
        jvm_name: str,
        id: str | None = None,
        jvm_object: Any = None,
    ) -> None:
        self._gateway_client = gateway_client
        self._jvm_name = jvm_name
        if id is not None:
            self._id = id
        elif jvm_object is not None:
            self._id = proto.REFERENCE_TYPE + jvm_object._get_object_id()
            # The Java view lives as long as this Python view.
            self._jvm_object = jvm_object
        self._dir_sequence_and_cache: tuple[str | None, list[str]] = (None, [])
        views = gateway_client._views.get(self._id)
        if views is None:
            views = gateway_client._views.setdefault(self._id, weakref.WeakSet())
        views.add(self)

    def __dir__(self) -> list[str]:
        client = self._gateway_client
        command = (
            proto.DIR_COMMAND_NAME
            + proto.DIR_JVMVIEW_SUBCOMMAND_NAME
            + self._id
            + "\n"
            + get_command_part(self._dir_sequence_and_cache[0])
            + proto.END_COMMAND_PART
        )
        _, value = client._native.request(command, client, self._id, "__dir__")
        if value is not None:
            lines = value.split("\n")
            self._dir_sequence_and_cache = (
                lines[0],
                lines[1:] + [UserHelpAutoCompletion.KEY],
            )
        return self._dir_sequence_and_cache[1][:]

    def __getattr__(self, name: str) -> Any:
        if name == UserHelpAutoCompletion.KEY:
            return UserHelpAutoCompletion()
        if is_magic_member(name):
            raise AttributeError(name)
        found = _resolve(self._gateway_client, self._id, name)
        _remember(self, name, found)
        return found

    def __repr__(self) -> str:
        return f"<JVMView {self._jvm_name} ({self._id})>"


def gateway_help(
    gateway_client: Any,
    var: Any,
    pattern: str | None = None,
    short_name: bool = True,
    display: bool = True,
) -> str | None:
    """The help page of a Java object, class or member (shown in a pager, or returned with
    ``display=False``). ``pattern`` filters members (``*`` wildcards, e.g. ``"get*"``)."""
    if isinstance(var, (JavaObject, _HelpTarget)):
        command = (
            proto.HELP_COMMAND_NAME
            + proto.HELP_OBJECT_SUBCOMMAND_NAME
            + var._get_object_id()
            + "\n"
            + get_command_part(pattern)
            + get_command_part(short_name)
            + proto.END_COMMAND_PART
        )
    elif isinstance(var, JavaClass):
        command = (
            proto.HELP_COMMAND_NAME
            + proto.HELP_CLASS_SUBCOMMAND_NAME
            + var._fqn
            + "\n"
            + get_command_part(pattern)
            + get_command_part(short_name)
            + proto.END_COMMAND_PART
        )
    elif isinstance(var, JavaMember):
        if pattern is not None:
            raise Py4JError("pattern should be None with var is a JavaMember")
        target_id = var.target_id
        container: Any
        if target_id.startswith(proto.STATIC_PREFIX):
            container = JavaClass(target_id[len(proto.STATIC_PREFIX) :], gateway_client)
        else:
            # The member's object may be gone; its id is still bound (the member holds it).
            container = var.container
            if container is None:
                container = _HelpTarget(target_id)
        return gateway_help(
            gateway_client,
            container,
            var.name + "(*",
            short_name=short_name,
            display=display,
        )
    else:
        raise Py4JError("var is none of Java Object, Java Class or Java Member")
    _, page = gateway_client._native.request(command, gateway_client)
    if display:
        pager(page)
        return None
    return page  # type: ignore[no-any-return]


class _HelpTarget:
    """The id of an object whose proxy is gone, for the help page of a member taken from it."""

    def __init__(self, target_id: str) -> None:
        self._target_id = target_id

    def _get_object_id(self) -> str:
        return self._target_id


_native.install_proxy_hooks(_auto_field_lookup, _member_doc, _member_stream)
_native.install_bulk_hooks(_bulk_element)
