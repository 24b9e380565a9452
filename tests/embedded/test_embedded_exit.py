"""A defined exit: the process ends even with a non-daemon Java thread that keeps calling Python,
and no Java -> Python call runs once the interpreter is exiting."""

from __future__ import annotations

from typing import Any


def test_exit_with_a_non_daemon_java_thread_calling_python(run: Any) -> None:
    ran = run(
        """
        from ferry.embedded import start_jvm

        g = start_jvm(classpath=CLASSES)
        ticks = [0]

        class Tick:
            def run(self):
                ticks[0] += 1
            class Java:
                implements = ["java.lang.Runnable"]

        ticker = g.jvm.embedded.Stubborn.tickForever(Tick())
        report(alive=ticker.isAlive(), daemon=ticker.isDaemon(), ticked=ticks[0] > 0)
        """
    )
    # run() waited for the process: it exited (a hang would fail on the deadline).
    assert ran.returncode == 0
    assert ran.report == {"alive": True, "daemon": False, "ticked": True}
    assert "Fatal Python error" not in ran.stderr
