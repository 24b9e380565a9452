"""A quick loop for the `threads4_mux` row: THREADS Python threads calling `sb.length()` on their
own StringBuilder through one multiplexed gateway, client and server pinned to one core. Builds
are compared in one session: each `--variant NAME=DIR` runs its client with `DIR` first on
PYTHONPATH (a copy of an earlier `python/ferry`, say); `NAME=` is the build in the tree. Runs
interleave the variants; the figure is the median of the runs.

    .venv/bin/python bench/mux_loop.py --variant base=/tmp/mux_base --variant new= --runs 7

The server is `target/release/ferry serve` (one for all runs, started pinned to the core).
Besides the rate, each run gives the CPU time client and server took per call (their threads'
scheduler run time): on a shared machine, other processes on the core lower the rate but not
this figure (its `x` column is base's CPU time over the variant's, higher is better).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_ns(pid: int) -> int:
    """The CPU time the live threads of a process ran for, in ns (the scheduler's count)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            pass  # a thread that just ended
    return total


def child(port: int, threads: int, seconds: float, server_pid: int) -> None:
    from ferry.java_gateway import GatewayParameters, JavaGateway

    gw = JavaGateway(gateway_parameters=GatewayParameters(port=port, multiplex=True))
    ops = [gw.jvm.java.lang.StringBuilder("hello").length for _ in range(threads)]
    counts = [0] * threads
    go = threading.Barrier(threads + 1)
    stop = False

    def body(i: int) -> None:
        op = ops[i]
        for _ in range(2000):  # warm-up
            op()
        go.wait()
        n = 0
        while not stop:
            for _ in range(50):
                op()
            n += 50
        counts[i] = n

    ts = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    go.wait()
    before = gw._gateway_client.stats()
    # The process's clock counts the threads that end (schedstat forgets them); the server's
    # threads all outlive the run.
    cpu0 = time.process_time_ns() + cpu_ns(server_pid)
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop = True
    for t in ts:
        t.join()
    t1 = time.perf_counter()
    cpu1 = time.process_time_ns() + cpu_ns(server_pid)
    after = gw._gateway_client.stats()
    writes = after["multiplexed_writes"] - before["multiplexed_writes"]
    requests = after["multiplexed_requests"] - before["multiplexed_requests"]
    calls = sum(counts)
    print(calls / (t1 - t0), requests / max(1, writes), (cpu1 - cpu0) / calls / 1e3)
    gw.close()


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--variant", action="append", default=[], help="NAME=DIR (DIR may be empty)"
    )
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--core", default="0", help="the cores to pin to (taskset -c)")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    p.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child is not None:
        child(a.child, a.threads, a.seconds, a.server_pid)
        return
    variants = [v.split("=", 1) for v in (a.variant or ["tree="])]
    server = subprocess.Popen(
        ["taskset", "-c", str(a.core), str(ROOT / "target/release/ferry"), "serve"]
        + ["--port", "0", "--die-on-exit"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        rates: dict[str, list[float]] = {n: [] for n, _ in variants}
        per_write: dict[str, list[float]] = {n: [] for n, _ in variants}
        cpu: dict[str, list[float]] = {n: [] for n, _ in variants}
        for _ in range(a.runs):
            for name, path in variants:
                env = dict(os.environ)
                if path:
                    env["PYTHONPATH"] = path
                out = subprocess.run(
                    ["taskset", "-c", str(a.core), sys.executable, __file__]
                    + ["--child", str(port), "--threads", str(a.threads)]
                    + ["--seconds", str(a.seconds), "--server-pid", str(server.pid)],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                rates[name].append(float(out[0]))
                per_write[name].append(float(out[1]))
                cpu[name].append(float(out[2]))
        first = statistics.median(rates[variants[0][0]])
        first_cpu = statistics.median(cpu[variants[0][0]])
        for name, _ in variants:
            r = sorted(rates[name])
            med = statistics.median(r)
            print(
                f"{name:8} {med / 1e3:7.1f} k calls/s {1e6 / med:5.2f} us/call "
                f"x{med / first:.3f}  cpu {statistics.median(cpu[name]):.3f} us/call "
                f"x{first_cpu / statistics.median(cpu[name]):.3f}  "
                f"requests/write {statistics.median(per_write[name]):.2f}  "
                f"runs {' '.join(f'{x / 1e3:.0f}' for x in r)}"
            )
        print(f"load average: {os.getloadavg()[0]:.2f}")
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1:])
