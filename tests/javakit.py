"""The Java side of the test suites: which JDK compiles the fixtures, which runtime runs the
servers, where Py4J's jar is, and compiling a folder of Java sources against it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import py4j.java_gateway
import py4j.version


def jdk_home() -> Path:
    """The JDK that compiles the fixtures: JAVA_HOME, else two folders above the real javac."""
    env = os.environ.get("JAVA_HOME")
    if env and (Path(env) / "bin" / "javac").exists():
        return Path(env)
    javac = shutil.which("javac")
    if javac is None:
        raise RuntimeError(
            "no javac on the PATH and no JAVA_HOME: a JDK is needed to compile the fixtures"
        )
    return Path(os.path.realpath(javac)).parent.parent


def runtime_java_home() -> Path:
    """The Java runtime of the servers: FERRY_TEST_JAVA_HOME, else the compiling JDK."""
    env = os.environ.get("FERRY_TEST_JAVA_HOME")
    return Path(env) if env else jdk_home()


def py4j_jar() -> Path:
    """The jar of the installed py4j wheel (Py4J's own GatewayServer and ClientServer)."""
    jar = Path(sys.prefix) / "share" / "py4j" / f"py4j{py4j.version.__version__}.jar"
    if jar.exists():
        return jar
    found = py4j.java_gateway.find_jar_path()
    if not found:
        raise RuntimeError(
            f"the py4j jar is missing (looked for {jar}): pip install py4j"
        )
    return Path(found)


def compile_java(sources: Path, out_dir: Path) -> Path:
    """Compiles every .java file of `sources` into `out_dir`, against Py4J's jar."""
    files = sorted(str(p) for p in sources.glob("*.java"))
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(jdk_home() / "bin" / "javac"),
        "-encoding",
        "UTF-8",
        "-Xlint:all",
        "-d",
        str(out_dir),
        "-cp",
        str(py4j_jar()),
        *files,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"javac failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return out_dir
