"""Authentication: the right token is accepted, a wrong or missing one refused, others unaffected.

The servers read the token from a file (``--auth-token-file``); the py4j client sends it as the
first command of every connection (``A`` then the token, no ``e`` line).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import ServerLauncher, ServerProcess

pytestmark = pytest.mark.not_embedded(
    "authentication tokens guard a gateway's socket; an embedded JVM has no connection to "
    "authenticate"
)

TOKEN = "s3cret-T0ken/with+base64="


@pytest.fixture(scope="module")
def auth_server(server_kind: str, launcher: ServerLauncher) -> Iterator[ServerProcess]:
    """A server of this kind that requires TOKEN, shared by this module's tests."""
    process = launcher.start(server_kind, auth_token=TOKEN)
    yield process
    process.stop()


def refused(api: Any, call: Any) -> BaseException:
    """Runs ``call``, which must fail the way py4j reports a refused connection; returns the error."""
    with pytest.raises(api.Py4JError) as info:
        call()
    assert not isinstance(info.value, api.Py4JJavaError)
    return info.value


def test_right_token_is_accepted(
    gateway_factory: Any, auth_server: ServerProcess
) -> None:
    gateway = gateway_factory(auth_server)
    assert gateway.entry_point.echoInt(5) == 5
    assert gateway.jvm.java.lang.Math.max(3, 7) == 7
    # A second client with the token is served too.
    other = gateway_factory(auth_server)
    assert other.entry_point.echoString("x") == "x"


def test_wrong_token_is_refused(
    api: Any, gateway_factory: Any, auth_server: ServerProcess
) -> None:
    gateway = gateway_factory(auth_server, auth_token="wrong")
    error = refused(api, lambda: gateway.entry_point.echoInt(5))
    assert isinstance(error, api.Py4JAuthenticationError | api.Py4JNetworkError)
    # Every new attempt is refused again.
    error = refused(api, lambda: gateway.entry_point.echoInt(5))
    assert isinstance(error, api.Py4JAuthenticationError | api.Py4JNetworkError)


def test_missing_token_is_refused(
    api: Any, gateway_factory: Any, auth_server: ServerProcess
) -> None:
    gateway = gateway_factory(auth_server, auth_token=None)
    # The first call, on a fresh connection, reads the server's refusal.
    error = refused(api, lambda: gateway.entry_point.echoInt(5))
    if not isinstance(error, api.Py4JNetworkError):
        assert "Authentication error" in str(error)
    # The client pooled the refused connection: the next call fails on it or on a fresh one.
    refused(api, lambda: gateway.entry_point.echoInt(5))


def test_server_keeps_serving_after_refusals(
    api: Any, gateway_factory: Any, auth_server: ServerProcess
) -> None:
    good = gateway_factory(auth_server)
    assert good.entry_point.echoInt(1) == 1
    for token in ("wrong", None, "", TOKEN + "x", TOKEN[:-1]):
        bad = gateway_factory(auth_server, auth_token=token)
        refused(api, lambda bad=bad: bad.entry_point.echoInt(2))
        # The authenticated client's connection is untouched.
        assert good.entry_point.echoInt(3) == 3
    late = gateway_factory(auth_server)
    assert late.entry_point.echoInt(4) == 4


def test_raw_handshake(raw_connect: Any, auth_server: ServerProcess) -> None:
    conn = raw_connect(auth_server)  # sends A and the token, expects !yv
    assert conn.call("c", "t", "echoInt", "i5", "e") == "!yi5"
    assert conn.call("c", "z:java.lang.Math", "max", "i3", "i7", "e") == "!yi7"


def test_raw_wrong_token(raw_connect: Any, auth_server: ServerProcess) -> None:
    conn = raw_connect(auth_server, authenticate=False)
    reply = conn.call("A", "wrong")
    assert reply.startswith("!x"), reply
    assert conn.is_closed_by_peer()


def test_raw_command_before_auth(raw_connect: Any, auth_server: ServerProcess) -> None:
    conn = raw_connect(auth_server, authenticate=False)
    reply = conn.call("c", "t", "echoInt", "i5", "e")
    assert reply.startswith("!x"), reply
    assert conn.is_closed_by_peer()


def test_raw_unknown_command_before_auth(
    raw_connect: Any, auth_server: ServerProcess
) -> None:
    conn = raw_connect(auth_server, authenticate=False)
    reply = conn.call("X")
    assert reply.startswith("!z"), reply
    assert conn.is_closed_by_peer()


def test_raw_refusals_leave_other_connections_alone(
    raw_connect: Any, auth_server: ServerProcess
) -> None:
    good = raw_connect(auth_server)
    for attempt in (("A", "wrong"), ("c", "t", "echoInt", "i1", "e")):
        bad = raw_connect(auth_server, authenticate=False)
        assert bad.call(*attempt).startswith("!x")
        assert good.call("c", "t", "echoInt", "i5", "e") == "!yi5"


def test_token_with_a_backslash(gateway_factory: Any, own_server: Any) -> None:
    # The token is compared in its escaped form on both sides: a backslash must still match.
    server = own_server(auth_token="back\\slash")
    gateway = gateway_factory(server)
    assert gateway.entry_point.echoInt(7) == 7
