"""Forks in the pinned-thread mode while other threads open, use and close their own
connections: each child makes its calls on a connection of its own, and none hangs. (That the
fork holds the mode's locks, so that a child never finds one held by a thread it does not have,
is checked deterministically by the client crate's tests: the windows here are too short to hit
reliably.)"""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from forkkit import fork_and_check

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.mark.clients("ferry")
@pytest.mark.modes("pinned")
def test_forks_while_threads_open_and_close_connections_never_hang_the_child(
    gateway: Any,
) -> None:
    # Each short-lived thread registers a connection of its own (the mode's list of live
    # connections, under a lock) and closes it when it ends; a child's first call takes that
    # lock to forget its parent's connections.
    app = gateway.entry_point
    app.currentThreadName()
    stop = threading.Event()
    errors: list[BaseException] = []

    def one_call() -> None:
        try:
            app.currentThreadName()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def churn() -> None:
        while not stop.is_set():
            t = threading.Thread(target=one_call)
            t.start()
            t.join()
            gateway._gateway_client.pinned_stats()  # the same lock, from here too

    churners = [threading.Thread(target=churn) for _ in range(2)]
    for t in churners:
        t.start()
    try:
        for _ in range(30):
            fork_and_check(lambda: gateway.jvm.java.lang.Math.abs(-3) == 3)
    finally:
        stop.set()
        for t in churners:
            t.join()
    assert errors == []
