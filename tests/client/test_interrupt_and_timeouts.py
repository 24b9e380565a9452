"""Waiting on the gateway: Ctrl-C, read timeouts, the GIL."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest
from ferry.protocol import Py4JNetworkError


def test_ctrl_c_interrupts_a_long_java_call(fgateway: Any) -> None:
    thread = fgateway.jvm.java.lang.Thread
    thread.sleep(1)  # names resolved: the next call is a single command
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            thread.sleep(30_000)
        elapsed = time.monotonic() - started
    finally:
        timer.cancel()
    # Liveness bound from the issue: KeyboardInterrupt within 1 s of the signal.
    assert elapsed < 0.3 + 1.0, elapsed
    # The interrupted connection was dropped; the gateway still answers.
    assert fgateway.jvm.java.lang.Math.abs(-2) == 2


def test_a_python_signal_handler_runs_during_a_java_call(fgateway: Any) -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: seen.append(signum))
    try:
        timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1))
        timer.start()
        # A handler that does not raise lets the call finish normally.
        fgateway.jvm.java.lang.Thread.sleep(600)
        timer.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert seen == [signal.SIGUSR1]


def test_other_threads_run_while_a_call_waits(fgateway: Any) -> None:
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    ticker = threading.Thread(target=count)
    ticker.start()
    try:
        fgateway.jvm.java.lang.Thread.sleep(300)
    finally:
        stop.set()
        ticker.join()
    # The GIL was free during the wait: the ticker thread advanced many times.
    assert ticks > 20


def test_concurrent_calls_use_several_connections(fgateway: Any) -> None:
    errors: list[BaseException] = []

    def call() -> None:
        try:
            fgateway.jvm.java.lang.Thread.sleep(200)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert fgateway._gateway_client.stats()["connections_opened"] >= 2


def test_read_timeout_raises_a_network_error(
    ferry_gateway_factory: Any, server: Any
) -> None:
    gateway = ferry_gateway_factory(server, read_timeout=0.3)
    thread = gateway.jvm.java.lang.Thread
    thread.sleep(1)
    with pytest.raises(Py4JNetworkError) as caught:
        thread.sleep(10_000)
    assert caught.value.when == "on_receive"
    assert isinstance(caught.value.cause, TimeoutError)
    assert "within" in str(caught.value)
    # Later calls work on a fresh connection.
    assert gateway.jvm.java.lang.Math.abs(-4) == 4
