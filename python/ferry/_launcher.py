"""Starting a gateway process: ``ferry serve`` by default, Py4J's ``GatewayServer`` when given
its jar. Also: how a launched gateway ended, for the errors of a client that lost it."""

from __future__ import annotations

import logging
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

from ferry.protocol import Py4JError, smart_decode
from ferry.version import PY4J_VERSION

logger = logging.getLogger("ferry.java_gateway")

STDERR_TAIL_LINES = 40
"""How many of a launched gateway's last stderr lines are kept for error messages."""


def find_jar_path() -> str:
    """The path of Py4J's jar (``py4j<version>.jar``, installed by ``pip install py4j``), or
    ``""`` when it cannot be found. Give it to ``launch_gateway(jarpath=...)`` to start Py4J's
    own ``GatewayServer``."""
    name = f"py4j{PY4J_VERSION}.jar"
    candidates = [
        Path(name),
        Path(sys.prefix) / "share" / "py4j" / name,
        Path(sys.base_prefix) / "share" / "py4j" / name,
        Path(sysconfig.get_path("data")) / "share" / "py4j" / name,
        Path(__file__).resolve().parent.parent.parent.parent.parent
        / "share"
        / "py4j"
        / name,
    ]
    for path in candidates:
        if path.exists():
            return str(path)
    return ""


def find_ferry_cli() -> str | None:
    """The ``ferry`` program: ``$FERRY_CLI``, else the one inside this package (a wheel ships
    it), else the ``ferry`` command next to this Python, else on ``PATH``."""
    explicit = os.environ.get("FERRY_CLI")
    if explicit:
        return explicit
    from ferry._cli import bundled_cli

    bundled = bundled_cli()
    if bundled is not None and bundled.parent.name == "_bin":
        return str(bundled)
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = Path(folder) / "ferry"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("ferry")


def _java_home_of(java_path: str) -> str | None:
    resolved = shutil.which(java_path) or java_path
    if not os.path.exists(resolved):
        return None
    return str(Path(os.path.realpath(resolved)).parent.parent)


class OutputConsumer(threading.Thread):
    """Sends each line a stream produces to a file-like object (``write``), a ``Queue``
    (``put``) or a ``deque`` (``appendleft``); closes the stream at its end."""

    def __init__(
        self, redirect: Any, stream: IO[bytes], *args: Any, **kwargs: Any
    ) -> None:
        daemon = kwargs.pop("daemon", None)
        super().__init__(*args, **kwargs)
        if daemon:
            self.daemon = daemon
        self.redirect = redirect
        self.stream = stream
        self.redirect_func = _sink(redirect)

    def run(self) -> None:
        try:
            for line in iter(self.stream.readline, b""):
                self.redirect_func(smart_decode(line))
        except (OSError, ValueError):
            logger.debug("Exception while reading the gateway's output", exc_info=True)
        finally:
            _close_quietly(self.stream)


class ProcessConsumer(threading.Thread):
    """Waits for a process, then closes its stdin and the given closables (once the process
    has ended, nothing writes to them)."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        closable_list: list[Any],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        daemon = kwargs.pop("daemon", None)
        super().__init__(*args, **kwargs)
        if daemon:
            self.daemon = daemon
        self.proc = proc
        self.closable_list = closable_list or []

    def run(self) -> None:
        self.proc.wait()
        for closable in [self.proc.stdin, *self.closable_list]:
            _close_quietly(closable)


def _close_quietly(closable: Any) -> None:
    if closable is not None and hasattr(closable, "close"):
        try:
            closable.close()
        except (OSError, ValueError):
            logger.debug("Exception while closing", exc_info=True)


def _sink(redirect: Any) -> Any:
    if redirect is None:
        return lambda line: None
    if isinstance(redirect, queue.Queue):
        return redirect.put
    if isinstance(redirect, deque):
        return redirect.appendleft
    if hasattr(redirect, "write"):
        return redirect.write
    if isinstance(redirect, int):
        if redirect == subprocess.DEVNULL:
            return lambda line: None
        return lambda line: os.write(redirect, line.encode("utf-8"))
    raise Py4JError(
        f"cannot redirect the gateway's output to a {type(redirect).__name__}: give a file-like "
        "object (write), a queue.Queue, a collections.deque or a file descriptor"
    )


class _StderrTail(threading.Thread):
    """Reads a gateway's stderr: keeps its last lines (for error messages) and forwards every
    line to the caller's redirect."""

    def __init__(
        self, stream: IO[bytes], tail: deque[str], redirect: Any, daemon: bool
    ) -> None:
        super().__init__(name="ferry-gateway-stderr", daemon=daemon)
        self.stream = stream
        self.tail = tail
        self.forward = _sink(redirect)

    def run(self) -> None:
        try:
            for raw in iter(self.stream.readline, b""):
                line = smart_decode(raw)
                self.tail.append(line.rstrip("\n"))
                try:
                    self.forward(line)
                except Exception:  # a broken redirect must not stop the tail
                    logger.debug(
                        "Exception while redirecting the gateway's stderr",
                        exc_info=True,
                    )
        except (OSError, ValueError):
            logger.debug("Exception while reading the gateway's stderr", exc_info=True)
        finally:
            _close_quietly(self.stream)


def describe_process_end(proc: Any, wait: float = 0.5) -> str | None:
    """How a gateway process ended (exit code or signal, out of memory), with the last lines of
    its stderr when ferry launched it; or that it is still running."""
    code = proc.poll()
    if code is None:
        try:
            code = proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return f"The gateway process (pid {proc.pid}) is still running."
    tail = list(getattr(proc, "_ferry_stderr_tail", ()))
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        how = f"was killed by {name}"
    else:
        how = f"exited with code {code}"
    oom = any("OutOfMemoryError" in line for line in tail) or code in (137, -9)
    text = f"The gateway process (pid {proc.pid}) {how}"
    if any("OutOfMemoryError" in line for line in tail):
        text += " (the JVM ran out of memory)"
    elif oom:
        text += " (possibly by the system's out-of-memory killer)"
    text += "."
    if tail:
        text += " Last lines of its stderr:\n" + "\n".join(
            "    " + line for line in tail
        )
    return text


def _read_first_line(proc: subprocess.Popen[bytes], what: str) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        detail = describe_process_end(proc, wait=5.0) or ""
        raise Py4JError(
            f"the gateway process stopped before it printed its {what}. {detail}"
        )
    return smart_decode(line).rstrip("\r\n")


def launch_gateway(
    port: int = 0,
    jarpath: str = "",
    classpath: str = "",
    javaopts: list[str] | None = None,
    die_on_exit: bool = False,
    redirect_stdout: Any = None,
    redirect_stderr: Any = None,
    daemonize_redirect: bool = True,
    java_path: str | None = "java",
    create_new_process_group: bool = False,
    enable_auth: bool = False,
    cwd: str | None = None,
    return_proc: bool = False,
    use_shell: bool = False,
    entry_point: str | None = None,
) -> Any:
    """Starts a gateway in a new process and returns its port (``(port, token)`` with
    ``enable_auth``; the ``Popen`` is appended with ``return_proc``).

    Without ``jarpath`` it runs ``ferry serve`` (the ``ferry`` command installed with this
    package) with the ``classpath``, the ``entry_point`` class (optional) and each of
    ``javaopts`` as a JVM option. With ``jarpath`` (Py4J's jar, see ``find_jar_path``) it runs
    Py4J's ``py4j.GatewayServer`` with ``java_path``, as py4j does.

    ``port=0`` picks a free port. ``die_on_exit`` makes the gateway exit when this process
    closes its stdin (when this process ends). ``redirect_stdout`` and ``redirect_stderr`` take
    a file-like object, a ``queue.Queue`` or a ``collections.deque`` and get the gateway's
    output one line at a time (default: discarded); the last lines of stderr are also kept for
    error messages. ``create_new_process_group`` keeps Ctrl-C from reaching the gateway.
    """
    opts = list(javaopts or [])
    env = None
    if jarpath:
        if not java_path:
            java_home = os.environ.get("JAVA_HOME")
            java_path = os.path.join(java_home, "bin", "java") if java_home else "java"
        if not os.path.exists(jarpath):
            raise Py4JError(f"Could not find py4j jar at {jarpath}")
        if entry_point:
            raise Py4JError(
                "Py4J's GatewayServer has no entry point option; launch ferry serve "
                "(no jarpath) to choose the entry point class"
            )
        command = [java_path, "-classpath", os.pathsep.join((jarpath, classpath))]
        command += opts + ["py4j.GatewayServer"]
        if die_on_exit:
            command.append("--die-on-broken-pipe")
        if enable_auth:
            command.append("--enable-auth")
        command.append(str(port))
    else:
        cli = find_ferry_cli()
        if cli is None:
            raise Py4JError(
                "the ferry command was not found (next to this Python, on PATH or in "
                "$FERRY_CLI); install ferry's wheel, or pass jarpath=find_jar_path() to launch "
                "Py4J's GatewayServer instead"
            )
        command = [cli, "serve", "--port", str(port)]
        if classpath:
            command += ["--classpath", classpath]
        if entry_point:
            command += ["--entry-point", entry_point]
        if die_on_exit:
            command.append("--die-on-exit")
        if enable_auth:
            command.append("--enable-auth")
        command += [f"--jvm-option={opt}" for opt in opts]
        if java_path and java_path != "java":
            home = _java_home_of(java_path)
            if home:
                env = dict(os.environ, JAVA_HOME=home)

    # Bad redirect targets fail here, before a process exists.
    _sink(redirect_stdout)
    _sink(redirect_stderr)
    popen_kwargs: dict[str, Any] = {}
    if create_new_process_group:
        from ferry.java_gateway import get_create_new_process_group_kwargs

        popen_kwargs.update(get_create_new_process_group_kwargs())
    args: Any = shlex.join(command) if use_shell else command
    proc = subprocess.Popen(
        args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        shell=use_shell,
        **popen_kwargs,
    )
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    proc._ferry_stderr_tail = tail  # type: ignore[attr-defined]
    assert proc.stderr is not None and proc.stdout is not None
    _StderrTail(proc.stderr, tail, redirect_stderr, daemonize_redirect).start()

    try:
        text = _read_first_line(proc, "port")
        try:
            actual_port = int(text)
        except ValueError:
            detail = describe_process_end(proc, wait=5.0) or ""
            raise Py4JError(
                f"the gateway printed {text!r} where its port was expected. {detail}"
            ) from None
        token = _read_first_line(proc, "authentication token") if enable_auth else None
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _close_quietly(proc.stdin)
        _close_quietly(proc.stdout)
        raise

    close_stdout = redirect_stdout is None
    if close_stdout:
        redirect_stdout = open(os.devnull, "w")  # noqa: SIM115
    OutputConsumer(redirect_stdout, proc.stdout, daemon=daemonize_redirect).start()
    ProcessConsumer(
        proc, [redirect_stdout] if close_stdout else [], daemon=daemonize_redirect
    ).start()

    output: Any = (actual_port, token) if enable_auth else actual_port
    if return_proc:
        output = (*output, proc) if enable_auth else (actual_port, proc)
    return output
