"""The Python clients a row can run on. Adding a client is adding an entry to CLIENTS.

Every client here has py4j's API (`<module>.JavaGateway(gateway_parameters=GatewayParameters(...))`),
or an adapter with its shape (JPype: `jvm.<package>...` and `entry_point`). A client whose module
does not import yet is reported as "not built yet" in every cell.

- `py4j`: the stock py4j package;
- `ferry`: ferry's client as users get it: protocol v2 with ferry's server, v1 with Py4J's;
- `ferry_v1`: ferry's client forced to Py4J's protocol (`GatewayParameters(protocol="v1")`);
- `jpype`: JPype, the JVM inside the Python process (no server), from its own venv
  (bench/.venv-jpype, made by run.py when missing): it runs in a worker of its own.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
from pathlib import Path
from typing import Any

# Runs in a fresh interpreter: can the client be imported, and what is it?
_PROBE = r"""
import importlib, json, sys
name, module = sys.argv[1], sys.argv[2]
facts = {}
try:
    importlib.import_module(module)
    top = importlib.import_module(module.split(".")[0])
    facts["version"] = str(getattr(top, "__version__", "") or "")
    facts["file"] = getattr(top, "__file__", None)
    try:
        native = importlib.import_module(name + "._native")
        facts["native"] = getattr(native, "__file__", None)
    except ImportError:
        facts["native"] = None
    facts["ok"] = True
except Exception as e:
    facts["ok"] = False
    facts["error"] = f"{type(e).__name__}: {e}"
print(json.dumps(facts))
"""


@dataclasses.dataclass(frozen=True)
class ClientKind:
    name: str
    module: str  # the module holding JavaGateway and GatewayParameters
    params: tuple[tuple[str, Any], ...] = ()  # extra GatewayParameters fields
    venv: str | None = (
        None  # a venv of its own (relative to the repository), else .venv
    )

    def connect(self, port: int, auto_convert: bool = False, **fields: Any) -> Any:
        mod = importlib.import_module(self.module)
        params = mod.GatewayParameters(
            port=port, auto_convert=auto_convert, **{**dict(self.params), **fields}
        )
        return mod.JavaGateway(gateway_parameters=params)

    def close(self, gateway: Any) -> None:
        gateway.close()

    def probe(self, python: Path) -> dict[str, Any]:
        """Whether `python` can import this client (in a subprocess, so nothing leaks in here)."""
        proc = subprocess.run(
            [str(python), "-c", _PROBE, self.name, self.module],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        try:
            facts: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            facts = {
                "ok": False,
                "error": (proc.stderr.strip() or "probe failed")[-300:],
            }
        return facts


class _Packages:
    """`gateway.jvm` of the JPype adapter: `jvm.java.util.ArrayList` is JPype's class."""

    def __getattr__(self, name: str) -> Any:
        import jpype

        return jpype.JPackage(name)


class JPypeGateway:
    """py4j's shape over JPype, for the families: `jvm.<package>...` and `entry_point` (an
    instance of the bench entry point class, in this process's JVM)."""

    def __init__(self) -> None:
        import jpype

        self.jvm = _Packages()
        self.entry_point = jpype.JClass("ferrybench.BenchEntry")()

    def close(self) -> None:
        pass


# The class path JPype's JVM gets (the compiled bench/java), set by run.py for the worker.
CLASSPATH_ENV = "FERRY_BENCH_CLASSPATH"


@dataclasses.dataclass(frozen=True)
class JPypeKind(ClientKind):
    def connect(self, port: int, auto_convert: bool = False, **fields: Any) -> Any:
        import os

        import jpype

        if not jpype.isJVMStarted():
            classpath = os.environ.get(CLASSPATH_ENV, "")
            jpype.startJVM(classpath=[p for p in classpath.split(os.pathsep) if p])
        return JPypeGateway()


CLIENTS: dict[str, ClientKind] = {
    "py4j": ClientKind("py4j", "py4j.java_gateway"),
    "ferry": ClientKind("ferry", "ferry.java_gateway"),
    "ferry_v1": ClientKind(
        "ferry_v1", "ferry.java_gateway", params=(("protocol", "v1"),)
    ),
    "jpype": JPypeKind("jpype", "jpype", venv="bench/.venv-jpype"),
}
