"""Every field of GatewayParameters, and JavaGateway's constructor arguments."""

from __future__ import annotations

import gc
import os
import ssl
import weakref
from typing import Any

import pytest
from ferry import java_gateway as jg
from ferry.java_collections import JavaList
from ferry.protocol import Py4JAuthenticationError, Py4JError, Py4JNetworkError


def test_defaults_are_py4j_s() -> None:
    p = jg.GatewayParameters()
    assert (p.address, p.port) == ("127.0.0.1", 25333)
    assert (p.auto_field, p.auto_close, p.auto_convert, p.eager_load) == (
        False,
        True,
        False,
        False,
    )
    assert (
        p.ssl_context,
        p.enable_memory_management,
        p.read_timeout,
        p.auth_token,
    ) == (
        None,
        True,
        None,
        None,
    )
    assert jg.GatewayParameters(auth_token="a\nb").auth_token == "a\\nb"


def test_address_and_port(fgateway: Any, server: Any) -> None:
    params = fgateway.gateway_parameters
    assert (params.address, params.port) == ("127.0.0.1", server.port)
    assert fgateway._gateway_client.address == "127.0.0.1"
    assert fgateway._gateway_client.port == server.port
    assert fgateway._gateway_client._native.endpoint == f"127.0.0.1:{server.port}"


def test_auto_field(ferry_gateway_factory: Any, server: Any) -> None:
    gateway = ferry_gateway_factory(server, auto_field=True)
    ep = gateway.entry_point
    assert ep.intField == 7
    assert ep.shadowed == "field"  # the field hides the method ...
    assert (
        jg.get_method(ep, "shadowed")() == "method"
    )  # ... which get_method still reaches
    assert ep.echoInt(3) == 3
    assert "intField" in dir(ep)


def test_auto_close_releases_the_sockets_with_the_client(
    ferry_gateway_factory: Any, server: Any
) -> None:
    def sockets() -> int:
        count = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
            except OSError:
                pass  # the descriptor of the listing itself, closed by now
        return count

    gc.collect()
    before = sockets()
    gateway = jg.JavaGateway(
        gateway_parameters=jg.GatewayParameters(
            port=server.port, auth_token=server.auth_token
        )
    )
    assert gateway.gateway_parameters.auto_close is True
    gateway.jvm.java.lang.Math.abs(-1)
    assert sockets() == before + 1
    native = weakref.ref(gateway._gateway_client._native)
    del gateway
    gc.collect()
    assert native() is None
    assert sockets() == before


def test_auto_convert(ferry_gateway_factory: Any, server: Any) -> None:
    plain = ferry_gateway_factory(server)
    with pytest.raises(AttributeError, match="_get_object_id"):
        plain.entry_point.sumList([1, 2])
    gateway = ferry_gateway_factory(server, auto_convert=True)
    ep = gateway.entry_point
    assert ep.sumList([1, 2, 3]) == 6
    assert ep.describeMap({"k": 1}) == ep.describeMap({"k": 1})
    assert ep.collectionClass({1, 2}) == "java.util.HashSet:2"
    assert ep.collectionClass([[1], [2, 3]]) == "java.util.ArrayList:2"
    assert isinstance(ep.makeList(1), JavaList)


def test_eager_load(ferry_gateway_factory: Any, server: Any) -> None:
    gateway = ferry_gateway_factory(server, eager_load=True)
    stats = gateway._gateway_client.stats()
    assert stats["connections_opened"] == 1
    assert stats["commands"] >= 1


def test_ssl_context_gives_a_clear_error(server: Any) -> None:
    context = ssl.create_default_context()
    with pytest.raises(Py4JError, match="ssl_context is not supported") as caught:
        jg.JavaGateway(
            gateway_parameters=jg.GatewayParameters(
                port=server.port, ssl_context=context
            )
        )
    assert "SSH tunnel" in str(caught.value)


def test_enable_memory_management_off_keeps_objects(
    ferry_gateway_factory: Any, own_server: Any, client_helpers: Any
) -> None:
    server = own_server()
    gateway = ferry_gateway_factory(server, enable_memory_management=False)
    live = client_helpers.live_references
    baseline = live(gateway)
    for _ in range(20):
        gateway.jvm.java.lang.Object()
    gc.collect()
    gateway._gateway_client.flush_releases()
    assert live(gateway) >= baseline + 20
    assert gateway._gateway_client.stats()["releases"] == 0


def test_read_timeout(ferry_gateway_factory: Any, server: Any) -> None:
    gateway = ferry_gateway_factory(server, read_timeout=0.25)
    assert gateway.gateway_parameters.read_timeout == 0.25
    gateway.jvm.java.lang.Thread.sleep(10)  # a short call is fine
    with pytest.raises(Py4JNetworkError):
        gateway.jvm.java.lang.Thread.sleep(5_000)


def test_auth_token(ferry_gateway_factory: Any, own_server: Any) -> None:
    server = own_server(auth_token="s3cr3t\\token")
    gateway = ferry_gateway_factory(server)
    assert gateway.jvm.java.lang.Math.abs(-3) == 3
    wrong = ferry_gateway_factory(server, auth_token="wrong")
    with pytest.raises(Py4JAuthenticationError):
        wrong.jvm.java.lang.Math.abs(-3)
    missing = ferry_gateway_factory(server, auth_token=None)
    with pytest.raises(Py4JError):
        missing.jvm.java.lang.Math.abs(-3)


def test_deprecated_constructor_arguments_still_work(
    server: Any, client_helpers: Any
) -> None:
    client = jg.GatewayClient(port=server.port)
    if server.auth_token is not None:
        pytest.skip("GatewayClient(port=...) has no token argument")
    gateway = jg.JavaGateway(gateway_client=client, auto_convert=True, auto_field=True)
    try:
        assert gateway.entry_point.sumList([4, 5]) == 9
        assert gateway._gateway_client is client
    finally:
        client_helpers.close_gateway(gateway)


def test_callback_server_parameters_start_the_server(server: Any) -> None:
    params = jg.GatewayParameters(port=server.port, auth_token=server.auth_token)
    gateway = jg.JavaGateway(
        gateway_parameters=params,
        callback_server_parameters=jg.CallbackServerParameters(port=0, daemonize=True),
    )
    try:
        callback_server = gateway.get_callback_server()
        assert isinstance(callback_server, jg.CallbackServer)
        assert callback_server.get_listening_port() not in (None, 0)
        assert not gateway.start_callback_server()
    finally:
        gateway.shutdown_callback_server()
        gateway.close()
    gateway = jg.JavaGateway(gateway_parameters=params)
    try:
        assert gateway.get_callback_server() is None
        assert gateway.start_callback_server(
            jg.CallbackServerParameters(port=0, daemonize=True)
        )
        assert gateway.get_callback_server() is not None
    finally:
        gateway.close()
    assert gateway.get_callback_server().is_shutdown


def test_python_proxies_go_into_the_pool(fgateway: Any) -> None:
    class Task:
        def run(self) -> None:
            pass

        class Java:
            implements = ("java.lang.Runnable",)

    pool = fgateway.gateway_property.pool
    before = len(pool)
    thread = fgateway.jvm.java.lang.Thread(Task())
    assert len(pool) == before + 1
    assert thread.getState().toString() == "NEW"
