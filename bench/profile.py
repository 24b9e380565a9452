"""Where the time of one per-call row goes: client and server pinned to one core, `perf record`
on that core while the row's call runs in a loop, then the samples split by process and by
library (and the top symbols), converted to microseconds per call.

    .venv/bin/python bench/profile.py held_call ferry ferry          # client, server
    .venv/bin/python bench/profile.py static_full py4j py4j --core 1 --seconds 3
    .venv/bin/python bench/profile.py --floor                        # the C round-trip pair

Needs `perf` (and the right to record a CPU: root, or perf_event_paranoid <= 0). The figures are
those of one core: samples of other processes that ran on it are listed as such.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from benchkit.build import OUT_TMP, compile_fixtures, release_problems
from benchkit.clients import CLIENTS
from benchkit.families import all_families
from benchkit.families.base import Ctx, LatencyFamily
from benchkit.measure import Op, warm
from benchkit.model import Combo, Settings
from benchkit.servers import SERVERS


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "family", nargs="?", help="a per-call family (held_call, static_full, ...)"
    )
    p.add_argument("client", nargs="?", choices=sorted(CLIENTS))
    p.add_argument("server", nargs="?", choices=sorted(SERVERS))
    p.add_argument(
        "--floor", action="store_true", help="profile the C round-trip pair instead"
    )
    p.add_argument(
        "--core", type=int, default=1, help="the core to pin to and record (default 1)"
    )
    p.add_argument("--seconds", type=float, default=2.0, help="how long to record")
    p.add_argument("--top", type=int, default=25, help="how many symbols to list")
    return p.parse_args(argv)


def perf_report(data: Path, sort: str) -> list[tuple[float, str]]:
    out = subprocess.run(
        [
            "perf",
            "report",
            "-i",
            str(data),
            "--no-children",
            "--sort",
            sort,
            "-q",
            "-g",
            "none",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows: list[tuple[float, str]] = []
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0].endswith("%"):
            rows.append((float(parts[0].rstrip("%")), " ".join(parts[1].split())))
    return rows


def record(core: int, seconds: float, data: Path) -> None:
    subprocess.run(
        [
            "perf",
            "record",
            "-q",
            "-C",
            str(core),
            "-F",
            "4999",
            "-o",
            str(data),
            "--",
            "sleep",
            str(seconds),
        ],
        check=True,
        capture_output=True,
    )


def loop_while_recording(op: Op, core: int, seconds: float, data: Path) -> float:
    """Runs op in this thread while perf records; returns the seconds per call during the record."""
    done = threading.Event()
    window: list[float] = []

    def recorder() -> None:
        time.sleep(0.2)
        window.append(time.perf_counter())
        record(core, seconds, data)
        window.append(time.perf_counter())
        done.set()

    counts: list[tuple[float, int]] = []
    n = 0
    threading.Thread(target=recorder, daemon=True).start()
    while not done.is_set():
        for _ in range(100):
            op()
        n += 100
        counts.append((time.perf_counter(), n))
    start, end = window
    inside = [(t, k) for t, k in counts if start <= t <= end]
    if len(inside) < 2:
        raise RuntimeError("too few calls while recording")
    (t0, k0), (t1, k1) = inside[0], inside[-1]
    return (t1 - t0) / (k1 - k0)


def print_breakdown(data: Path, per_call_s: float, top: int) -> None:
    print(f"perf data: {data}")
    us = per_call_s * 1e6
    print(
        f"\n{us:.2f} us per call while recording; shares of the recorded core's samples:\n"
    )
    by_comm: dict[str, float] = collections.defaultdict(float)
    for pct, key in perf_report(data, "comm,dso"):
        comm, _, dso = key.rpartition(" ")
        by_comm[comm] += pct
        if pct >= 0.5:
            print(f"  {pct:6.2f}%  {us * pct / 100:6.2f} us  {comm:<18} {dso}")
    print("\n  by process:")
    for comm, pct in sorted(by_comm.items(), key=lambda kv: -kv[1]):
        if pct >= 0.5:
            print(f"  {pct:6.2f}%  {us * pct / 100:6.2f} us  {comm}")
    print(f"\n  top {top} symbols:")
    for pct, key in perf_report(data, "comm,dso,sym")[:top]:
        print(f"  {pct:6.2f}%  {us * pct / 100:6.2f} us  {key}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    os.sched_setaffinity(0, {args.core})
    OUT_TMP.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="profile-", dir=OUT_TMP))
    art = compile_fixtures(work)
    data = work / "perf.data"
    if args.floor:
        echo = subprocess.Popen([str(art.rtt_bin), "server"], stdout=subprocess.PIPE)
        assert echo.stdout is not None
        port = echo.stdout.readline().strip().decode()
        # Batches of 1000 round trips (about 5 ms each) for about twice the recording; the
        # per-call figure is the median batch of this same run.
        batches = int((args.seconds + 1) * 400)
        try:
            client = subprocess.Popen(
                [str(art.rtt_bin), "client", port, str(batches), "1000", "10000"],
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(0.3)
            record(args.core, args.seconds, data)
            out, _ = client.communicate()
        finally:
            echo.kill()
            echo.wait()
        per_call = sorted(int(x) / 1000 for x in out.split())
        print("the C round-trip pair (bench/c/rtt.c), 1 byte each way")
        print_breakdown(data, per_call[len(per_call) // 2] / 1e9, args.top)
        return 0
    if not (args.family and args.client and args.server):
        print("give FAMILY CLIENT SERVER, or --floor", file=sys.stderr)
        return 2
    probe = (
        CLIENTS["ferry"].probe(Path(sys.executable)) if args.client == "ferry" else {}
    )
    problems, _warnings, _facts = release_problems(probe.get("native"))
    if problems:
        print("refusing to profile:", *problems, sep="\n  - ", file=sys.stderr)
        return 2
    fams = {f.name: f for f in all_families()}
    fam = fams.get(args.family)
    if not isinstance(fam, LatencyFamily):
        print(f"{args.family} is not a per-call family", file=sys.stderr)
        return 2
    server = SERVERS[args.server].start(art, work)
    client = CLIENTS[args.client]
    try:
        gateway = client.connect(server.port)
        combo = Combo(args.client, args.server)
        ctx = Ctx(
            combo,
            gateway,
            Settings.for_run(False),
            lambda ac: client.connect(server.port, ac),
            artifacts=art,
        )
        op = fam.prepare(ctx)
        warm(op, 1.0)
        per_call = loop_while_recording(op, args.core, args.seconds, data)
        per_call /= getattr(fam, "calls_per_op", 1)
        print(f"{fam.name}: {fam.code}  ({combo.label}, core {args.core})")
        print_breakdown(data, per_call, args.top)
        client.close(gateway)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
