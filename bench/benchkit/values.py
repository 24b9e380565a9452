"""Reading a measured cell: its headline value, and ratios against the baseline."""

from __future__ import annotations

from typing import Any

from benchkit.measure import Cell


def ok(cell: Cell | None) -> bool:
    return cell is not None and cell.get("status") == "ok"


def value(kind: str, cell: Cell) -> float:
    """The headline figure: seconds per call or per run (lower is better), calls/s (higher)."""
    if kind == "latency":
        return float(cell["median_ns"]) / 1e9
    if kind == "bulk":
        return float(cell["median_s"])
    if kind == "throughput":
        return float(cell["median_per_s"])
    raise ValueError(kind)


def higher_is_better(kind: str) -> bool:
    return kind == "throughput"


def speedup(kind: str, base: Cell, cell: Cell) -> float:
    """How many times faster than the baseline (above 1: faster)."""
    b, v = value(kind, base), value(kind, cell)
    return v / b if higher_is_better(kind) else b / v


def slowdown(kind: str, base: Cell, cell: Cell) -> float:
    """How many times slower than the baseline (the issue 2 ratio: at most 1.05)."""
    return 1.0 / speedup(kind, base, cell)


def round_slowdowns(base: Cell, cell: Cell) -> list[float]:
    """The slowdown in each interleaved round or run (how steady the ratio is): per-round
    medians for per-call rows, run times for bulk rows, inverse rates for throughput rows."""
    for key, inverse in (
        ("round_medians_ns", False),
        ("runs_s", False),
        ("runs_per_s", True),
    ):
        a: list[Any] = base.get(key) or []
        b: list[Any] = cell.get(key) or []
        if a and b:
            pairs = zip(a, b, strict=False)
            return [x / y if inverse else y / x for x, y in pairs if x > 0 and y > 0]
    return []
