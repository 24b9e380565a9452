"""launch_gateway: ferry serve by default, Py4J's GatewayServer when given its jar."""

from __future__ import annotations

import io
import queue
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
from ferry import _launcher
from ferry.java_gateway import JavaGateway, find_jar_path, launch_gateway
from ferry.protocol import Py4JError


@pytest.fixture
def gateways() -> Iterator[list[JavaGateway]]:
    """Launched gateways, stopped (and their JVMs reaped) when the test ends."""
    made: list[JavaGateway] = []
    yield made
    for gateway in made:
        process = gateway.java_process
        gateway._gateway_client.is_connected = False
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _py4j_jar() -> str:
    jar = find_jar_path()
    if not jar:
        pytest.skip("py4j's jar is not installed")
    return jar


def _ferry_cli() -> str:
    cli = _launcher.find_ferry_cli()
    if cli is None:
        pytest.skip("the ferry command is not installed")
    return cli


def test_find_jar_path_finds_py4j_s_jar() -> None:
    assert _py4j_jar().endswith("py4j0.10.9.9.jar")


def test_launch_py4j_with_its_jar(
    gateways: list[JavaGateway], fixture_classes: Any
) -> None:
    gateway = JavaGateway.launch_gateway(
        jarpath=_py4j_jar(),
        classpath=str(fixture_classes),
        javaopts=["-Dferry.test.flag=on"],
        die_on_exit=True,
    )
    gateways.append(gateway)
    assert gateway.jvm.java.lang.System.getProperty("ferry.test.flag") == "on"
    assert gateway.jvm.fixtures.EntryPoint.add(1, 2) == 3
    assert gateway.java_process.poll() is None
    # die_on_exit: the JVM exits when its stdin closes (when this process would end).
    gateway.java_process.stdin.close()
    assert gateway.java_process.wait(timeout=30) is not None


def test_launch_with_auth_and_return_proc(gateways: list[JavaGateway]) -> None:
    port, token, proc = launch_gateway(
        jarpath=_py4j_jar(), enable_auth=True, return_proc=True
    )
    try:
        assert isinstance(port, int) and port > 0
        assert isinstance(token, str) and len(token) > 20
        from ferry.java_gateway import GatewayParameters

        gateway = JavaGateway(
            gateway_parameters=GatewayParameters(port=port, auth_token=token),
            java_process=proc,
        )
        gateways.append(gateway)
        assert gateway.jvm.java.lang.Math.abs(-1) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_launch_returns_the_port_and_the_process() -> None:
    port, proc = launch_gateway(jarpath=_py4j_jar(), die_on_exit=True, return_proc=True)
    try:
        assert isinstance(port, int) and port > 0
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_output_redirection(gateways: list[JavaGateway]) -> None:
    out_queue: queue.Queue[str] = queue.Queue()
    err_deque: deque[str] = deque()
    gateway = JavaGateway.launch_gateway(
        jarpath=_py4j_jar(), redirect_stdout=out_queue, redirect_stderr=err_deque
    )
    gateways.append(gateway)
    system = gateway.jvm.java.lang.System
    system.out.println("to stdout")
    system.out.flush()
    system.err.println("to stderr")
    assert out_queue.get(timeout=30) == "to stdout\n"

    def seen() -> bool:
        return "to stderr\n" in err_deque

    import time

    end = time.monotonic() + 30
    while not seen() and time.monotonic() < end:
        time.sleep(0.02)
    assert seen()


def test_redirect_to_a_file_like_object(gateways: list[JavaGateway]) -> None:
    sink = io.StringIO()
    gateway = JavaGateway.launch_gateway(jarpath=_py4j_jar(), redirect_stderr=sink)
    gateways.append(gateway)
    gateway.jvm.java.lang.System.err.println("into the file")
    import time

    end = time.monotonic() + 30
    while "into the file" not in sink.getvalue() and time.monotonic() < end:
        time.sleep(0.02)
    assert "into the file\n" in sink.getvalue()


def test_missing_jar_and_bad_redirects_are_clear_errors() -> None:
    with pytest.raises(Py4JError, match="Could not find py4j jar"):
        launch_gateway(jarpath="/nowhere/py4j.jar")
    with pytest.raises(Py4JError, match="cannot redirect"):
        launch_gateway(jarpath=_py4j_jar(), redirect_stderr=3.5, die_on_exit=True)
    with pytest.raises(Py4JError, match="no entry point option"):
        launch_gateway(jarpath=_py4j_jar(), entry_point="fixtures.EntryPoint")


def test_a_jvm_that_cannot_start_is_reported(tmp_path: Any) -> None:
    with pytest.raises(Py4JError, match="port") as caught:
        launch_gateway(jarpath=_py4j_jar(), javaopts=["-Xmx1k"])
    assert "exited with code" in str(caught.value)


def test_launch_ferry_serve_by_default(
    gateways: list[JavaGateway], fixture_classes: Any
) -> None:
    _ferry_cli()
    gateway = JavaGateway.launch_gateway(
        classpath=str(fixture_classes),
        entry_point="fixtures.EntryPoint",
        javaopts=["-Dferry.test.flag=served"],
        die_on_exit=True,
    )
    gateways.append(gateway)
    assert gateway.entry_point.echoInt(5) == 5
    assert gateway.jvm.java.lang.System.getProperty("ferry.test.flag") == "served"
    gateway.java_process.stdin.close()
    assert gateway.java_process.wait(timeout=30) is not None


def test_launch_ferry_serve_with_auth(
    gateways: list[JavaGateway], fixture_classes: Any
) -> None:
    _ferry_cli()
    gateway = JavaGateway.launch_gateway(
        classpath=str(fixture_classes),
        entry_point="fixtures.EntryPoint",
        enable_auth=True,
    )
    gateways.append(gateway)
    assert gateway.gateway_parameters.auth_token
    assert gateway.entry_point.echoString("authed") == "authed"


def test_the_ferry_command_is_found_or_the_error_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_launcher, "find_ferry_cli", lambda: None)
    with pytest.raises(Py4JError, match="jarpath=find_jar_path"):
        launch_gateway()


def test_unix_socket_addresses(tmp_path: Any, fixture_classes: Any) -> None:
    import subprocess

    from ferry.java_gateway import GatewayParameters

    cli = _ferry_cli()
    path = tmp_path / "gateway.sock"
    server = subprocess.Popen(
        [
            cli,
            "serve",
            "--classpath",
            str(fixture_classes),
            "--entry-point",
            "fixtures.EntryPoint",
            "--port",
            "0",
            "--unix",
            str(path),
            "--die-on-exit",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert server.stdout is not None
        assert int(server.stdout.readline()) > 0
        for address in (str(path), f"unix:{path}"):
            gateway = JavaGateway(gateway_parameters=GatewayParameters(address=address))
            assert gateway._gateway_client._native.endpoint == f"unix:{path}"
            assert (
                gateway.entry_point.echoString("over a unix socket")
                == "over a unix socket"
            )
            sb = gateway.jvm.java.lang.StringBuilder("x")
            del sb
            gateway._gateway_client.flush_releases()
            assert gateway._gateway_client.stats()["releases"] == 1
            gateway.close()
    finally:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.close()
        if server.wait(timeout=30) is None:
            server.kill()
        server.stdout.close()


def test_the_error_says_how_a_launched_ferry_gateway_ended(
    gateways: list[JavaGateway], fixture_classes: Any
) -> None:
    _ferry_cli()
    from ferry.protocol import Py4JNetworkError

    gateway = JavaGateway.launch_gateway(
        classpath=str(fixture_classes),
        entry_point="fixtures.EntryPoint",
        die_on_exit=True,
    )
    gateways.append(gateway)
    gateway.jvm.java.lang.System.err.println("ferry serve's last word")
    with pytest.raises(Py4JNetworkError) as caught:
        gateway.jvm.java.lang.System.exit(5)
    assert "exited with code 5" in str(caught.value)
    assert "ferry serve's last word" in str(caught.value)
