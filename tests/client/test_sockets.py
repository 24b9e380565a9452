"""The options of the client's TCP connections (ferry_sockio::tcp), read back from the sockets
the client holds in this process."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest

# TCP_CONGESTION (Linux); Python names it from 3.6 on, but only where the headers had it.
TCP_CONGESTION = getattr(socket, "TCP_CONGESTION", 13)


def sockets_to(port: int) -> list[socket.socket]:
    """Copies of this process's TCP sockets connected to 127.0.0.1:``port``."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            s = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue  # closed meanwhile
        try:
            if s.type == socket.SOCK_STREAM and s.getpeername()[1] == port:
                found.append(s)
                continue
        except OSError:
            pass  # not connected, or not an internet socket
        s.close()
    return found


def test_loopback_connections_use_reno_and_nodelay(fgateway: Any, server: Any) -> None:
    if os.environ.get("FERRY_KEEP_CONGESTION", "") not in ("", "0"):
        pytest.skip("FERRY_KEEP_CONGESTION keeps the system's congestion control")
    sb = fgateway.jvm.java.lang.StringBuilder("abc")
    assert sb.length() == 3
    held = sockets_to(server.port)
    try:
        assert held, "the client holds a connection to the server"
        for s in held:
            assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            name = s.getsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, 16)
            assert name.rstrip(b"\0") == b"reno"
    finally:
        for s in held:
            s.close()
