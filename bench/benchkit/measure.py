"""The three ways a row is measured, each interleaving the cases so that noise hits all alike.

- latency: many timed batches of calls per case, in rounds; every round visits every case once,
  in a shuffled order, for the same time budget. Reports the median and p99 of the per-call time
  of a batch (batch duration / calls in it).
- bulk: one operation per timed run (untimed set-up before, untimed check after); a case whose
  full-size run would take too long runs on 1/10 (or less in --quick) of the data and its times
  are scaled back up, which the report states.
- throughput: N threads calling at once, calls per second over the whole run.

A case that raises is reported with its error and dropped; the others go on.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from benchkit.model import Settings
from benchkit.stats import median, percentile

Op = Callable[[], object]
Cell = dict[str, Any]


def error_cell(exc: BaseException, where: str) -> Cell:
    if type(exc).__name__ == "Unsupported":
        # families.base.Unsupported: the row has no meaning for this combination.
        return {"status": "unsupported", "error": str(exc)}
    text = f"{type(exc).__name__}: {exc}".strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return {"status": "error", "error": f"{where}: {first[:300]}"}


def warm(op: Op, seconds: float, min_calls: int = 20) -> float:
    """Calls op for `seconds` and at least `min_calls` times, but never much beyond
    4 x `seconds` (a pathologically slow case must not stall the run). Returns the mean time
    of one call, in seconds."""
    start = time.perf_counter()
    n = 0
    while True:
        op()
        n += 1
        elapsed = time.perf_counter() - start
        if (elapsed >= seconds and n >= min_calls) or elapsed >= 4 * seconds:
            return elapsed / n


# Calls slower than this are timed one per batch (a batch of 10 would take too long).
SLOW_CALL_S = 1e-3


def _timed_batch(op: Op, calls: int) -> int:
    t0 = time.perf_counter_ns()
    for _ in range(calls):
        op()
    return time.perf_counter_ns() - t0


# A sampler measures something outside this process (the C round-trip pair) for about the
# given time budget (ns) and returns per-call times in ns; it joins the rounds like a case.
Sampler = Callable[[int], list[float]]


def _sample_op(op: Op, k: int, budget_ns: int, min_batches: int) -> list[float]:
    got: list[float] = []
    start = time.perf_counter_ns()
    while True:
        got.append(_timed_batch(op, k) / k)
        elapsed = time.perf_counter_ns() - start
        if elapsed >= budget_ns and len(got) >= min_batches:
            return got
        if elapsed >= 4 * budget_ns:  # slow calls: fewer batches, not a stall
            return got


def measure_latency(
    cases: dict[str, Op],
    s: Settings,
    rng: random.Random,
    rounds: int | None = None,
    warmup_s: float | None = None,
    samplers: dict[str, Sampler] | None = None,
) -> dict[str, Cell]:
    """Per-call cases, interleaved in rounds; `samplers` (floors) join the same rounds."""
    out: dict[str, Cell] = {}
    live: dict[str, Sampler] = {}
    batch: dict[str, int] = {}
    budget_ns = int(s.round_budget_s * 1e9)
    for key, op in cases.items():
        try:
            per_call = warm(op, s.warmup_s if warmup_s is None else warmup_s)
        except Exception as exc:  # noqa: BLE001 - any failure of the code under test is a result
            out[key] = error_cell(exc, "warm-up")
            continue
        batch[key] = s.batch if per_call < SLOW_CALL_S else 1
        live[key] = functools.partial(
            _sample_op, op, batch[key], min_batches=s.min_batches
        )
    for key, sampler in (samplers or {}).items():
        batch[key] = s.batch
        live[key] = sampler
    samples: dict[str, list[float]] = {k: [] for k in live}
    round_medians: dict[str, list[float]] = {k: [] for k in live}
    for _ in range(s.rounds if rounds is None else rounds):
        order = list(live)
        rng.shuffle(order)
        for key in order:
            gc.collect()
            try:
                got = live[key](budget_ns)
            except Exception as exc:  # noqa: BLE001
                out[key] = error_cell(exc, "measuring")
                del live[key]
                continue
            samples[key].extend(got)
            round_medians[key].append(median(got))
    for key in live:
        xs = samples[key]
        out[key] = {
            "status": "ok",
            "median_ns": median(xs),
            "p99_ns": percentile(xs, 99.0),
            "p1_ns": percentile(xs, 1.0),
            "batches": len(xs),
            "calls": len(xs) * batch[key],
            "batch": batch[key],
            "round_medians_ns": round_medians[key],
        }
    return out


@dataclasses.dataclass
class BulkCase:
    """One bulk operation: `run` is timed; `before` and `check` (given run's result) are not."""

    run: Callable[[], object]
    before: Callable[[], None] | None = None
    check: Callable[[object], None] | None = None


def _one_run(case: BulkCase) -> float:
    if case.before is not None:
        case.before()
    gc.collect()
    t0 = time.perf_counter_ns()
    result = case.run()
    t1 = time.perf_counter_ns()
    if case.check is not None:
        case.check(result)
    return (t1 - t0) / 1e9


def _warm_bulk(case: BulkCase, seconds: float, most: int = 50) -> None:
    """Untimed runs at the measured size for `seconds` (at least one, at most `most`): the JVMs
    compile the loops a bulk operation runs (a server's unboxing loop, say) during the first runs,
    and on one pinned core that compilation would otherwise land inside the timed runs."""
    start = time.perf_counter()
    for _ in range(most):
        _one_run(case)
        if time.perf_counter() - start >= seconds:
            return


def _choose_scale(make: Callable[[int], BulkCase], full_size: int, s: Settings) -> int:
    """1, or 10, 100, ... (up to s.max_scale) when a full-size run is projected over budget."""
    probe_size = max(1, full_size // 100)
    case = make(probe_size)
    _one_run(case)  # warm
    projected = _one_run(case) * full_size / probe_size
    scale = 1
    while projected / scale > s.bulk_budget_s and scale * 10 <= s.max_scale:
        scale *= 10
    return scale


def measure_bulk(
    makers: dict[str, Callable[[int], BulkCase]],
    full_size: int,
    scalable: bool,
    s: Settings,
    rng: random.Random,
) -> dict[str, Cell]:
    out: dict[str, Cell] = {}
    chosen: dict[str, tuple[BulkCase, int, int]] = {}
    for key, make in makers.items():
        try:
            scale = _choose_scale(make, full_size, s) if scalable else 1
            size = full_size // scale
            case = make(size)
            _warm_bulk(case, s.warmup_s)
        except Exception as exc:  # noqa: BLE001
            out[key] = error_cell(exc, "set-up")
            continue
        chosen[key] = (case, scale, size)
    runs: dict[str, list[float]] = {k: [] for k in chosen}
    for _ in range(s.bulk_runs):
        order = list(chosen)
        rng.shuffle(order)
        for key in order:
            case, scale, _size = chosen[key]
            try:
                runs[key].append(_one_run(case) * scale)
            except Exception as exc:  # noqa: BLE001
                out[key] = error_cell(exc, "measuring")
                del chosen[key]
    for key, (_case, scale, size) in chosen.items():
        xs = runs[key]
        out[key] = {
            "status": "ok",
            "median_s": median(xs),
            "min_s": min(xs),
            "max_s": max(xs),
            "runs_s": xs,
            "scale": scale,
            "size": size,
            "full_size": full_size,
        }
    return out


def _threads_run(ops: list[Op], calls: int) -> float:
    barrier = threading.Barrier(len(ops) + 1)
    errors: list[BaseException] = []

    def body(op: Op) -> None:
        try:
            barrier.wait(timeout=60)
            for _ in range(calls):
                op()
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(op,), daemon=True) for op in ops]
    for t in threads:
        t.start()
    gc.collect()
    barrier.wait(timeout=60)
    t0 = time.perf_counter_ns()
    for t in threads:
        t.join()
    t1 = time.perf_counter_ns()
    if errors:
        raise errors[0]
    return len(ops) * calls / ((t1 - t0) / 1e9)


def measure_threads(
    makers: dict[str, list[Op]],
    s: Settings,
    rng: random.Random,
) -> dict[str, Cell]:
    out: dict[str, Cell] = {}
    live: dict[str, list[Op]] = {}
    calls: dict[str, int] = {}
    for key, ops in makers.items():
        try:
            per_call = max(warm(op, s.warmup_s / len(ops)) for op in ops)
            # A pathologically slow case runs fewer calls (about 2 s of them per thread).
            calls[key] = min(s.thread_calls, max(10, int(2.0 / per_call)))
            _threads_run(ops, max(1, calls[key] // 10))
        except Exception as exc:  # noqa: BLE001
            out[key] = error_cell(exc, "warm-up")
            continue
        live[key] = ops
    rates: dict[str, list[float]] = {k: [] for k in live}
    for _ in range(s.thread_runs):
        order = list(live)
        rng.shuffle(order)
        for key in order:
            try:
                rates[key].append(_threads_run(live[key], calls[key]))
            except Exception as exc:  # noqa: BLE001
                out[key] = error_cell(exc, "measuring")
                del live[key]
    for key, ops in live.items():
        xs = rates[key]
        out[key] = {
            "status": "ok",
            "median_per_s": median(xs),
            "min_per_s": min(xs),
            "max_per_s": max(xs),
            "runs_per_s": xs,
            "threads": len(ops),
            "calls_per_thread": calls[key],
        }
    return out
