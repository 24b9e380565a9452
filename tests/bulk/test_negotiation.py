"""Which protocol each connection speaks: v2 with ferry's server, v1 with Py4J's (after one
refused hello line, remembered), and the ways to force one."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from ferry.protocol import Py4JNetworkError


def _expected(server: Any) -> int:
    return 2 if server.kind == "ferry" else 1


def test_each_connection_reports_its_protocol(
    make_gateway: Any, own_server: Any
) -> None:
    server = own_server()
    gateway = make_gateway(server)
    client = gateway._gateway_client
    assert client._native.negotiated is None
    assert gateway.jvm.java.lang.Math.abs(-3) == 3
    expected = _expected(server)
    assert client.protocol == expected
    stats = client.stats()
    assert stats["protocol"] == expected
    # Py4J's server refuses the hello line once; ferry's answers it.
    assert stats["refused_hellos"] == (1 if expected == 1 else 0)
    assert stats["connections_opened"] == 1
    assert [c["protocol"] for c in client.connection_stats()] == [expected]
    if expected == 2:
        assert stats["frames"] == stats["commands"] > 0
    else:
        assert stats["frames"] == 0


def test_only_the_first_socket_probes(make_gateway: Any, own_server: Any) -> None:
    server = own_server()
    gateway = make_gateway(server)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            barrier.wait(10)
            # Six threads at once, each on a connection of its own.
            gateway.jvm.java.lang.Thread.sleep(100)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    client = gateway._gateway_client
    expected = _expected(server)
    per_connection = client.connection_stats()
    assert len(per_connection) >= 2
    assert {c["protocol"] for c in per_connection} == {expected}
    assert client.stats()["refused_hellos"] == (1 if expected == 1 else 0)


def test_protocol_v1_can_be_forced(make_gateway: Any, server: Any) -> None:
    gateway = make_gateway(server, protocol="v1")
    assert gateway.entry_point.echoString("x") == "x"
    client = gateway._gateway_client
    assert client.protocol == 1
    assert client.stats()["refused_hellos"] == 0
    assert [c["protocol"] for c in client.connection_stats()] == [1]


def test_the_environment_chooses_the_protocol(
    make_gateway: Any, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FERRY_PROTOCOL", "v1")
    gateway = make_gateway(server)
    assert gateway.entry_point.echoInt(4) == 4
    assert gateway._gateway_client.protocol == 1
    # An explicit parameter wins over the environment.
    other = make_gateway(server, protocol="auto")
    assert other._gateway_client.protocol == _expected(server)


@pytest.mark.servers("py4j")
def test_v2_required_of_py4j_is_a_clear_error(make_gateway: Any, server: Any) -> None:
    gateway = make_gateway(server, protocol="v2")
    with pytest.raises(Py4JNetworkError, match="does not speak ferry's protocol v2"):
        gateway.entry_point.echoInt(1)


def test_a_bad_protocol_name_is_refused(make_gateway: Any, server: Any) -> None:
    with pytest.raises(ValueError, match="'auto', 'v1' or 'v2'"):
        make_gateway(server, protocol="v3")


def test_auth_tokens_work_in_both_protocols(make_gateway: Any, own_server: Any) -> None:
    server = own_server(auth_token="tok\nen")
    gateway = make_gateway(server)
    assert gateway.entry_point.echoString("ok") == "ok"
    assert gateway._gateway_client.protocol == _expected(server)
    bad = make_gateway(server, auth_token="wrong")
    from ferry.protocol import Py4JAuthenticationError

    with pytest.raises((Py4JAuthenticationError, Py4JNetworkError)):
        bad.entry_point.echoString("no")
