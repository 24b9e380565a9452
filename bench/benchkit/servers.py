"""The gateway servers a row can run on. Adding a server is adding an entry to SERVERS.

Each server is a separate process that prints its port as the first line of stdout and exits
when its stdin closes; it inherits the CPU affinity of the process that starts it (the worker),
so a pinned worker gets a pinned server. `inproc` is no server at all: JPype's JVM runs inside
the client's process (which the affinity pins the same way).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from benchkit.build import Artifacts

ENTRY_POINT = "ferrybench.BenchEntry"


def cpus_allowed(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def _drain(stream: IO[bytes]) -> None:
    for _ in iter(lambda: stream.read(65536), b""):
        pass


@dataclasses.dataclass
class RunningServer:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def facts(self) -> dict[str, Any]:
        return {
            "pid": self.proc.pid,
            "port": self.port,
            "cpus_allowed": cpus_allowed(self.proc.pid),
        }

    def stop(self) -> None:
        """Close stdin (the server exits by itself), then terminate, then kill; always reaped."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (subprocess.TimeoutExpired, OSError):
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclasses.dataclass(frozen=True)
class ServerKind:
    name: str
    argv: Callable[[Artifacts], list[str]]

    def start(
        self, art: Artifacts, logdir: Path, timeout: float = 60.0
    ) -> RunningServer:
        log = logdir / f"{self.name}-server-{os.getpid()}.log"
        with open(log, "wb") as err:
            proc = subprocess.Popen(
                self.argv(art),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=art.env(),
            )
        assert proc.stdout is not None
        line: list[bytes] = []
        reader = threading.Thread(
            target=lambda: line.append(proc.stdout.readline()), daemon=True
        )  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        if not line or not line[0].strip().isdigit():
            proc.kill()
            proc.wait()
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the {self.name} server did not print its port: {tail}")
        threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
        return RunningServer(self.name, proc, int(line[0]), log)


def _ferry_argv(art: Artifacts) -> list[str]:
    return [
        str(art.ferry_bin),
        "serve",
        "--classpath",
        str(art.classes),
        "--entry-point",
        ENTRY_POINT,
        "--port",
        "0",
        "--die-on-exit",
    ]


def _py4j_argv(art: Artifacts) -> list[str]:
    return [
        str(art.java),
        "-cp",
        f"{art.py4j_jar}{os.pathsep}{art.classes}",
        "ferrybench.Py4JLauncher",
        ENTRY_POINT,
    ]


class InProcess:
    """No server: the client runs the JVM inside its own process (JPype)."""

    name = "inproc"
    port = 0

    def facts(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "in_process": True}

    def stop(self) -> None:
        pass


@dataclasses.dataclass(frozen=True)
class InProcessKind(ServerKind):
    def start(self, art: Artifacts, logdir: Path, timeout: float = 60.0) -> Any:
        return InProcess()


SERVERS: dict[str, ServerKind] = {
    "py4j": ServerKind("py4j", _py4j_argv),
    "ferry": ServerKind("ferry", _ferry_argv),
    "inproc": InProcessKind("inproc", lambda art: []),
}
