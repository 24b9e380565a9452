"""py4j.compat's helpers (Python 3 only), and ``install_as_py4j``: run code written for py4j
on ferry without changing its imports."""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import inspect
import queue
import sys
import threading
import types
from collections.abc import Iterable
from typing import Any

from ferry.version import PY4J_VERSION

version_info = sys.version_info

long = int
basestring = str
unicode = str
bytearray2 = bytes
unichr = chr
bytestr = bytes
range = builtins.range
next = builtins.next
Queue = queue.Queue
Empty = queue.Empty


def items(d: dict[Any, Any]) -> list[tuple[Any, Any]]:
    return list(d.items())


def iteritems(d: dict[Any, Any]) -> Iterable[tuple[Any, Any]]:
    return d.items()


def tobytestr(s: str) -> bytes:
    return bytes(s, "ascii")


def isbytestr(s: Any) -> bool:
    return isinstance(s, bytes)


def ispython3bytestr(s: Any) -> bool:
    return isinstance(s, bytes)


def isbytearray(s: Any) -> bool:
    return isinstance(s, bytearray)


def bytetoint(b: int) -> int:
    return b


def bytetostr(b: bytes) -> str:
    return str(b, encoding="ascii")


def strtobyte(s: str) -> bytes:
    return bytes(s, encoding="ascii")


def hasattr2(obj: Any, attr: str) -> bool:
    """``hasattr`` without running ``__getattr__`` (a static lookup)."""
    return bool(inspect.getattr_static(obj, attr, False))


class CompatThread(threading.Thread):
    """A thread that accepts ``daemon`` as a keyword argument."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        daemon = kwargs.pop("daemon", None)
        super().__init__(*args, **kwargs)
        if daemon:
            self.daemon = daemon


_MODULES = (
    "java_gateway",
    "protocol",
    "java_collections",
    "finalizer",
    "signals",
    "compat",
    "clientserver",
)
_LATER: dict[str, str] = {}


class _Missing(importlib.abc.MetaPathFinder):
    """Makes ``import py4j.<module>`` of a module ferry does not provide fail with a message
    that says so."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if not fullname.startswith("py4j."):
            return None
        package = sys.modules.get("py4j")
        if package is None or not getattr(package, "__ferry__", False):
            return None
        name = fullname[len("py4j.") :]
        reason = _LATER.get(name.split(".")[0], f"ferry does not provide py4j.{name}")
        raise ModuleNotFoundError(
            f"No module named {fullname!r}: {reason}", name=fullname
        )


def _real_py4j_loaded() -> list[str]:
    loaded = []
    for name, module in list(sys.modules.items()):
        is_py4j = name == "py4j" or name.startswith("py4j.")
        if is_py4j and module is not None and not getattr(module, "__ferry__", False):
            loaded.append(name)
    return sorted(loaded)


def install_as_py4j() -> None:
    """Registers ferry's modules as ``py4j``, ``py4j.java_gateway``, ``py4j.protocol``,
    ``py4j.java_collections``, ``py4j.finalizer``, ``py4j.signals``, ``py4j.compat``,
    ``py4j.clientserver`` and ``py4j.version`` in ``sys.modules``, so that code importing py4j
    runs on ferry unchanged.

    Call it before anything imports py4j: if the real py4j is already imported it raises
    ``RuntimeError`` (mixing the two would break ``isinstance`` checks such as
    ``except Py4JJavaError``). Calling it again is harmless."""
    real = _real_py4j_loaded()
    if real:
        raise RuntimeError(
            "the real py4j is already imported (" + ", ".join(real) + "); call "
            "ferry.compat.install_as_py4j() before anything imports py4j"
        )
    if getattr(sys.modules.get("py4j"), "__ferry__", False):
        return
    package = types.ModuleType("py4j", "ferry, installed under py4j's name")
    package.__path__ = []
    package.__version__ = PY4J_VERSION  # type: ignore[attr-defined]
    package.__ferry__ = True  # type: ignore[attr-defined]
    version = types.ModuleType("py4j.version")
    version.__version__ = PY4J_VERSION  # type: ignore[attr-defined]
    version.__ferry__ = True  # type: ignore[attr-defined]
    package.version = version  # type: ignore[attr-defined]
    modules = {name: importlib.import_module(f"ferry.{name}") for name in _MODULES}
    sys.modules["py4j"] = package
    sys.modules["py4j.version"] = version
    for name, module in modules.items():
        module.__ferry__ = True  # type: ignore[attr-defined]
        sys.modules[f"py4j.{name}"] = module
        setattr(package, name, module)
    if not any(isinstance(f, _Missing) for f in sys.meta_path):
        sys.meta_path.insert(0, _Missing())
