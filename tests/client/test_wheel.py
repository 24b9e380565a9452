"""The wheel: built with maturin, installed with pip into a fresh venv outside the repository,
and used there (the extension, ferry.jar and the ferry program all come from the wheel)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
from ferry import _native

REPO = Path(__file__).resolve().parents[2]
JAR = REPO / "build" / "ferry.jar"
CLI = REPO / "target" / "release" / "ferry"
MATURIN = Path(sys.executable).parent / "maturin"


def test_the_native_stub_matches_the_module() -> None:
    stub = ast.parse((REPO / "python" / "ferry" / "_native.pyi").read_text())
    declared: dict[str, set[str]] = {}
    for node in stub.body:
        if isinstance(node, ast.ClassDef):
            declared[node.name] = {
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("__")
            }
        elif isinstance(node, ast.FunctionDef):
            declared[node.name] = set()
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
            if not name.startswith("_") or name == "__version__":
                declared[name] = set()
    public = {name for name in dir(_native) if not name.startswith("_")} | {
        "__version__"
    }
    assert set(declared) == public
    for name, members in declared.items():
        if members:
            actual = {m for m in dir(getattr(_native, name)) if not m.startswith("__")}
            assert members == actual, name


def _copy_sources(target: Path) -> None:
    for name in ("Cargo.toml", "Cargo.lock", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, target / name)
    ignore = shutil.ignore_patterns(
        "__pycache__", "*.so", "target", "_bin", "ferry.jar"
    )
    shutil.copytree(REPO / "crates", target / "crates", ignore=ignore)
    shutil.copytree(REPO / "python", target / "python", ignore=ignore)
    # ferry-server's build script compiles the Java glue classes from here.
    shutil.copytree(REPO / "java" / "src", target / "java" / "src", ignore=ignore)
    (target / "python" / "ferry" / "_bin").mkdir()
    shutil.copy2(JAR, target / "python" / "ferry" / "ferry.jar")
    shutil.copy2(CLI, target / "python" / "ferry" / "_bin" / "ferry")


_USE_IT = """
import os, sys
import ferry, ferry._native
from ferry.java_gateway import GatewayParameters, JavaGateway, launch_gateway
assert ferry.__file__.startswith(sys.prefix), ferry.__file__
assert ferry._native.__file__.startswith(sys.prefix)
package = os.path.dirname(ferry.__file__)
assert os.path.isfile(os.path.join(package, "ferry.jar"))
from ferry._launcher import find_ferry_cli
assert find_ferry_cli() == os.path.join(package, "_bin", "ferry"), find_ferry_cli()

gateway = JavaGateway(gateway_parameters=GatewayParameters(port={port}, auth_token={token!r}))
print(gateway.jvm.java.lang.Math.max(4, 11))
gateway.close()

launched = JavaGateway.launch_gateway(
    classpath={classes!r}, entry_point="fixtures.EntryPoint", die_on_exit=True
)
print(launched.entry_point.echoString("from the wheel"))
launched.shutdown()
launched.java_process.wait(timeout=60)
"""


@pytest.mark.timeout(900)
@pytest.mark.servers("py4j")
def test_the_wheel_installs_and_works_outside_the_repository(
    tmp_path: Path, server: Any, fixture_classes: Any
) -> None:
    if not JAR.is_file() or not CLI.is_file():
        pytest.skip("build/ferry.jar and target/release/ferry come from `make build`")
    if not MATURIN.is_file():
        pytest.skip("maturin is not installed in this venv")
    sources = tmp_path / "src"
    sources.mkdir()
    _copy_sources(sources)
    dist = tmp_path / "dist"
    env = dict(os.environ, CARGO_TARGET_DIR=str(REPO / "target"))
    env.pop("VIRTUAL_ENV", None)
    built = subprocess.run(
        [str(MATURIN), "build", "--release", "--quiet", "--out", str(dist)],
        cwd=sources,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    wheels = list(dist.glob("ferry-*.whl"))
    assert len(wheels) == 1, wheels
    wheel = wheels[0]
    assert "abi3" in wheel.name
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "ferry/__init__.py",
        "ferry/py.typed",
        "ferry/_native.pyi",
        "ferry/ferry.jar",
        "ferry/_bin/ferry",
    ):
        assert expected in names, sorted(names)
    assert any(n.startswith("ferry/_native") and n.endswith(".so") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    program = venv / "bin" / "ferry"
    helped = subprocess.run(
        [str(program), "serve", "--help"], capture_output=True, text=True, check=False
    )
    assert helped.returncode == 0, helped.stderr
    assert "--entry-point" in helped.stdout

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    script = textwrap.dedent(_USE_IT).format(
        port=server.port, token=server.auth_token, classes=str(fixture_classes)
    )
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    clean_env.pop("VIRTUAL_ENV", None)
    used = subprocess.run(
        [str(python), "-c", script],
        cwd=outside,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert used.returncode == 0, used.stderr
    assert used.stdout.splitlines() == ["11", "from the wheel"]
