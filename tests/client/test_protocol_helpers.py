"""ferry.protocol's helpers, and agreement of the native encoder with ``get_command_part``."""

from __future__ import annotations

import math
import threading
from decimal import Decimal
from typing import Any

import pytest
from ferry import protocol as proto
from ferry._gateway_client import GatewayClient, GatewayProperty, PythonProxyPool
from ferry.java_gateway import GatewayParameters
from ferry.protocol import (
    Py4JError,
    Py4JJavaError,
    Py4JNetworkError,
    decode_bytearray,
    encode_bytearray,
    encode_float,
    escape_new_line,
    get_command_part,
    get_return_value,
    unescape_new_line,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def test_escaping_round_trips_and_matches_py4j_s_rules() -> None:
    assert escape_new_line("a\nb\r\\c\t") == "a\\nb\\r\\\\c\t"
    assert unescape_new_line("a\\nb\\r\\\\c\t") == "a\nb\r\\c\t"
    # Foreign escapes stay as they are on the Python side.
    assert unescape_new_line("a\\tb") == "a\\tb"
    assert unescape_new_line("end\\") == "end\\"
    assert escape_new_line("") == ""
    assert escape_new_line(None) is None
    assert unescape_new_line(None) is None


# Explicit alphabets: hypothesis's full-unicode strategies build a character cache on disk.
_TEXT = st.text(alphabet=st.sampled_from(list("ab e\\\n\r\tnrs\u00e9\u4e2d\U0001f600")))


@settings(database=None)
@given(_TEXT)
def test_escape_then_unescape_is_identity(text: str) -> None:
    assert unescape_new_line(escape_new_line(text)) == text


def test_value_helpers() -> None:
    assert encode_float(1.5) == "1.5"
    assert encode_float(float("inf")) == "Infinity"
    assert encode_float(float("-inf")) == "-Infinity"
    assert encode_float(float("nan")) == "NaN"
    assert encode_bytearray(b"\x00\xff") == "AP8="
    assert decode_bytearray("AP8=") == b"\x00\xff"
    assert proto.smart_decode(b"x") == "x"
    assert proto.smart_decode(3) == "3"
    assert proto.is_error("xs") == (True, None)
    assert proto.is_error("yv") == (False, None)
    assert proto.is_fatal_error("zsboom")
    assert proto.get_error_message("xsbad\\nthing") == (True, "bad\nthing")
    assert proto.compute_exception_message("a", "b") == "a -- b"
    assert proto.compute_exception_message("a") == "a"


def test_command_parts() -> None:
    assert get_command_part(None) == "n\n"
    assert get_command_part(True) == "bTrue\n"
    assert get_command_part(7) == "i7\n"
    assert get_command_part(2**31) == "L2147483648\n"
    assert get_command_part(1.25) == "d1.25\n"
    assert get_command_part(Decimal("1E+2")) == "D1E+2\n"
    assert get_command_part("a\nb") == "sa\\nb\n"
    assert get_command_part(b"ab") == "jYWI=\n"
    with pytest.raises(Py4JError, match="does not fit"):
        get_command_part(2**70)
    with pytest.raises(AttributeError, match="_get_object_id"):
        get_command_part([1])


class _Recorder:
    """A stand-in gateway client for ``get_return_value``'s converters."""


def test_get_return_value() -> None:
    client = _Recorder()
    assert get_return_value("yv", client) is None
    assert get_return_value("yi5", client) == 5
    assert get_return_value("yL5000000000", client) == 5_000_000_000
    assert get_return_value("ybtrue", client) is True
    assert get_return_value("yd1.0E-5", client) == 1e-5
    assert get_return_value("ysx\\ny", client) == "x\ny"
    assert get_return_value("yD1.50", client) == Decimal("1.50")
    assert get_return_value("yjAP8=", client) == b"\x00\xff"
    assert get_return_value("yn", client) is None
    with pytest.raises(
        Py4JError, match="An error occurred while calling o1.m. Trace:\nboom"
    ):
        get_return_value("xsboom", client, "o1", "m")
    with pytest.raises(Py4JError, match="An error occurred while calling o1.m$"):
        get_return_value("x", client, "o1", "m")


def test_exception_classes() -> None:
    error = Py4JNetworkError("gone", ConnectionError("x"), proto.ERROR_ON_SEND)
    assert (error.args, error.when) == (("gone",), "on_send")
    assert isinstance(error.cause, ConnectionError)
    assert Py4JError().args == (None,)

    class FakeObject:
        _target_id = "o3"
        _gateway_client = None

    java_error = Py4JJavaError("msg", FakeObject())  # type: ignore[arg-type]
    assert java_error.exception_cmd == "p\nro3\ne\n"
    assert java_error.args[0] == "msg"


def test_output_converters_can_be_replaced(fgateway: Any) -> None:
    original = proto.OUTPUT_CONVERTER[proto.INTEGER_TYPE]
    try:
        proto.register_output_converter(
            proto.INTEGER_TYPE, lambda value, client: ("int", value)
        )
        assert fgateway.entry_point.echoInt(4) == ("int", "4")
    finally:
        proto.register_output_converter(proto.INTEGER_TYPE, original)
    assert fgateway.entry_point.echoInt(4) == 4


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
    st.binary(),
    st.decimals(allow_nan=False, allow_infinity=False),
)


@pytest.fixture(scope="module")
def echo_stub() -> Any:
    """A stub gateway that answers every command with the command's text as a string, so that
    the bytes the native encoder wrote can be compared with ``get_command_part``."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        lines: list[str] = []
        while not stop.is_set():
            raw = reader.readline()
            if not raw:
                return
            line = raw.decode("utf-8")[:-1]
            lines.append(line)
            if line == "e":
                text = "\n".join(lines) + "\n"
                conn.sendall(("!ys" + escape_new_line(text) + "\n").encode("utf-8"))
                lines = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    prop = GatewayProperty(False, PythonProxyPool(), False)
    # The stub echoes text commands (v1) and never answers the v2 hello line.
    client = GatewayClient(
        gateway_parameters=GatewayParameters(port=port, protocol="v1"),
        gateway_property=prop,
    )
    yield client
    stop.set()
    client.close()
    listener.close()


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(_VALUES, max_size=4))
def test_native_encoding_matches_get_command_part(
    echo_stub: Any, args: list[Any]
) -> None:
    sent = echo_stub._native.call("o1", "m", tuple(args), echo_stub)
    expected = "c\no1\nm\n" + "".join(get_command_part(a) for a in args) + "e\n"
    assert sent == expected


def test_native_decoding_of_floats(echo_stub: Any) -> None:
    for value in (0.1, -0.0, 1e16, 5e-324, math.pi):
        sent = echo_stub._native.call("o1", "m", (value,), echo_stub)
        assert float(sent.split("\n")[3][1:]) == value
