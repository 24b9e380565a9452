"""Ctrl-C during a Java call over protocol v2: the client cancels the call with the key of the
connection's HELLO, which also works on a Unix socket (Py4J's cancel names TCP ports)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ferry.java_gateway import GatewayParameters, JavaGateway

REPO_ROOT = Path(__file__).resolve().parents[2]
FERRY = REPO_ROOT / ".venv" / "bin" / "ferry"


def interrupt_sleep(gateway: JavaGateway) -> None:
    """Sends SIGINT to this process while a Java call sleeps, and checks that the call was
    interrupted in Java (not only abandoned by the client)."""
    bulk = gateway.jvm.fixtures.BulkData
    bulk.wasInterrupted()  # names resolved: the sleep is one command
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            bulk.sleepRecording(20_000)
    finally:
        timer.cancel()
    deadline = time.monotonic() + 10
    while not bulk.wasInterrupted():
        assert time.monotonic() < deadline, "the Java call was not interrupted"
        time.sleep(0.05)
    assert gateway.jvm.java.lang.Math.abs(-2) == 2


@pytest.mark.servers("ferry")
def test_ctrl_c_cancels_the_java_call_over_tcp(gw: Any) -> None:
    assert gw._gateway_client.protocol == 2
    interrupt_sleep(gw)


@pytest.fixture
def unix_gateway(tmp_path: Path, fixture_classes: Path) -> Iterator[JavaGateway]:
    path = tmp_path / "g.sock"
    server = subprocess.Popen(
        [
            str(FERRY),
            "serve",
            "--classpath",
            str(fixture_classes),
            "--entry-point",
            "fixtures.EntryPoint",
            "--port",
            "0",
            "--unix",
            str(path),
            "--die-on-exit",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    gateway = None
    try:
        assert server.stdout is not None
        assert int(server.stdout.readline()) > 0
        gateway = JavaGateway(gateway_parameters=GatewayParameters(address=str(path)))
        yield gateway
    finally:
        if gateway is not None:
            gateway.close()
        assert server.stdin is not None and server.stdout is not None
        server.stdin.close()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server.stdout.close()


def test_ctrl_c_cancels_the_java_call_over_a_unix_socket(
    unix_gateway: JavaGateway,
) -> None:
    assert unix_gateway._gateway_client.protocol == 2
    interrupt_sleep(unix_gateway)
