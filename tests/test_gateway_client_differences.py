"""Where ferry's client deliberately behaves differently from py4j's, against both servers.

Each difference is a pair of tests: one restricted to the py4j client asserts what py4j does (so
the suite keeps checking the reference), and its twin restricted to the ferry client asserts what
ferry does instead and says why. Everything else in the suite holds for both clients unchanged.

ferry's client also converts Python collections faster (``auto_convert`` sends the elements in
pipelined batches rather than one round trip each); the results are the same, and
``test_gateway_collections.py`` asserts them for both clients.
"""

from __future__ import annotations

import ssl
from typing import Any

import pytest

py4j_client = pytest.mark.clients("py4j")
ferry_client = pytest.mark.clients("ferry")

# A call that outlasts the read timeout by far.
SLEEP_MS = 3000
READ_TIMEOUT_S = 0.3
SLEEP_COMMAND = f"c\nz:java.lang.Thread\nsleep\ni{SLEEP_MS}\ne\n"


# --------------------------------------------------------------------------- iterators


def modified_iterator(gateway: Any) -> Any:
    """An iterator whose next ``next()`` throws ConcurrentModificationException in Java."""
    items = gateway.jvm.java.util.ArrayList()
    items.add(1)
    items.add(2)
    iterator = items.iterator()
    assert next(iterator) == 1
    items.add(3)
    return iterator


@py4j_client
def test_py4j_iteration_ends_on_any_error(gateway: Any) -> None:
    # py4j takes every Py4JError raised by next() for the end of the iteration.
    iterator = modified_iterator(gateway)
    with pytest.raises(StopIteration):
        next(iterator)


@ferry_client
def test_ferry_iteration_ends_only_at_the_end(api: Any, gateway: Any) -> None:
    # ferry ends the iteration on NoSuchElementException only: any other Java error (here the
    # list changed under the iterator), or a network failure, is raised instead of silently
    # cutting the sequence short.
    iterator = modified_iterator(gateway)
    with pytest.raises(api.Py4JJavaError, match="ConcurrentModificationException"):
        next(iterator)
    assert list(gateway.entry_point.makeIterator(2)) == [0, 1]


# --------------------------------------------------------------------------- network errors


@py4j_client
def test_py4j_receive_error_is_an_x_answer(
    api: Any, gateway_factory: Any, server: Any
) -> None:
    # py4j's send_command turns a failed receive (here the read timeout) into the answer "x";
    # the call then raises a plain Py4JError that does not say what happened.
    gateway = gateway_factory(server, read_timeout=READ_TIMEOUT_S)
    assert gateway._gateway_client.send_command(SLEEP_COMMAND) == "x"
    with pytest.raises(api.Py4JError, match="An error occurred while calling") as info:
        gateway.jvm.java.lang.Thread.sleep(SLEEP_MS)
    assert not isinstance(info.value, api.Py4JNetworkError)
    assert gateway.entry_point.echoInt(1) == 1


@ferry_client
@pytest.mark.not_embedded(
    "a read timeout bounds the wait for a socket's reply; an embedded call has no reply to wait for"
)
def test_ferry_receive_error_is_a_network_error(
    api: Any, gateway_factory: Any, server: Any
) -> None:
    # ferry raises Py4JNetworkError (a Py4JError) carrying the cause, from send_command and from
    # calls alike, so that a timeout or a lost gateway can be told from a Java-side failure.
    gateway = gateway_factory(server, read_timeout=READ_TIMEOUT_S)
    with pytest.raises(api.Py4JNetworkError) as info:
        gateway._gateway_client.send_command(SLEEP_COMMAND)
    assert isinstance(info.value.cause, TimeoutError)
    with pytest.raises(api.Py4JNetworkError) as info:
        gateway.jvm.java.lang.Thread.sleep(SLEEP_MS)
    assert isinstance(info.value.cause, TimeoutError)
    assert gateway.entry_point.echoInt(1) == 1


# --------------------------------------------------------------------------- TLS


@py4j_client
def test_py4j_accepts_an_ssl_context(api: Any, server: Any) -> None:
    # py4j wraps its sockets in TLS when it connects; making the gateway connects nothing.
    context = ssl.create_default_context()
    gateway = api.JavaGateway(
        gateway_parameters=api.GatewayParameters(port=server.port, ssl_context=context)
    )
    assert gateway.gateway_parameters.ssl_context is context
    gateway.close()


@ferry_client
@pytest.mark.not_embedded("TLS wraps a gateway's socket")
def test_ferry_refuses_an_ssl_context_clearly(api: Any, server: Any) -> None:
    # ferry's client has no TLS transport yet: it says so when the gateway is made, naming the
    # alternatives, rather than failing later in a handshake.
    context = ssl.create_default_context()
    with pytest.raises(api.Py4JError, match="ssl_context is not supported") as info:
        api.JavaGateway(
            gateway_parameters=api.GatewayParameters(
                port=server.port, ssl_context=context
            )
        )
    assert "SSH tunnel" in str(info.value)
