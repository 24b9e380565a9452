"""Frames that lie, sent by hand to ``ferry serve``: each gets a clear fatal reply, its
connection is closed, and the server goes on serving everyone else."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.servers("ferry")

HELLO_LINE = b"FERRY/2\n"


class Raw:
    """A socket speaking protocol v2 by hand."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(HELLO_LINE)
        kind, _op, _id, body = self.frame()
        assert kind == 1, "a HELLO frame"
        (version,) = struct.unpack_from("<H", body)
        assert version == 2

    def read_exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise EOFError(f"closed after {len(out)} of {n} bytes")
            out += chunk
        return out

    def frame(self) -> tuple[int, int, int, bytes]:
        length, kind, _flags, op, id_ = struct.unpack("<IBBHI", self.read_exact(12))
        return kind, op, id_, self.read_exact(length - 8)

    def closed(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def header(length: int, kind: int, op: int, id_: int) -> bytes:
    return struct.pack("<IBBHI", length, kind, 0, op, id_)


def call_frame(id_: int, target: str, method: str) -> bytes:
    body = b"\x01" + struct.pack("<I", len(target)) + target.encode()
    body += struct.pack("<I", len(method)) + method.encode() + struct.pack("<H", 1)
    body += b"\x04" + struct.pack("<i", -9)
    return header(8 + len(body), 2, 1, id_) + body


@pytest.fixture
def raw(server: Any) -> Iterator[Any]:
    opened: list[Raw] = []

    def connect() -> Raw:
        r = Raw(server.port)
        opened.append(r)
        return r

    yield connect
    for r in opened:
        r.close()


def fatal_text(body: bytes) -> str:
    (n,) = struct.unpack_from("<I", body)
    return body[4 : 4 + n].decode()


def test_a_well_formed_call_by_hand(raw: Any) -> None:
    r = raw()
    r.sock.sendall(call_frame(41, "java.lang.Math", "abs"))
    kind, op, id_, body = r.frame()
    assert (kind, op, id_) == (3, 0, 41)
    assert body == b"\x04" + struct.pack("<i", 9)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (header(3, 2, 1, 1), "shorter than a header"),
        (header(8, 9, 1, 1), "unknown frame kind"),
        (header(2**31, 2, 1, 1), "larger than the limit"),
        (header(8, 2, 0x7777, 1), "op 0x7777"),
        # A call whose length covers more than its fields: left-over bytes.
        (call_frame(1, "java.lang.Math", "abs")[:-5] + b"\x00" * 5 + b"\x00" * 3, ""),
        # A length shorter than the fields it announces.
        (header(8 + 5, 2, 1, 1) + b"\x01\xff\xff\xff\x7f", "runs past the end"),
        # A count far beyond what the frame holds.
        (header(8 + 5, 2, 0x0102, 1) + b"\x20\xff\xff\xff\xff", "exceeds the frame"),
        # A value tag that does not exist.
        (header(8 + 1, 2, 0x0102, 1) + b"\x7e", "unknown value tag"),
    ],
)
def test_a_lying_frame_gets_a_fatal_reply_and_others_are_served(
    raw: Any, gw: Any, bad: bytes, words: str
) -> None:
    bystander = raw()
    liar = raw()
    liar.sock.sendall(bad)
    try:
        kind, op, _id, body = liar.frame()
    except EOFError:
        kind = -1
    if kind != -1:
        assert (kind, op) == (3, 7), "a fatal reply"
        text = fatal_text(body)
        assert words in text, text
        assert liar.closed()
    # Everyone else is served: a raw connection opened before, and the client.
    bystander.sock.sendall(call_frame(5, "java.lang.Math", "abs"))
    assert bystander.frame()[:3] == (3, 0, 5)
    assert gw.jvm.java.lang.Math.abs(-12) == 12


def test_a_frame_cut_short_by_a_closed_socket_leaves_the_server_serving(
    raw: Any, gw: Any
) -> None:
    liar = raw()
    frame = call_frame(1, "java.lang.Math", "abs")
    liar.sock.sendall(frame[:-3])
    liar.close()
    assert gw.jvm.java.lang.Math.abs(-1) == 1
