"""A JVM application with only ferry.jar added to its class path serves the stock py4j client."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from py4j.java_gateway import GatewayParameters, JavaGateway
from py4j.protocol import Py4JError, Py4JNetworkError

ROOT = pathlib.Path(__file__).resolve().parent.parent
FERRY_JAR = ROOT / "build" / "ferry.jar"


def java_home() -> pathlib.Path:
    configured = os.environ.get("FERRY_TEST_JAVA_HOME")
    if configured:
        return pathlib.Path(configured)
    javac = pathlib.Path(
        subprocess.check_output(
            ["sh", "-c", 'readlink -f "$(command -v javac)"'], text=True
        ).strip()
    )
    return javac.parent.parent


def javac() -> pathlib.Path:
    # The compiler is the machine's JDK even when the JVM under test is another runtime.
    path = pathlib.Path(
        subprocess.check_output(
            ["sh", "-c", 'readlink -f "$(command -v javac)"'], text=True
        ).strip()
    )
    return path


@pytest.fixture(scope="module")
def app_classes(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    if not FERRY_JAR.exists():
        pytest.fail(f"{FERRY_JAR} is missing: run `make build` first")
    out = tmp_path_factory.mktemp("app")
    subprocess.run(
        [
            str(javac()),
            "--release",
            "8",
            "-Xlint:-options",
            "-cp",
            str(FERRY_JAR),
            "-d",
            str(out),
            str(ROOT / "tests" / "java" / "app" / "GreeterApp.java"),
        ],
        check=True,
    )
    return out


def start_app(classes: pathlib.Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    java = java_home() / "bin" / "java"
    options = ["--enable-native-access=ALL-UNNAMED"] if java_major(java) >= 22 else []
    proc = subprocess.Popen(
        [
            str(java),
            *options,
            "-cp",
            f"{FERRY_JAR}{os.pathsep}{classes}",
            "GreeterApp",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise AssertionError(
            f"the application did not start: {proc.stderr.read() if proc.stderr else ''}"
        )
    return proc, int(line)


def java_major(java: pathlib.Path) -> int:
    out = subprocess.run(
        [str(java), "-version"], check=True, capture_output=True, text=True
    ).stderr
    version = out.split('"')[1]
    major = version.split(".")[0]
    return int(major) if major != "1" else int(version.split(".")[1])


def test_application_serves_py4j_and_shuts_down(app_classes: pathlib.Path) -> None:
    proc, port = start_app(app_classes)
    try:
        gateway = JavaGateway(gateway_parameters=GatewayParameters(port=port))
        app = gateway.entry_point
        assert app.greet("py4j") == "hello py4j"
        assert list(app.greeted()) == ["py4j"]
        assert gateway.jvm.java.lang.Math.max(3, 7) == 7
        assert gateway.java_gateway_server.getListeningPort() == port
        gateway.shutdown()
        out, err = proc.communicate(timeout=20)
        assert out.strip() == "stopped", err
        assert proc.returncode == 0
        # Loading the native engine from the jar prints nothing (no JNI warnings).
        assert err == "", err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_application_with_auth_token(app_classes: pathlib.Path) -> None:
    proc, port = start_app(app_classes, "s3cret")
    try:
        wrong = JavaGateway(
            gateway_parameters=GatewayParameters(port=port, auth_token="nope")
        )
        with pytest.raises((Py4JError, Py4JNetworkError)):
            wrong.entry_point.greet("x")
        wrong.close()
        right = JavaGateway(
            gateway_parameters=GatewayParameters(port=port, auth_token="s3cret")
        )
        assert right.entry_point.greet("auth") == "hello auth"
        right.shutdown()
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
