"""A connection of ferry's server keeps the buffers of its last large transfer (the next one then
lands in memory already touched), and frees them once it has been idle for five seconds."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.servers("ferry")

SIZE = 96 << 20
IDLE_WAIT_S = 20.0  # the server frees its buffers after 5 s; the rest is slack
SLACK = 32 << 20  # what the JVM's own memory may move by meanwhile


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_an_idle_connection_frees_the_buffers_of_its_large_transfers(
    own_server: Any, make_gateway: Any
) -> None:
    server = own_server()
    if not hasattr(server, "popen"):
        pytest.skip("embedded mode: no server process to measure")
    pid = server.popen.pid
    gw = make_gateway(server)
    data = gw.jvm.fixtures.BulkData()
    big = bytes(range(256)) * (SIZE // 256)
    idle = rss(pid)
    # In: the frame's buffer; out: the copy of the byte[] the reply is written from. (The
    # byte[] itself grows the Java heap by as much, which stays.)
    assert data.keep(big) == big
    busy = rss(pid)
    assert busy >= idle + 3 * SIZE - SLACK, (
        "the buffers are kept while the connection is busy"
    )
    deadline = time.monotonic() + IDLE_WAIT_S
    while rss(pid) > busy - 2 * SIZE + SLACK and time.monotonic() < deadline:
        time.sleep(0.1)
    # Both buffers went back to the system (each is one mapping of its own).
    assert rss(pid) <= busy - 2 * SIZE + SLACK, (busy, rss(pid))
    # The connection goes on serving, large values included.
    assert data.byteLength(big) == SIZE
    assert data.keptBytes() == big
