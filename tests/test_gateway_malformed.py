"""Malformed and hostile input over a raw socket, each case on a server of its own.

Py4J's rules: a fatal ``!z`` reply (unknown command, unparsable value, a command applied to the
wrong kind of object) and the connection closes; an ``!x`` reply (a Py4J-level error) and the
connection stays usable. Either way the server goes on serving every other connection. Replies
are compared by shape (``!z``, ``!x``, ``!xs``), never by stack trace text.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

pytestmark = pytest.mark.not_embedded(
    "sends malformed protocol input over raw sockets to a server process; embedded calls have "
    "no wire input"
)

MATH_MAX = ("c", "z:java.lang.Math", "max", "i3", "i7", "e")


def assert_still_serving(raw_connect: Any, server: Any) -> None:
    """A fresh connection gets right answers, the entry point included."""
    assert server.is_running(), server.stderr_text()
    conn = raw_connect(server)
    assert conn.call(*MATH_MAX) == "!yi7"
    assert conn.call("c", "t", "echoInt", "i5", "e") == "!yi5"
    conn.close()


FATAL_INPUTS = [
    pytest.param([b"X"], id="unknown-command"),
    pytest.param([b"q"], id="q-is-no-command"),
    pytest.param([b""], id="empty-line"),
    pytest.param([b"\xff\xfe\x80"], id="not-utf8"),
    pytest.param([b"A", b"token"], id="auth-on-a-server-without-token"),
    pytest.param([b"c", b"t", b"echoInt", b"iabc", b"e"], id="bad-int"),
    pytest.param(
        [b"c", b"t", b"echoLong", b"L99999999999999999999", b"e"], id="long-overflow"
    ),
    pytest.param([b"c", b"t", b"echoDouble", b"dnot-a-number", b"e"], id="bad-double"),
    pytest.param([b"c", b"t", b"echoObject", b"qweird", b"e"], id="unknown-value-tag"),
    pytest.param([b"a", b"e", b"t", b"e"], id="array-length-of-a-non-array"),
    pytest.param([b"l", b"s", b"t", b"e"], id="list-sort-of-a-non-list"),
    # After the fatal reply nothing more is read: the trailing shutdown must not run.
    pytest.param(
        [b"c", b"t", b"echoInt", b"iabc", b"e", b"s"],
        id="shutdown-after-fatal-is-ignored",
    ),
    pytest.param([b"X", b"s"], id="shutdown-after-unknown-is-ignored"),
]


@pytest.mark.parametrize("lines", FATAL_INPUTS)
def test_fatal_input_closes_only_that_connection(
    raw_connect: Any, own_server: Any, lines: list[bytes]
) -> None:
    server = own_server()
    bystander = raw_connect(server)
    assert bystander.call(*MATH_MAX) == "!yi7"
    conn = raw_connect(server)
    reply = conn.call(*lines)
    assert reply.startswith("!z"), reply
    assert conn.is_closed_by_peer()
    # The other connection, opened before, is untouched.
    assert bystander.call("c", "t", "echoInt", "i6", "e") == "!yi6"
    assert_still_serving(raw_connect, server)


ERROR_INPUTS = [
    pytest.param(("c", "nosuchid", "foo", "e"), "!xs", id="call-on-unknown-object"),
    pytest.param(("c", "t", "noSuchMethod", "e"), "!xs", id="no-such-method"),
    pytest.param(
        ("c", "t", "onlyInt", "sfive", "e"), "!xs", id="no-applicable-overload"
    ),
    pytest.param(
        ("c", "z:no.such.Class", "foo", "e"), "!xs", id="static-call-on-unknown-class"
    ),
    pytest.param(("i", "no.such.Class", "e"), "!xs", id="constructor-of-unknown-class"),
    pytest.param(
        ("i", "fixtures.Point", "i1", "e"), "!xs", id="no-applicable-constructor"
    ),
    pytest.param(
        ("r", "m", "fixtures.EntryPoint", "nosuch", "e"),
        "!x",
        id="no-such-static-member",
    ),
    pytest.param(
        ("r", "m", "no.such.Class", "nosuch", "e"), "!x", id="member-of-unknown-class"
    ),
    pytest.param(
        ("r", "c", "no.such.Class", "e"), "!xs", id="class-object-of-unknown-class"
    ),
    pytest.param(
        ("h", "o", "nosuch", "n", "btrue", "e"), "!xs", id="help-of-unknown-object"
    ),
    pytest.param(
        ("c", "t", "onlyChar", "s", "e"), "!xs", id="conversion-fails-in-server"
    ),
    pytest.param(("c", "t", "throwChecked", "e"), "!xro", id="java-exception"),
    pytest.param(("f", "g", "t", "nosuch", "e"), "!yo", id="no-such-field-get"),
    pytest.param(("f", "s", "t", "nosuch", "i1", "e"), "!yo", id="no-such-field-set"),
    pytest.param(("m", "d", "nosuch", "e"), "!yv", id="release-of-unknown-object"),
]


def test_errors_keep_the_connection_usable(raw_connect: Any, own_server: Any) -> None:
    server = own_server()
    conn = raw_connect(server)
    for param in ERROR_INPUTS:
        lines, shape = param.values
        reply = conn.call(*lines)
        assert reply.startswith(shape), f"{param.id}: {reply[:200]}"
        assert conn.call(*MATH_MAX) == "!yi7", f"connection unusable after {param.id}"
    assert_still_serving(raw_connect, server)


@pytest.mark.parametrize(
    ("lines", "shape"), [pytest.param(*p.values, id=p.id) for p in ERROR_INPUTS]
)
def test_error_reply_shape(
    raw_connect: Any, server: Any, lines: tuple[str, ...], shape: str
) -> None:
    # These are well-formed commands: the shared server answers them like any other.
    conn = raw_connect(server)
    reply = conn.call(*lines)
    assert reply.startswith(shape), reply[:200]
    if shape == "!x":
        assert reply == "!x" or reply.startswith("!xs"), reply[:200]


def test_end_of_stream_inside_a_command(raw_connect: Any, own_server: Any) -> None:
    server = own_server()
    conn = raw_connect(server)
    conn.send("c", "t")
    conn.sock.shutdown(socket.SHUT_WR)
    # Whatever the server answers, it then closes this connection and keeps serving.
    assert conn.is_closed_by_peer(drain=True)
    assert_still_serving(raw_connect, server)


def test_client_gone_during_a_call(raw_connect: Any, own_server: Any) -> None:
    server = own_server()
    conn = raw_connect(server)
    conn.send("c", "t", "sleepThenEcho", "i300", "i1", "e")
    conn.close()
    # The reply has nowhere to go; the server drops it.
    other = raw_connect(server)
    assert other.call("c", "t", "sleepThenEcho", "i400", "i2", "e") == "!yi2"
    assert_still_serving(raw_connect, server)


def test_very_long_unknown_line(raw_connect: Any, own_server: Any) -> None:
    server = own_server()
    conn = raw_connect(server)
    conn.send(b"x" * 200_000)
    try:
        reply = conn.reply()
    except ConnectionResetError:
        reply = ""
    # The fatal reply may be lost to the reset when the server closes with unread input.
    assert reply == "" or reply.startswith("!z"), reply[:200]
    assert_still_serving(raw_connect, server)


def test_garbage_then_good_clients(
    api: Any, gateway_factory: Any, raw_connect: Any, own_server: Any
) -> None:
    server = own_server()
    for lines in (
        ["X"],
        ["c", "t", "echoInt", "iabc", "e"],
        [""],
        ["c", "nosuchid", "foo", "e"],
    ):
        conn = raw_connect(server)
        conn.call(*lines)
        conn.close()
    gateway = gateway_factory(server)
    assert gateway.entry_point.echoInt(9) == 9
    assert gateway.jvm.java.lang.Math.max(1, 2) == 2
