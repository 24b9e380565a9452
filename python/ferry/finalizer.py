"""Registries of weak references with callbacks (py4j.finalizer's API).

ferry's own proxies do not use them (a proxy's Java object is released through a native
handle when the proxy is collected); they remain for code that registers its own finalizers.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, ClassVar


class ThreadSafeFinalizer:
    """A process-wide registry of weak references by id, safe across threads: keeping the weak
    reference (and so its callback) alive outside the object it watches."""

    finalizers: ClassVar[dict[Any, weakref.ref[Any]]] = {}
    lock: ClassVar[threading.RLock] = threading.RLock()

    @classmethod
    def add_finalizer(cls, id: Any, weak_ref: weakref.ref[Any]) -> None:
        with cls.lock:
            cls.finalizers[id] = weak_ref

    @classmethod
    def remove_finalizer(cls, id: Any) -> None:
        with cls.lock:
            cls.finalizers.pop(id, None)

    @classmethod
    def clear_finalizers(cls, clear_all: bool = False) -> None:
        """Removes every finalizer, or (by default) those whose object is gone."""
        with cls.lock:
            if clear_all:
                cls.finalizers.clear()
            else:
                for key, ref in list(cls.finalizers.items()):
                    if ref() is None:
                        cls.finalizers.pop(key, None)


class Finalizer:
    """The same registry without a lock, for single-threaded programs."""

    finalizers: ClassVar[dict[Any, weakref.ref[Any]]] = {}

    @classmethod
    def add_finalizer(cls, id: Any, weak_ref: weakref.ref[Any]) -> None:
        cls.finalizers[id] = weak_ref

    @classmethod
    def remove_finalizer(cls, id: Any) -> None:
        cls.finalizers.pop(id, None)

    @classmethod
    def clear_finalizers(cls, clear_all: bool = False) -> None:
        if clear_all:
            cls.finalizers.clear()
        else:
            for key, ref in list(cls.finalizers.items()):
                if ref() is None:
                    cls.finalizers.pop(key, None)


def clear_finalizers(clear_all: bool = False) -> None:
    """Clears both registries (see ``ThreadSafeFinalizer.clear_finalizers``)."""
    ThreadSafeFinalizer.clear_finalizers(clear_all)
    Finalizer.clear_finalizers(clear_all)
