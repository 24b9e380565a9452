"""The GATEWAY_SERVER object clients call, and shutting the server down.

Shutdown tests use servers of their own and check that the server process ends (with a deadline
for the process to exit, which bounds the wait and is not what is measured).
"""

from __future__ import annotations

from typing import Any

import pytest

DEFAULT_PYTHON_PORT = 25334


# --------------------------------------------------------------------------- GATEWAY_SERVER


@pytest.mark.not_embedded("the listening port of a server socket")
def test_listening_port(gateway: Any, server: Any) -> None:
    assert gateway.java_gateway_server.getListeningPort() == server.port


@pytest.mark.not_embedded(
    "the callback client is the JVM's socket to Python's callback server; an embedded JVM calls Python directly"
)
def test_callback_client_defaults(gateway_factory: Any, own_server: Any) -> None:
    # A server of its own: a test that starts a callback server moves the shared one's client.
    gateway = gateway_factory(own_server())
    callback = gateway.java_gateway_server.getCallbackClient()
    assert callback.getPort() == DEFAULT_PYTHON_PORT
    assert callback.getAddress().getHostAddress() == "127.0.0.1"


@pytest.mark.not_embedded(
    "the callback client is the JVM's socket to Python's callback server; an embedded JVM calls Python directly"
)
def test_reset_callback_client(gateway_factory: Any, own_server: Any) -> None:
    # What PySpark does after starting its callback server on an ephemeral port.
    gateway = gateway_factory(own_server())
    server_object = gateway.java_gateway_server
    address = server_object.getCallbackClient().getAddress()
    server_object.resetCallbackClient(address, 40123)
    callback = server_object.getCallbackClient()
    assert callback.getPort() == 40123
    assert callback.getAddress().getHostAddress() == "127.0.0.1"


@pytest.mark.not_embedded(
    "GatewayServer is the Java object of a socket server; an embedded gateway has none "
    "(test_gateway_memory.py reads the engine's registry instead)"
)
def test_bindings_map(api: Any, gateway: Any) -> None:
    server_gateway = gateway.java_gateway_server.getGateway()
    bindings = server_gateway.getBindings()
    assert isinstance(bindings, api.JavaMap)
    assert bindings.size() >= 0
    gateway.detach(bindings)
    gateway.detach(server_gateway)


# --------------------------------------------------------------------------- shutdown


@pytest.mark.not_embedded("shuts a server process down and waits for it to exit")
def test_gateway_shutdown_ends_the_server(
    api: Any, gateway_factory: Any, own_server: Any
) -> None:
    server = own_server()
    gateway = gateway_factory(server)
    bystander = gateway_factory(server)
    assert gateway.entry_point.echoInt(1) == 1
    assert bystander.entry_point.echoInt(2) == 2
    gateway.shutdown()
    assert server.wait_exit() == 0, server.stderr_text()
    # Every client of the server is cut off.
    with pytest.raises(api.Py4JNetworkError):
        bystander.entry_point.echoInt(3)


@pytest.mark.not_embedded(
    "sends the shutdown command over a raw socket to a server process"
)
def test_raw_shutdown_command(raw_connect: Any, own_server: Any) -> None:
    server = own_server()
    conn = raw_connect(server)
    assert conn.call("c", "t", "echoInt", "i5", "e") == "!yi5"
    conn.send("s")
    # No reply: the server closes every connection and ends.
    assert conn.is_closed_by_peer()
    assert server.wait_exit() == 0, server.stderr_text()


@pytest.mark.not_embedded("shuts a server process down and waits for it to exit")
def test_shutdown_through_the_server_object(
    api: Any, gateway_factory: Any, own_server: Any
) -> None:
    server = own_server()
    gateway = gateway_factory(server)
    # The call closes its own connection as part of the shutdown: it may or may not see a reply.
    try:
        gateway.java_gateway_server.shutdown()
    except api.Py4JError:
        pass
    assert server.wait_exit() == 0, server.stderr_text()


@pytest.mark.not_embedded("closes a server process's stdin")
def test_server_ends_when_its_stdin_closes(own_server: Any) -> None:
    server = own_server()
    assert server.popen.stdin is not None
    server.popen.stdin.close()
    assert server.wait_exit() is not None, "the server outlived its launcher's stdin"
