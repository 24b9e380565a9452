"""The benchmark harness still runs: `bench/run.py --quick --no-write` exits 0 and prints every
family for every client x server combination. The figures of a quick run are not checked (no
timed assertions in tests)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN = ROOT / "bench" / "run.py"
COMBOS = [
    "py4j_client+py4j_server",
    "py4j_client+ferry_server",
    "ferry_client+py4j_server",
    "ferry_client+ferry_server",
]


def _families() -> list[str]:
    out = subprocess.run(
        [sys.executable, str(RUN), "--list"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return out.split()


@pytest.mark.timeout(900)
def test_quick_bench_runs_every_family() -> None:
    families = _families()
    assert "held_call" in families
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--no-write"],
        capture_output=True,
        text=True,
        check=False,
        timeout=890,
        cwd=ROOT,
    )
    if proc.returncode == 2 and "refusing to run the benchmarks" in proc.stderr:
        # A debug build in the tree (e.g. after a plain `maturin develop`): the harness refuses to
        # measure it by design. `make test` builds the release first, so this never skips there.
        pytest.skip(proc.stderr.strip())
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    for name in families:
        for combo in COMBOS:
            assert f"{name}/{combo}" in proc.stdout, (name, combo)
    assert "floor/c_rtt" in proc.stdout


EMBEDDED = ROOT / "bench" / "embedded.py"
EMBEDDED_ROWS = [
    "held_call",
    "static_held_class",
    "nop",
    "one_int",
    "overloaded",
    "to_java",
    "to_numpy",
    "floor_fresh",
    "floor_reused",
    "cold",
]


@pytest.mark.timeout(900)
def test_quick_embedded_bench_runs_every_row() -> None:
    # bench/embedded.py (embedded ferry next to JPype) runs both libraries' workers and prints
    # every row of each, with no row failing; the figures are not checked.
    proc = subprocess.run(
        [sys.executable, str(EMBEDDED), "--quick", "--no-write", "--no-perf"],
        capture_output=True,
        text=True,
        check=False,
        timeout=890,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    for library in ("ferry", "jpype"):
        for row in EMBEDDED_ROWS:
            assert f"\n{library}/{row}: " in "\n" + proc.stdout, (library, row)
    assert "\njni/nop: " in proc.stdout, proc.stdout
    assert "ERROR" not in proc.stdout, proc.stdout
    assert "FATAL" not in proc.stdout, proc.stdout
    assert proc.stdout.count("expect: ") == 4
