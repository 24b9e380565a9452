"""ferry.compat: py4j's compat helpers and ``install_as_py4j`` (run in fresh interpreters, since
this test process has imported the real py4j)."""

from __future__ import annotations

import threading
from typing import Any

import ferry
import pytest
from ferry import compat, version

_PY4J_PROGRAM = """
from ferry.compat import install_as_py4j
install_as_py4j()
install_as_py4j()  # harmless twice

import py4j
import py4j.java_gateway
import py4j.protocol
from py4j.java_gateway import JavaGateway, GatewayParameters, java_import
from py4j.java_collections import ListConverter, JavaList
from py4j.protocol import Py4JJavaError
from py4j.version import __version__
import ferry.java_gateway

assert py4j.java_gateway is ferry.java_gateway
assert __version__ == "0.10.9.9", __version__
gateway = JavaGateway(gateway_parameters=GatewayParameters(port={port}, auth_token={token!r}))
java_import(gateway.jvm, "java.util.*")
numbers = ListConverter().convert([3, 1, 2], gateway._gateway_client)
assert isinstance(numbers, JavaList)
gateway.jvm.Collections.sort(numbers)
print(list(numbers))
try:
    gateway.jvm.java.lang.Integer.parseInt("x")
except Py4JJavaError as e:
    print("caught", e.java_exception.getClass().getName())
import py4j.clientserver
print("clientserver:", py4j.clientserver.ClientServer.__module__)
try:
    import py4j.tests
except ModuleNotFoundError as e:
    print("missing:", e)
gateway.close()
"""


def test_a_py4j_program_runs_on_ferry(own_server: Any, client_helpers: Any) -> None:
    # A server of its own: the program imports java.util.* into the default view, which every
    # client of a server shares.
    server = own_server()
    done = client_helpers.run_python(
        _PY4J_PROGRAM.format(port=server.port, token=server.auth_token)
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "[1, 2, 3]"
    assert lines[1] == "caught java.lang.NumberFormatException"
    assert lines[2] == "clientserver: ferry.clientserver"
    assert lines[3].startswith("missing:")
    assert "ferry does not provide py4j.tests" in lines[3]
    assert done.stderr == ""


def test_install_refuses_when_the_real_py4j_is_loaded(client_helpers: Any) -> None:
    done = client_helpers.run_python(
        """
        import py4j.java_gateway
        from ferry.compat import install_as_py4j
        try:
            install_as_py4j()
        except RuntimeError as e:
            print(e)
        """
    )
    assert done.returncode == 0, done.stderr
    assert "the real py4j is already imported" in done.stdout
    assert "py4j.java_gateway" in done.stdout


def test_pyspark_style_patch_of_get_return_value_is_honoured(fgateway: Any) -> None:
    from ferry import java_gateway
    from ferry.protocol import Py4JJavaError

    seen: list[str] = []
    original = java_gateway.get_return_value

    def patched(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        except Py4JJavaError as e:
            seen.append(e.java_exception.getClass().getName())
            raise ValueError("converted") from None

    java_gateway.get_return_value = patched  # type: ignore[assignment]
    try:
        with pytest.raises(ValueError, match="converted"):
            fgateway.jvm.java.lang.Integer.parseInt("nope")
    finally:
        java_gateway.get_return_value = original  # type: ignore[assignment]
    assert seen == ["java.lang.NumberFormatException"]


def test_private_attributes_py4j_users_reach(fgateway: Any) -> None:
    from ferry import protocol as proto
    from ferry.java_gateway import (
        GatewayClient,
        GatewayProperty,
        JavaObject,
        PythonProxyPool,
    )

    assert isinstance(fgateway._gateway_client, GatewayClient)
    assert fgateway._callback_server is None
    assert fgateway._python_proxy_port == 25334
    assert isinstance(fgateway.gateway_property, GatewayProperty)
    assert isinstance(fgateway.gateway_property.pool, PythonProxyPool)
    assert fgateway._gateway_client.gateway_property is fgateway.gateway_property
    assert fgateway._gateway_client.converters is None
    assert fgateway.jvm._id == proto.DEFAULT_JVM_ID
    assert fgateway.jvm._gateway_client is fgateway._gateway_client
    sb = fgateway.jvm.java.lang.StringBuilder()
    assert isinstance(sb, JavaObject)
    assert sb._target_id.startswith("o")
    assert sb._gateway_client is fgateway._gateway_client
    assert fgateway.jvm.java.lang.Math._fqn == "java.lang.Math"
    jgws = JavaObject("GATEWAY_SERVER", fgateway._gateway_client)
    assert jgws.getListeningPort() > 0
    assert fgateway.java_process is None
    conn = fgateway._gateway_client._get_connection()
    assert conn.send_command("c\nz:java.lang.Math\nabs\ni-1\ne\n") == "yi1"
    fgateway._gateway_client._give_back_connection(conn)


def test_proxy_pool() -> None:
    from ferry.java_gateway import PythonProxyPool

    pool = PythonProxyPool()
    first = pool.put("a")
    assert first == "p0"
    assert pool.put("b") == "p1"
    assert pool.put("c", force_id="t") == "t"
    assert "t" in pool and len(pool) == 3 and pool["p1"] == "b"
    del pool["p1"]
    assert "p1" not in pool
    pool.clear()
    assert len(pool) == 0


def test_compat_helpers() -> None:
    assert compat.long is int and compat.basestring is str and compat.unicode is str
    assert compat.bytearray2 is bytes and compat.range is range and compat.next is next
    assert compat.items({"a": 1}) == [("a", 1)]
    assert list(compat.iteritems({"a": 1})) == [("a", 1)]
    assert compat.tobytestr("ab") == b"ab" and compat.bytetostr(b"ab") == "ab"
    assert compat.strtobyte("ab") == b"ab" and compat.bytetoint(3) == 3
    assert (
        compat.isbytestr(b"")
        and compat.ispython3bytestr(b"")
        and compat.isbytearray(bytearray())
    )

    class Lazy:
        def __getattr__(self, name: str) -> Any:
            return 1

    assert compat.hasattr2(Lazy(), "__getattr__")
    assert not compat.hasattr2(Lazy(), "anything")
    thread = compat.CompatThread(target=lambda: None, daemon=True)
    assert thread.daemon
    assert isinstance(threading.current_thread(), threading.Thread)


def test_versions() -> None:
    assert ferry.__version__ == version.__version__
    assert version.PY4J_VERSION == "0.10.9.9"
