"""Fixtures of the protocol v2 and bulk data tests.

The servers come from the gateway suite's fixtures (tests/conftest.py); the client is always
ferry's. Tests that need both ends to be ferry's (protocol v2) are marked
``@pytest.mark.servers("ferry")``; the others also run against Py4J's GatewayServer, where the
client falls back to Py4J's protocol.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ferry.java_gateway import GatewayParameters, JavaGateway

_TOKEN = object()


@pytest.fixture
def make_gateway(own_server: Any) -> Iterator[Callable[..., JavaGateway]]:
    """``make_gateway(server, **GatewayParameters fields)``: ferry gateways closed when the test
    ends (before any ``own_server`` stops)."""
    made: list[JavaGateway] = []

    def make(server: Any, auth_token: Any = _TOKEN, **fields: Any) -> JavaGateway:
        token = server.auth_token if auth_token is _TOKEN else auth_token
        params = GatewayParameters(port=server.port, auth_token=token, **fields)
        gateway = JavaGateway(gateway_parameters=params)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gc.collect()
        gateway.close()
        gateway._gateway_client.is_connected = False


@pytest.fixture
def gw(make_gateway: Callable[..., JavaGateway], server: Any) -> JavaGateway:
    """A ferry gateway (no auto_convert) on the shared server of this test's kind."""
    return make_gateway(server)


@pytest.fixture
def auto_gw(make_gateway: Callable[..., JavaGateway], server: Any) -> JavaGateway:
    """A ferry gateway with auto_convert on the shared server of this test's kind."""
    return make_gateway(server, auto_convert=True)


@pytest.fixture
def data(gw: JavaGateway) -> Any:
    """A fresh ``fixtures.BulkData`` on ``gw``."""
    return gw.jvm.fixtures.BulkData()


class Delta:
    """What a client's counters moved by since it was made: ``delta()["frames"]``."""

    def __init__(self, gateway: JavaGateway) -> None:
        self.client = gateway._gateway_client
        self.before = self.client.stats()

    def __call__(self) -> dict[str, int]:
        now = self.client.stats()
        return {k: now[k] - self.before[k] for k in now}


@pytest.fixture
def delta() -> Callable[[JavaGateway], Delta]:
    """``d = delta(gateway)``, then ``d()["round_trips"]``: counters since ``d`` was made."""
    return Delta
