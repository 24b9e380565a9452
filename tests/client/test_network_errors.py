"""A gateway that is not there, or goes away: Py4JNetworkError at once, never a hang."""

from __future__ import annotations

import signal
import socket
import struct
import threading
from typing import Any

import pytest
from ferry.java_gateway import GatewayParameters, JavaGateway, find_jar_path
from ferry.protocol import Py4JError, Py4JNetworkError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_gateway_listening() -> None:
    gateway = JavaGateway(gateway_parameters=GatewayParameters(port=_free_port()))
    with pytest.raises(Py4JNetworkError) as caught:
        gateway.jvm.java.lang.Math.abs(-1)
    assert "could not connect" in str(caught.value)
    assert isinstance(caught.value.cause, ConnectionError)
    with pytest.raises(Py4JNetworkError):
        gateway._gateway_client._get_connection()


def test_eager_load_fails_at_construction() -> None:
    with pytest.raises(Py4JNetworkError):
        JavaGateway(
            gateway_parameters=GatewayParameters(port=_free_port(), eager_load=True)
        )


def test_a_gateway_killed_between_calls(
    ferry_gateway_factory: Any, own_server: Any
) -> None:
    server = own_server()
    gateway = ferry_gateway_factory(server)
    assert gateway.jvm.java.lang.Math.abs(-1) == 1
    server.popen.kill()
    server.popen.wait(timeout=30)
    with pytest.raises(Py4JNetworkError):
        gateway.jvm.java.lang.Math.abs(-1)


def test_a_gateway_that_dies_during_a_call(
    ferry_gateway_factory: Any, own_server: Any
) -> None:
    server = own_server()
    gateway = ferry_gateway_factory(server)
    with pytest.raises(Py4JNetworkError) as caught:
        gateway.jvm.java.lang.System.exit(3)
    assert caught.value.when in ("empty_response", "on_receive", None)


def test_a_shut_down_gateway_says_so(
    ferry_gateway_factory: Any, own_server: Any
) -> None:
    server = own_server()
    gateway = ferry_gateway_factory(server)
    gateway.jvm.java.lang.Math.abs(-1)
    gateway.shutdown()
    assert gateway._gateway_client.is_connected is False
    with pytest.raises(Py4JNetworkError, match="not connected"):
        gateway.jvm.java.lang.Math.abs(-1)


@pytest.fixture
def launched_py4j(fixture_classes: Any) -> Any:
    """A Py4J GatewayServer launched by ferry (launch_gateway with Py4J's jar)."""
    jar = find_jar_path()
    if not jar:
        pytest.skip("py4j's jar is not installed")
    gateway = JavaGateway.launch_gateway(
        jarpath=jar, classpath=str(fixture_classes), die_on_exit=True
    )
    yield gateway
    process = gateway.java_process
    gateway._gateway_client.is_connected = False
    if process.poll() is None:
        process.kill()
        process.wait(timeout=30)


def test_the_error_says_how_a_launched_gateway_ended(launched_py4j: Any) -> None:
    gateway = launched_py4j
    system = gateway.jvm.java.lang.System
    system.err.println("a last word on stderr")
    with pytest.raises(Py4JNetworkError) as caught:
        system.exit(7)
    text = str(caught.value)
    assert "exited with code 7" in text
    assert "a last word on stderr" in text
    with pytest.raises(Py4JNetworkError) as again:
        gateway.jvm.java.lang.Math.abs(-1)
    assert "exited with code 7" in str(again.value)


def test_the_error_names_the_signal_that_killed_the_gateway(launched_py4j: Any) -> None:
    gateway = launched_py4j
    assert gateway.jvm.java.lang.Math.abs(-1) == 1
    gateway.java_process.send_signal(signal.SIGKILL)
    gateway.java_process.wait(timeout=30)
    with pytest.raises(Py4JNetworkError) as caught:
        gateway.jvm.java.lang.Math.abs(-1)
    assert "was killed by SIGKILL" in str(caught.value)


def test_errors_are_py4j_errors() -> None:
    assert issubclass(Py4JNetworkError, Py4JError)


_EXIT_SCRIPT = """
import gc, sys
from ferry.java_gateway import JavaGateway, GatewayParameters
gateway = JavaGateway(gateway_parameters=GatewayParameters(port={port}, auth_token={token!r}))
kept = [gateway.jvm.java.lang.StringBuilder(str(i)) for i in range(50)]
dropped = [gateway.jvm.java.lang.StringBuilder(str(i)) for i in range(50)]
del dropped
{tail}
"""


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("", id="gateway-alive"),
        pytest.param("gateway.shutdown()", id="after-shutdown"),
    ],
)
def test_no_noise_at_interpreter_exit(
    own_server: Any, client_helpers: Any, tail: str
) -> None:
    server = own_server()
    done = client_helpers.run_python(
        _EXIT_SCRIPT.format(port=server.port, token=server.auth_token, tail=tail)
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == ""


def test_no_noise_at_exit_when_the_gateway_died_first(
    own_server: Any, client_helpers: Any
) -> None:
    server = own_server()
    script = _EXIT_SCRIPT.format(
        port=server.port,
        token=server.auth_token,
        tail=f"import os, signal; os.kill({server.popen.pid}, signal.SIGKILL); import time; time.sleep(0.5)",
    )
    done = client_helpers.run_python(script)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def _frame(kind: int, op: int, rid: int, body: bytes) -> bytes:
    return struct.pack("<IBBHI", 8 + len(body), kind, 0, op, rid) + body


def _read_exact(conn: socket.socket, n: int) -> bytes:
    got = b""
    while len(got) < n:
        chunk = conn.recv(n - len(got))
        if not chunk:
            raise ConnectionError("the client closed")
        got += chunk
    return got


def _fake_v2_gateway(listener: socket.socket, replies: list[bytes | None]) -> None:
    """A v2 gateway that answers every request with the next of `replies`: a whole reply body,
    or None to send half of a large `bytes` reply and close."""
    hello = (
        struct.pack("<HI", 2, 1) + struct.pack("<I", 4) + b"fake" + struct.pack("<Q", 7)
    )
    while replies:
        conn, _ = listener.accept()
        with conn:
            assert _read_exact(conn, 8) == b"FERRY/2\n"
            conn.sendall(_frame(1, 0, 0, hello))
            while replies:
                length, _kind, _flags, _op, rid = struct.unpack(
                    "<IBBHI", _read_exact(conn, 12)
                )
                _read_exact(conn, length - 8)
                body = replies.pop(0)
                if body is None:
                    head = b"\x0a" + struct.pack("<I", 1 << 20)
                    frame = struct.pack(
                        "<IBBHI", 8 + len(head) + (1 << 20), 3, 0, 0, rid
                    )
                    conn.sendall(frame + head + bytes(300_000))
                    break
                conn.sendall(_frame(3, 0, rid, body))


def test_a_large_bytes_reply_cut_short_is_a_network_error_and_the_next_one_whole() -> (
    None
):
    # A large `byte[]` reply is read straight into a new `bytes` object, which is not zeroed
    # first: when the socket closes partway, that object must never reach the caller.
    data = bytes(range(256)) * 4096
    listener = socket.create_server(("127.0.0.1", 0))
    replies: list[bytes | None] = [None, b"\x0a" + struct.pack("<I", len(data)) + data]
    server = threading.Thread(target=_fake_v2_gateway, args=(listener, replies))
    server.start()
    gateway = JavaGateway(
        gateway_parameters=GatewayParameters(port=listener.getsockname()[1])
    )
    try:
        with pytest.raises(Py4JNetworkError):
            gateway.entry_point.getData()
        got = gateway.entry_point.getData()
        assert type(got) is bytes and got == data
    finally:
        gateway.close()
        server.join(timeout=10)
        listener.close()
    assert not server.is_alive() and not replies
