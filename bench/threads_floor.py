"""The floor of the `threads4_mux` row with no socket and no Java: what it costs, on one core,
for THREADS threads to each block (GIL released, in native code) and be woken once per "call"
by another thread.

    .venv/bin/python bench/threads_floor.py                 # every mode, 5 runs each, core 0
    .venv/bin/python bench/threads_floor.py --modes py_ring --runs 9 --core 1

Modes (each run is a fresh process under `taskset -c CORE`):
- c_ring:    C threads passing a baton: thread i waits on its semaphore, then posts i+1's
             (one futex wake and one context switch per call);
- c_fanout:  C: a leader posts the other threads' semaphores, then waits until each ran once
             (the shape of a combined write: one thread wakes the others);
- c_yield:   a C ring whose threads never sleep: each yields the CPU (sched_yield) until the
             turn is its own (one thread switch per call, no futex);
- py_ring:   the same ring with Python threads and `threading.Lock` as the semaphore (its
             blocking `acquire` waits in native code with the GIL released), so each call also
             takes the GIL once;
- py_fanout: the fan-out with Python threads and locks;
- native_ring, native_fanout: the same with Python threads whose waking and waiting is one
             native call (ctypes, GIL released) to baton.c built as a library: a thread posts
             the next one's semaphore only once it has let go of the GIL, as ferry's client
             does (py_ring posts while it holds the GIL, so the woken thread may run into it);
- native_yield: the yielding ring with Python threads (the hand-over and the wait one native
             call), as ferry's multiplexed waiters wait on a busy core.

Prints the calls per second and the time of one call (median of the runs, and the spread).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MODES = (
    "c_ring",
    "c_fanout",
    "c_yield",
    "py_ring",
    "py_fanout",
    "native_ring",
    "native_fanout",
    "native_yield",
)
PY_MODES = tuple(m for m in MODES if not m.startswith("c_"))


def _run_for(
    ts: list[threading.Thread],
    seconds: float,
    kick: Callable[[], object],
    halt: Callable[[], None],
) -> float:
    """Starts the threads, gives the first turn (`kick`), lets them pass it on for `seconds`,
    tells them to stop (`halt`) and waits for them; returns the time they ran."""
    for t in ts:
        t.start()
    t0 = time.perf_counter()
    kick()
    time.sleep(seconds)
    halt()
    t1 = time.perf_counter()
    for t in ts:
        t.join()
    return t1 - t0


def _drive_for(
    ts: list[threading.Thread],
    seconds: float,
    step: Callable[[], object],
    halt: Callable[[], None],
) -> tuple[int, float]:
    """Starts the threads, makes this thread run `step` (one fan-out round) in batches of 1000
    for `seconds`, tells them to stop (`halt`) and waits for them; returns the rounds made and
    the time they took."""
    for t in ts:
        t.start()
    rounds = 0
    t0 = t1 = time.perf_counter()
    while t1 - t0 < seconds:
        for _ in range(1000):
            step()
        rounds += 1000
        t1 = time.perf_counter()
    halt()
    for t in ts:
        t.join()
    return rounds, t1 - t0


def py_ring(threads: int, seconds: float) -> tuple[int, float]:
    locks = [threading.Lock() for _ in range(threads)]
    for lock in locks:
        lock.acquire()
    counts = [0] * threads
    stop = False

    def run(i: int) -> None:
        mine, nxt = locks[i], locks[(i + 1) % threads]
        n = 0
        while True:
            mine.acquire()
            if stop:
                nxt.release()
                counts[i] = n
                return
            n += 1
            nxt.release()

    def halt() -> None:
        nonlocal stop
        stop = True

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    elapsed = _run_for(ts, seconds, locks[0].release, halt)
    return sum(counts), elapsed


def py_fanout(threads: int, seconds: float) -> tuple[int, float]:
    go = [threading.Lock() for _ in range(threads)]
    back = [threading.Lock() for _ in range(threads)]
    for lock in go + back:
        lock.acquire()
    stop = False

    def run(i: int) -> None:
        g, b = go[i], back[i]
        while True:
            g.acquire()
            if stop:
                return
            b.release()

    def step() -> None:
        for i in range(1, threads):
            go[i].release()
        for i in range(1, threads):
            back[i].acquire()

    def halt() -> None:
        nonlocal stop
        stop = True
        for i in range(1, threads):
            go[i].release()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(1, threads)]
    rounds, elapsed = _drive_for(ts, seconds, step, halt)
    return rounds * threads, elapsed


def native_lib() -> ctypes.CDLL:
    lib = ctypes.CDLL(str(BENCH / "out" / "tmp" / "libbaton.so"))
    lib.baton_new.restype = ctypes.c_void_p
    for name in ("baton_post", "baton_wait"):
        getattr(lib, name).argtypes = [ctypes.c_void_p]
    lib.baton_pass.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.baton_fanout.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.baton_yield_wait.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.baton_yield_pass.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    return lib


def native_yield(threads: int, seconds: float) -> tuple[int, float]:
    lib = native_lib()
    turn = ctypes.c_int(-1)
    counts = [0] * threads
    stop = False

    ref = ctypes.byref(turn)

    def run(i: int) -> None:
        n = 0
        # Waits for the first turn, then hands it on and waits for it again, call after call.
        lib.baton_yield_wait(ref, i)
        while not stop:
            n += 1
            lib.baton_yield_pass(ref, (i + 1) % threads, i)
        counts[i] = n
        turn.value = -2  # ends every other thread's wait

    def kick() -> None:
        turn.value = 0

    def halt() -> None:
        nonlocal stop
        stop = True

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    elapsed = _run_for(ts, seconds, kick, halt)
    return sum(counts), elapsed


def native_ring(threads: int, seconds: float) -> tuple[int, float]:
    lib = native_lib()
    sems = [lib.baton_new() for _ in range(threads)]
    counts = [0] * threads
    stop = False

    def run(i: int) -> None:
        mine, nxt = sems[i], sems[(i + 1) % threads]
        lib.baton_wait(mine)
        n = 0
        while not stop:
            n += 1
            lib.baton_pass(nxt, mine)
        counts[i] = n
        lib.baton_post(nxt)

    def halt() -> None:
        nonlocal stop
        stop = True

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    elapsed = _run_for(ts, seconds, lambda: lib.baton_post(sems[0]), halt)
    return sum(counts), elapsed


def native_fanout(threads: int, seconds: float) -> tuple[int, float]:
    lib = native_lib()
    go = [lib.baton_new() for _ in range(threads - 1)]
    go_array = (ctypes.c_void_p * len(go))(*go)
    done = lib.baton_new()
    stop = False

    def run(i: int) -> None:
        lib.baton_wait(go[i])
        while not stop:
            lib.baton_pass(done, go[i])

    def halt() -> None:
        nonlocal stop
        stop = True
        for g in go:
            lib.baton_post(g)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads - 1)]
    rounds, elapsed = _drive_for(
        ts, seconds, lambda: lib.baton_fanout(go_array, len(go), done), halt
    )
    return rounds * threads, elapsed


def child(mode: str, threads: int, seconds: float) -> None:
    run = {
        "py_ring": py_ring,
        "py_fanout": py_fanout,
        "native_ring": native_ring,
        "native_fanout": native_fanout,
        "native_yield": native_yield,
    }[mode]
    calls, took = run(threads, seconds)
    print(calls, f"{took:.6f}")


def build_c() -> Path:
    out = BENCH / "out" / "tmp"
    out.mkdir(parents=True, exist_ok=True)
    exe = out / "baton"
    src = BENCH / "c" / "baton.c"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        cc = ["gcc", "-O2", "-Wall", "-pthread"]
        subprocess.run([*cc, "-o", str(exe), str(src)], check=True)
        lib = ["-shared", "-fPIC", "-DBATON_LIB", "-o", str(out / "libbaton.so")]
        subprocess.run([*cc, *lib, str(src)], check=True)
    return exe


def one_run(mode: str, threads: int, seconds: float, core: int, exe: Path) -> float:
    """Calls per second of one run, in a fresh process pinned to `core`."""
    if mode.startswith("c_"):
        cmd = [str(exe), mode[2:], str(threads), str(seconds)]
    else:
        cmd = [sys.executable, __file__, "--child", mode, "--threads", str(threads)]
        cmd += ["--seconds", str(seconds)]
    out = subprocess.run(
        ["taskset", "-c", str(core), *cmd], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(out[0]) / float(out[1])


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--core", type=int, default=0)
    p.add_argument("--child", choices=PY_MODES, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        child(a.child, a.threads, a.seconds)
        return
    modes = [m for m in a.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            p.error(f"unknown mode {m!r} (one of {', '.join(MODES)})")
    exe = build_c()
    rates: dict[str, list[float]] = {m: [] for m in modes}
    # Modes interleaved, run after run, so that the machine's noise falls on all of them.
    for _ in range(a.runs):
        for m in modes:
            rates[m].append(one_run(m, a.threads, a.seconds, a.core, exe))
    print(f"{a.threads} threads on core {a.core}, {a.runs} runs of {a.seconds:g} s")
    for m in modes:
        r = sorted(rates[m])
        med = statistics.median(r)
        print(
            f"  {m:13} {med / 1e3:8.1f} k calls/s  {1e6 / med:6.2f} us/call"
            f"  (runs {r[0] / 1e3:.1f}..{r[-1] / 1e3:.1f} k/s)"
        )
    print(f"  load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
