"""Signals: named events that receivers subscribe to (py4j.signals' API).

Receivers are held strongly: disconnect them when they are no longer wanted.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Hashable
from typing import Any


def make_id(func: Any) -> Hashable:
    """An identity for a receiver: bound methods of one object and function compare equal."""
    if inspect.ismethod(func):
        return (id(func.__self__), id(func.__func__))
    return id(func)


NONE_ID = make_id(None)


class Signal:
    """An event that receivers can connect to. ``send`` calls every receiver connected for the
    sender (or for any sender) with ``signal``, ``sender`` and the keyword arguments."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.receivers: list[tuple[tuple[Hashable, Hashable], Callable[..., Any]]] = []

    def _get_id(
        self, receiver: Any, unique_id: Hashable | None, sender: Any
    ) -> tuple[Any, Any]:
        return (unique_id if unique_id else make_id(receiver), make_id(sender))

    def connect(
        self,
        receiver: Callable[..., Any],
        sender: Any = None,
        unique_id: Hashable | None = None,
    ) -> None:
        """Connects a receiver (a callable taking keyword arguments), for one sender or (None)
        for every sender. A receiver with the same id is connected once."""
        key = self._get_id(receiver, unique_id, sender)
        with self.lock:
            if all(existing != key for existing, _ in self.receivers):
                self.receivers.append((key, receiver))

    def disconnect(
        self,
        receiver: Callable[..., Any],
        sender: Any = None,
        unique_id: Hashable | None = None,
    ) -> bool:
        """Disconnects a receiver; returns whether it was connected."""
        key = self._get_id(receiver, unique_id, sender)
        with self.lock:
            for index, (existing, _) in enumerate(self.receivers):
                if existing == key:
                    del self.receivers[index]
                    return True
        return False

    def send(self, sender: Any, **params: Any) -> list[tuple[Callable[..., Any], Any]]:
        """Calls the receivers; returns their ``(receiver, response)`` pairs. An exception in a
        receiver propagates (later receivers are not called)."""
        sender_id = make_id(sender)
        with self.lock:
            targets = [
                r
                for (_, rsender), r in self.receivers
                if rsender in (NONE_ID, sender_id)
            ]
        return [(r, r(signal=self, sender=sender, **params)) for r in targets]
