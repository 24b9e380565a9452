"""The Python clients a row can run on. Adding a client is adding an entry to CLIENTS.

Every client here has py4j's API (`<module>.JavaGateway(gateway_parameters=GatewayParameters(...))`).
A client whose module does not import yet is reported as "not built yet" in every cell.
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

    def connect(self, port: int, auto_convert: bool = False) -> Any:
        mod = importlib.import_module(self.module)
        params = mod.GatewayParameters(port=port, auto_convert=auto_convert)
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


CLIENTS: dict[str, ClientKind] = {
    "py4j": ClientKind("py4j", "py4j.java_gateway"),
    "ferry": ClientKind("ferry", "ferry.java_gateway"),
}
