"""ferry.finalizer and ferry.signals."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from ferry import java_gateway, signals
from ferry.finalizer import Finalizer, ThreadSafeFinalizer, clear_finalizers


class _Thing:
    pass


def test_finalizer_registries() -> None:
    for registry in (ThreadSafeFinalizer, Finalizer):
        _check_registry(registry)


def _check_registry(registry: Any) -> None:
    calls: list[str] = []
    alive = _Thing()
    dead = _Thing()
    registry.add_finalizer("alive", weakref.ref(alive, lambda r: calls.append("alive")))
    registry.add_finalizer("dead", weakref.ref(dead, lambda r: calls.append("dead")))
    del dead
    gc.collect()
    assert calls == ["dead"]
    registry.clear_finalizers()
    assert "dead" not in registry.finalizers and "alive" in registry.finalizers
    registry.remove_finalizer("alive")
    assert "alive" not in registry.finalizers
    registry.add_finalizer("x", weakref.ref(alive))
    clear_finalizers(clear_all=True)
    assert registry.finalizers == {}


def test_signals_connect_send_disconnect() -> None:
    signal = signals.Signal()
    received: list[tuple[Any, dict[str, Any]]] = []

    def receiver(signal: Any, sender: Any, **kwargs: Any) -> str:
        received.append((sender, kwargs))
        return "seen"

    sender_a, sender_b = object(), object()
    signal.connect(receiver)
    signal.connect(receiver)  # once only
    responses = signal.send(sender_a, x=1)
    assert responses == [(receiver, "seen")]
    assert received == [(sender_a, {"x": 1})]
    assert signal.disconnect(receiver)
    assert not signal.disconnect(receiver)
    signal.connect(receiver, sender=sender_b, unique_id="only-b")
    signal.send(sender_a)
    signal.send(sender_b, y=2)
    assert received[-1] == (sender_b, {"y": 2}) and len(received) == 2
    assert signal.disconnect(receiver, sender=sender_b, unique_id="only-b")


def test_the_callback_server_signals_exist() -> None:
    for name in (
        "server_connection_stopped",
        "server_connection_started",
        "server_connection_error",
        "server_started",
        "server_stopped",
        "pre_server_shutdown",
        "post_server_shutdown",
    ):
        assert isinstance(getattr(java_gateway, name), signals.Signal)
