"""Fixtures of ferry's client tests.

The servers come from the gateway suite's fixtures (tests/conftest.py): every test that asks for
``server`` (or ``own_server``) runs against Py4J's own GatewayServer and against ``ferry serve``.
The client here is always ferry's (``ferry.java_gateway``).
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ferry.java_gateway import GatewayParameters, JavaGateway

REPO_ROOT = Path(__file__).resolve().parents[2]

_TOKEN = object()


def close_gateway(gateway: JavaGateway) -> None:
    """Sends what the test released and closes the connections; later releases go nowhere."""
    gc.collect()
    gateway.close()
    gateway._gateway_client.is_connected = False


@pytest.fixture
def ferry_gateway_factory(
    own_server: Any,
) -> Iterator[Callable[..., JavaGateway]]:
    """``ferry_gateway_factory(server, auth_token=<the server's>, **GatewayParameters fields)``:
    ferry gateways, closed when the test ends (before any ``own_server`` stops)."""
    made: list[JavaGateway] = []

    def make(server: Any, auth_token: Any = _TOKEN, **fields: Any) -> JavaGateway:
        token = server.auth_token if auth_token is _TOKEN else auth_token
        params = GatewayParameters(port=server.port, auth_token=token, **fields)
        gateway = JavaGateway(gateway_parameters=params)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        close_gateway(gateway)


@pytest.fixture
def fgateway(
    ferry_gateway_factory: Callable[..., JavaGateway], server: Any
) -> JavaGateway:
    """A ferry gateway on the shared server of this test's kind."""
    return ferry_gateway_factory(server)


def commands_sent(gateway: JavaGateway) -> int:
    """Commands the gateway's client has written, releases excluded."""
    stats = gateway._gateway_client.stats()
    return int(stats["commands"] - stats["releases"])


def live_references(gateway: JavaGateway) -> int:
    """Bindings alive on the server, read through the gateway server object; the two objects
    the reading creates are released before it returns (after their own release is sent)."""
    server_gateway = gateway.java_gateway_server.getGateway()
    bindings = server_gateway.getBindings()
    count = int(bindings.size())
    gateway.detach(bindings)
    gateway.detach(server_gateway)
    gateway._gateway_client.flush_releases()
    return count


def run_python(
    code: str, timeout: float = 60.0, **env: str
) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter of this venv; returns the completed process."""
    environment = dict(os.environ, **env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        cwd=str(REPO_ROOT),
        check=False,
    )


@pytest.fixture(scope="session")
def client_helpers() -> Any:
    """Helpers for the tests (so that test modules import nothing from conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        commands_sent=commands_sent,
        live_references=live_references,
        run_python=run_python,
        close_gateway=close_gateway,
    )
