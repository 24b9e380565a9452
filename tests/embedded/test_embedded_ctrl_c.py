"""Ctrl-C during a Java call: the Java thread is interrupted and Python raises KeyboardInterrupt;
code that ignores interrupts finishes first."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

# Generous: the Java call would sleep a minute if the interrupt did not reach it.
DEADLINE_S = 20.0

SCRIPT = """
import time
from ferry.embedded import start_jvm

g = start_jvm(classpath=CLASSES)
S = g.jvm.embedded.Stubborn

class Started:
    def run(self):
        print("STARTED", flush=True)
    class Java:
        implements = ["java.lang.Runnable"]

try:
    S.sleepAfter(Started(), 60000)
    sleep = "returned"
except KeyboardInterrupt:
    sleep = "KeyboardInterrupt"
print("CAUGHT", flush=True)
t = time.monotonic()
g.jvm.java.lang.Thread.sleep(200)
next_call_slept = time.monotonic() - t >= 0.19
try:
    S.spinAfter(Started(), 1500)
    spin = "returned"
except KeyboardInterrupt:
    spin = "KeyboardInterrupt"
report(sleep=sleep, next_call_slept=next_call_slept, spin=spin, finished=S.finished(),
       saw_interrupt=S.sawInterrupt(), after=g.jvm.java.lang.Math.abs(-3))
"""


def test_ctrl_c_interrupts_the_java_call(spawn: Any) -> None:
    proc = spawn(SCRIPT)
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "STARTED"
        # The call is running in Java (the line came from inside it); let it reach the sleep.
        time.sleep(0.3)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.stdout.readline().strip() == "CAUGHT"
        waited = time.monotonic() - sent
        assert proc.stdout.readline().strip() == "STARTED"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    reports = [line for line in out.splitlines() if line.startswith("REPORT ")]
    r = json.loads(reports[-1][len("REPORT ") :])
    assert r["sleep"] == "KeyboardInterrupt"
    assert waited < DEADLINE_S
    assert r["next_call_slept"] is True
    # The busy loop ignored the interrupt and ran to its end before KeyboardInterrupt.
    assert r["spin"] == "KeyboardInterrupt"
    assert r["finished"] is True
    assert r["saw_interrupt"] is True
    assert r["after"] == 3
