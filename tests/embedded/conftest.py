"""Fixtures of the embedded-mode tests: the JVM inside the Python process.

A process holds one JVM, so every test runs its scenario in a Python subprocess of its own
(``run``): the script starts the JVM with ``ferry.embedded.start_jvm``, asserts what it sees and
prints a JSON line of observations for the test to check. The scripts run without pytest, so
faulthandler's signal handlers never meet the JVM's.

The Java side is the suite's fixtures (tests/java/fixtures, package ``fixtures``), the callback
fixtures (tests/java/callbacks, package ``callbacks``) and this folder's (java/, package
``embedded``), compiled once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent.parent
JAVA_SOURCES = [
    TESTS_DIR / "java" / "fixtures",
    TESTS_DIR / "java" / "callbacks",
    TESTS_DIR / "embedded" / "java",
]

# Generous: a script starts a JVM (well under a second here) and runs a few calls.
SCRIPT_DEADLINE_S = 120.0

PRELUDE = """
import json, os, sys
CLASSES = os.environ["FERRY_TEST_CLASSES"].split(os.pathsep)
def report(**values):
    print("REPORT " + json.dumps(values), flush=True)
"""


def javac() -> str:
    """javac of JAVA_HOME, else the one on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "javac").exists():
        return str(Path(home) / "bin" / "javac")
    found = shutil.which("javac")
    if found is None:
        raise RuntimeError("no javac on the PATH and no JAVA_HOME: a JDK is needed")
    return found


def compile_java(sources: list[Path], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [javac(), "-encoding", "UTF-8", "-d", str(out_dir), *map(str, sources)],
        check=True,
        capture_output=True,
        timeout=SCRIPT_DEADLINE_S,
    )
    return out_dir


@pytest.fixture(scope="session")
def classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixtures and callback fixtures, compiled (the launchers of Py4J's servers left out:
    they need py4j's jar)."""
    sources = [
        p
        for d in JAVA_SOURCES
        for p in sorted(d.glob("*.java"))
        if not p.name.startswith("Py4J")
    ]
    return compile_java(sources, tmp_path_factory.mktemp("embedded-classes"))


@dataclass
class Ran:
    """A finished script: its exit code, output, and the last REPORT line's values."""

    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any]


Runner = Callable[..., Ran]


@pytest.fixture
def run(classes: Path, tmp_path: Path) -> Runner:
    """``run(script, extra_classpath=(), env=None, check=True)``: runs the script (dedented,
    after a prelude defining CLASSES and ``report(**values)``) in a new Python process and
    returns what it did. With ``check``, a non-zero exit fails the test with its stderr."""

    def go(
        script: str,
        extra_classpath: tuple[Path, ...] = (),
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> Ran:
        path = tmp_path / "scenario.py"
        path.write_text(PRELUDE + textwrap.dedent(script))
        full_env = dict(os.environ)
        full_env["FERRY_TEST_CLASSES"] = os.pathsep.join(
            [str(classes), *map(str, extra_classpath)]
        )
        full_env.pop("FERRY_TEST_EMBEDDED", None)
        if env:
            full_env.update(env)
        proc = subprocess.run(
            [sys.executable, str(path)],
            check=False,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=SCRIPT_DEADLINE_S,
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"the scenario exited with {proc.returncode}\n--- stdout\n{proc.stdout}"
                f"\n--- stderr\n{proc.stderr}"
            )
        return Ran(proc.returncode, proc.stdout, proc.stderr, last_report(proc.stdout))

    return go


@pytest.fixture
def spawn(classes: Path, tmp_path: Path) -> Callable[[str], subprocess.Popen[str]]:
    """``spawn(script)``: starts the script (as ``run`` does) without waiting for it, its
    stdout and stderr piped (text)."""

    def go(script: str) -> subprocess.Popen[str]:
        path = tmp_path / "spawned.py"
        path.write_text(PRELUDE + textwrap.dedent(script))
        env = dict(os.environ, FERRY_TEST_CLASSES=str(classes))
        env.pop("FERRY_TEST_EMBEDDED", None)
        return subprocess.Popen(
            [sys.executable, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    return go


def last_report(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith("REPORT "):
            return dict(json.loads(line[len("REPORT ") :]))
    return {}
