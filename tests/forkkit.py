"""Forking in tests: a child that makes one check and reports it by its exit code, and a parent
that never waits for it forever."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest


def fork_and_check(check: Callable[[], bool], deadline_s: float = 20.0) -> None:
    """Runs ``check()`` in a forked child (exit code 0 when it returns true); fails the test if
    the child fails or is still running after ``deadline_s`` (it is then killed)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports by its exit code
        ok = False
        try:
            ok = check()
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + deadline_s
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("a forked child hung")
        time.sleep(0.005)
    assert os.waitstatus_to_exitcode(status) == 0
